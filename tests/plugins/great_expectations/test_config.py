"""great_expectations.yml: every key, its defaults, and the errors a user can make (no Great
Expectations needed: the settings are read before anything is imported)."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from hookline.config import ConfigLoader
from hookline.errors import ConfigError
from hookline_great_expectations import DatasetRule, GreatExpectationsConfig, GreatExpectationsHooks
from hookline_great_expectations.config import DEFAULT, load_config, parse_config

WHERE = "conf/base/great_expectations.yml"


def test_no_file_means_nothing_to_validate(tmp_path: Path) -> None:
    (tmp_path / "base").mkdir()

    config = load_config(ConfigLoader(tmp_path))

    assert config.datasets == ()
    assert config.inputs == {}
    assert config.outputs == {}
    assert (config.policy, config.when, config.non_dataframe) == ("fail", "both", "error")
    assert config.data_docs
    assert not config.progress_bars
    assert config.context_root_dir is None


def test_every_key(tmp_path: Path) -> None:
    (tmp_path / "base").mkdir()
    (tmp_path / "base" / "great_expectations.yml").write_text(
        """
context_root_dir: quality/gx
policy: warn
when: input
non_dataframe: skip
unexpected_samples: 2
data_docs: false
progress_bars: true
data_source: frames
legacy:
  datasource: pandas_files
  validation_operator: store_results
datasets:
  companies:
    suite: companies
  shuttles:
    checkpoint: shuttles_checkpoint
    when: both
    policy: fail_at_end
