"""The checks plugins share to read their own YAML file (hookline.plugin_config)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hookline.config import ConfigLoader
from hookline.errors import ConfigError
from hookline.plugin_config import (
    boolean,
    check_keys,
    choice,
    mapping,
    number,
    read_section,
    text,
    whole,
)

WHERE = "conf/base/demo.yml"


def _conf(tmp_path: Path, base: str | None, local: str | None = None) -> ConfigLoader:
    for env, body in (("base", base), ("local", local)):
        folder = tmp_path / "conf" / env
        folder.mkdir(parents=True, exist_ok=True)
        if body is not None:
            (folder / "demo.yml").write_text(body)
    return ConfigLoader(tmp_path / "conf")


def test_read_section_is_none_without_a_file(tmp_path: Path) -> None:
    assert read_section(_conf(tmp_path, None), "demo") is None


def test_read_section_names_the_files_that_supplied_the_keys(tmp_path: Path) -> None:
    loader = _conf(tmp_path, "a: 1\nb: 2\n", local="b: 3\n")
    section = read_section(loader, "demo")
    assert section is not None
    raw, where = section
    assert dict(raw) == {"a": 1, "b": 3}
    assert str(tmp_path / "conf" / "base" / "demo.yml") in where
    assert str(tmp_path / "conf" / "local" / "demo.yml") in where


def test_check_keys_names_the_key_suggests_and_lists_the_allowed() -> None:
    with pytest.raises(ConfigError) as raised:
        check_keys({"intervall": 1}, ("interval", "backend"), WHERE, "the demo configuration")
    message = str(raised.value)
    assert message.startswith(f"{WHERE}: unknown key 'intervall' in the demo configuration.")
    assert "'interval'" in message.split("Allowed")[0]  # the suggestion
    assert message.endswith("Allowed keys: interval, backend.")


def test_check_keys_in_a_section_names_the_dotted_path() -> None:
    with pytest.raises(ConfigError, match=r"'measure\.lods'.*Allowed keys under 'measure'"):
        check_keys({"lods": True}, ("loads", "saves"), WHERE, "the demo configuration", "measure.")
    check_keys({"loads": True}, ("loads", "saves"), WHERE, "the demo configuration")


@pytest.mark.parametrize("value", [1, "yes", None])
def test_boolean_takes_only_true_or_false(value: object) -> None:
    with pytest.raises(ConfigError, match=r"key 'flag' must be true or false"):
        boolean({"flag": value}, "flag", WHERE, False)
    assert boolean({}, "flag", WHERE, True) is True
    assert boolean({"flag": False}, "flag", WHERE, True) is False


@pytest.mark.parametrize("value", [True, "1", float("nan"), float("inf"), 0, 61, 10**400])
def test_number_refuses_non_numbers_and_values_out_of_range(value: object) -> None:
    with pytest.raises(ConfigError) as raised:
        number({"t": value}, "t", WHERE, 1.0, above=0, at_most=60, unit="seconds")
    assert f"{WHERE}: key 't' is in seconds and must be a number above 0 and at most 60" in str(
        raised.value
    )


def test_number_returns_a_float_and_the_default() -> None:
    assert number({"t": 2}, "t", WHERE, 1.0) == 2.0
    assert number({}, "t", WHERE, 0.5) == 0.5
    assert number({"t": 0.0001}, "t", WHERE, 1.0, at_least=0.0001) == 0.0001


def test_number_without_bounds_still_refuses_an_int_no_float_can_hold() -> None:
    with pytest.raises(ConfigError, match=r"key 't' must be a number, not 1000"):
        number({"t": 10**400}, "t", WHERE, 1.0)
    with pytest.raises(ConfigError, match=r"must be a number at least 0.5, not 0.4"):
        number({"t": 0.4}, "t", WHERE, 1.0, at_least=0.5)


@pytest.mark.parametrize("value", [0, 11, 2.5, True])
def test_whole_refuses_fractions_and_values_out_of_range(value: object) -> None:
    with pytest.raises(ConfigError, match=r"key 'n' must be a whole number from 1 to 10"):
        whole({"n": value}, "n", WHERE, 5, 1, 10)
    assert whole({"n": 10}, "n", WHERE, 5, 1, 10) == 10


def test_choice_suggests_the_closest_choice() -> None:
    with pytest.raises(ConfigError) as raised:
        choice({"policy": "wran"}, "policy", WHERE, ("fail", "warn"))
    assert "must be one of fail, warn, not 'wran'" in str(raised.value)
    assert "'warn'" in str(raised.value).split("not 'wran'")[1]
    assert choice({}, "policy", WHERE, ("fail", "warn")) == "fail"
    assert choice({}, "policy", WHERE, ("fail", "warn"), default="warn") == "warn"
    with pytest.raises(ConfigError, match="must be one of"):
        choice({"policy": ["fail"]}, "policy", WHERE, ("fail", "warn"))


def test_text_strips_and_refuses_blank_or_non_strings() -> None:
    assert text({"name": "  run  "}, "name", WHERE) == "run"
    assert text({}, "name", WHERE) is None
    assert text({}, "name", WHERE, "default") == "default"
    for bad in ("  ", 3, ["a"]):
        with pytest.raises(ConfigError, match=r"key 'name' must be a non-empty string"):
            text({"name": bad}, "name", WHERE)


def test_mapping_treats_absent_as_empty_and_refuses_other_values() -> None:
    assert mapping(None, "tags", WHERE) == {}
    assert mapping({"a": 1}, "tags", WHERE) == {"a": 1}
    with pytest.raises(ConfigError, match=r"key 'tags' must be a mapping, not \['a'\]"):
        mapping(["a"], "tags", WHERE)
