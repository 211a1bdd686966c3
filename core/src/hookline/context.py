"""The context of one run: project, environment, configuration, parameters and hooks."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hookline.catalog import DataCatalog

if TYPE_CHECKING:
    # Annotations only: the hook specs name this module's class, so a runtime import of the
    # hook manager from here would close a circle (context -> hooks -> specs -> context).
    from hookline.config import ConfigLoader
    from hookline.hooks.manager import HookManager
    from hookline.project import ProjectMetadata


class HooklineContext:
    """Everything a run and its plugins need to know about the project, under the names Kedro's
    ``KedroContext`` gives them.

    Plugins receive it in ``after_context_created`` and read their configuration through
    ``context.config_loader`` (for example ``context.config_loader["mlflow"]``).

    Attributes:
        project_path: The project folder.
        package_name: The project's package (Kedro's ``_package_name`` too).
        project_name: The project's name for people.
        env: The configuration environment in use (``None`` means base plus local).
        config_loader: Reads ``conf/<env>/*.yml``.
        hook_manager: The run's hook manager.
        extra_params: Parameters given on the command line with ``--params``.
    """

    def __init__(
        self,
        metadata: ProjectMetadata,
        config_loader: ConfigLoader,
        hook_manager: HookManager,
        env: str | None = None,
        extra_params: dict[str, Any] | None = None,
        save_version: str | None = None,
    ) -> None:
        self.project_path: Path = metadata.project_path
        self.package_name = metadata.package_name
        self.project_name = metadata.project_name
        self.env = env
        self.config_loader = config_loader
        self.hook_manager = hook_manager
        self.extra_params = dict(extra_params or {})
        self._save_version = save_version
        self._load_versions: dict[str, str] = {}
        self._catalog: DataCatalog | None = None
        # Whether a run has used _catalog: the next run gets a catalog of its own.
        self._catalog_ran = False

    @property
    def _package_name(self) -> str:
        """The project's package, under the name Kedro's context keeps it."""
        return self.package_name

    @cached_property
    def params(self) -> dict[str, Any]:
        """The project's parameters, with ``--params`` applied."""
        return dict(self.config_loader["parameters"])

    @property
    def catalog(self) -> DataCatalog:
        """The catalog of the run: built on first use (which fires ``after_catalog_created``),
        and the very object the run's hooks, nodes and datasets use.

        Read before the run starts (in ``after_context_created``), it is the catalog the run
        goes on to use, unless the run pins versions with ``--load-versions``: the run then
        builds its own with them, which this attribute gives from then on.
        """
        if self._catalog is None:
            self._catalog = self._create_catalog()
        return self._catalog

    def catalog_for_run(self, load_versions: dict[str, str] | None = None) -> DataCatalog:
        """The catalog a run of the session uses: :attr:`catalog`, or a new one for a run that
        pins other versions than it was built with, or when an earlier run used it (a run's
        memory datasets do not outlive it)."""
        pinned = dict(load_versions or {})
        if self._catalog_ran or pinned != self._load_versions:
            self._catalog = None
            self._load_versions = pinned
        catalog = self.catalog
        self._catalog_ran = True
        return catalog

    def _create_catalog(self) -> DataCatalog:
        """Build the catalog from ``catalog.yml`` and the parameters, then fire
        ``after_catalog_created``."""
        conf_catalog = self.config_loader["catalog"]
        conf_creds = self.config_loader["credentials"]
        load_versions = dict(self._load_versions)
        catalog = DataCatalog.from_config(
            conf_catalog,
            conf_creds,
            load_versions=load_versions,
            save_version=self._save_version,
            project_path=self.project_path,
            source=self._describe_files("catalog"),
            credentials_source=self._describe_files("credentials"),
        )
        catalog.add_parameters(self.params)
        feed_dict = {name: catalog.load(name) for name in catalog.list() if _is_param(name)}
        try:
            self.hook_manager.call_naming_failure(
                "after_catalog_created",
                catalog=catalog,
                conf_catalog=conf_catalog,
                conf_creds=conf_creds,
                parameters=self.params,
                feed_dict=feed_dict,
                save_version=self._save_version,
                load_versions=load_versions,
            )
        except Exception as error:
            # The hooks get the credentials, and a HookFailed quotes its cause: hide them.
            failure = catalog.redact_error(error)
            if failure is error:
                raise
        else:
            return catalog
        # Outside the except block, so that the original is not attached as the __context__.
        raise failure

    def _describe_files(self, key: str) -> str:
        """Name the files behind config ``key`` for error messages, relative to the project."""
        files = self.config_loader.files(key)
        if not files:
            return f"{key}.yml"
        return ", ".join(_relative(file, self.project_path) for file in files)


def _relative(path: Path, start: Path) -> str:
    try:
        return str(path.relative_to(start))
    except ValueError:
        return str(path)


def _is_param(name: str) -> bool:
    return name == "parameters" or name.startswith("params:")