"""
    )

    config = load_config(ConfigLoader(tmp_path))

    assert config.datasets == (
        DatasetRule("companies", suite="companies", when="input", policy="warn"),
        DatasetRule(
            "shuttles", checkpoint="shuttles_checkpoint", when="both", policy="fail_at_end"
        ),
    )
    assert set(config.inputs) == {"companies", "shuttles"}
    assert set(config.outputs) == {"shuttles"}
    assert config.resolve_root(tmp_path) == tmp_path / "quality" / "gx"
    assert (config.non_dataframe, config.unexpected_samples) == ("skip", 2)
    assert (config.data_docs, config.progress_bars, config.data_source) == (False, True, "frames")
    assert (config.legacy_datasource, config.legacy_validation_operator) == (
        "pandas_files",
        "store_results",
    )
    assert config.source == str(tmp_path / "base" / "great_expectations.yml")
    # The settings travel to worker processes as plain values.
    assert GreatExpectationsConfig.from_dict(pickle.loads(pickle.dumps(config.to_dict()))) == config


def test_the_environment_overrides_the_context_root() -> None:
    config = parse_config(
        {"context_root_dir": "gx"}, WHERE, environ={"HOOKLINE_GX_CONTEXT_ROOT_DIR": "/srv/gx"}
    )
    assert config.resolve_root(Path("/project")) == Path("/srv/gx")


def test_the_default_root_is_gx_or_a_legacy_great_expectations_folder(tmp_path: Path) -> None:
    assert DEFAULT.resolve_root(tmp_path) == tmp_path / "gx"
    (tmp_path / "great_expectations").mkdir()
    assert DEFAULT.resolve_root(tmp_path) == tmp_path / "great_expectations"
    (tmp_path / "gx").mkdir()
    assert DEFAULT.resolve_root(tmp_path) == tmp_path / "gx"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (
            {"polcy": "warn"},
            f"{WHERE}: unknown key 'polcy' in the great_expectations configuration. Did you mean "
            "'policy'? Allowed keys: context_root_dir, policy, when, non_dataframe, "
            "unexpected_samples, data_docs, progress_bars, data_source, legacy, datasets.",
        ),
        (
            {"datasets": {"companies": {"suite": "s", "on": "input"}}},
            f"{WHERE}: unknown key 'datasets.companies.on' in the great_expectations "
            "configuration. Allowed keys under 'datasets.companies': suite, checkpoint, when, "
            "policy.",
        ),
        (
            {"legacy": {"operator": "x"}},
            f"{WHERE}: unknown key 'legacy.operator' in the great_expectations configuration. "
            "Allowed keys under 'legacy': datasource, validation_operator.",
        ),
        (
            {"policy": "fail-at-end"},
            f"{WHERE}: key 'policy' must be one of fail, warn, fail_at_end, not 'fail-at-end'. "
            "Did you mean 'fail_at_end'?",
        ),
        (
            {"datasets": {"companies": {"suite": "s", "when": "inputs"}}},
            f"{WHERE}: key 'datasets.companies.when' must be one of input, output, both, not "
            "'inputs'. Did you mean 'input'?",
        ),
        (
            {"datasets": {"companies": {"suite": "s", "checkpoint": "c"}}},
            f"{WHERE}: key 'datasets.companies' needs exactly one of 'suite' (an expectation "
            "suite, the V2 style) or 'checkpoint' (a checkpoint, the V3 style), not both.",
        ),
        (
            {"datasets": {"companies": {"when": "input"}}},
            f"{WHERE}: key 'datasets.companies' needs exactly one of 'suite' (an expectation "
            "suite, the V2 style) or 'checkpoint' (a checkpoint, the V3 style).",
        ),
        (
            {"datasets": {"companies": "companies_suite"}},
            f"{WHERE}: key 'datasets.companies' must be a mapping, e.g. 'suite: companies_suite' "
            "or 'checkpoint: companies_suite', not the string 'companies_suite'.",
        ),
        (
            {"datasets": ["companies"]},
            f"{WHERE}: key 'datasets' must map dataset names to their settings (suite: NAME or "
            "checkpoint: NAME), not ['companies'].",
        ),
        (
            {"datasets": {"companies": {"suite": 3}}},
            f"{WHERE}: key 'datasets.companies.suite' must be a non-empty string, not 3.",
        ),
        (
            {"unexpected_samples": -1},
            f"{WHERE}: key 'unexpected_samples' must be a whole number from 0 to 1000, not -1.",
        ),
        ({"data_docs": "yes"}, f"{WHERE}: key 'data_docs' must be true or false, not 'yes'."),
        (
            {"legacy": "files_datasource"},
            f"{WHERE}: key 'legacy' must be a mapping with the keys datasource, "
            "validation_operator, not 'files_datasource'.",
        ),
    ],
)
def test_mistakes_name_the_file_and_the_key(raw: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(raw, WHERE, environ={})
    assert str(caught.value) == message


def test_a_mistake_is_reported_when_the_context_is_created(tmp_path: Path) -> None:
    (tmp_path / "base").mkdir()
    path = tmp_path / "base" / "great_expectations.yml"
    path.write_text("datasets:\n  companies:\n    suite: companies\n    policy: never\n")

    class Context:
        config_loader = ConfigLoader(tmp_path)
        project_path = tmp_path

    with pytest.raises(ConfigError, match=f"^{path}: key 'datasets.companies.policy' must be"):
        GreatExpectationsHooks().after_context_created(Context())  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "quoted"),
    [
        (
            "cannot connect to postgresql://analyst:s3cr3t@db:5432/warehouse\nconfig: {...}",
            "OSError: cannot connect to postgresql://***@db:5432/warehouse",
        ),
        # An unescaped '@' in the password: hidden whole, not up to its first '@'.
        ("mysql+pymysql://analyst:p@ss@db/w", "OSError: mysql+pymysql://***@db/w"),
        (
            "no such file: gx/great_expectations.yml",
            "OSError: no such file: gx/great_expectations.yml",
        ),
        ("", "OSError"),
    ],
)
def test_an_error_is_quoted_by_its_first_line_without_credentials(text: str, quoted: str) -> None:
    # Used for every error the start-up message quotes (context_files.unreadable_context_error).
    from hookline_great_expectations.engines.context_files import quote_error

    assert quote_error(OSError(text)) == quoted
