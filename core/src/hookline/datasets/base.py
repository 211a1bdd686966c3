"""The dataset interface, atomic file writes and versioned paths shared by every dataset.

Nothing here imports pandas, pyarrow or fsspec at module level: a local file dataset never
needs fsspec, and the pandas datasets import pandas only when they load or save.
"""

from __future__ import annotations

import abc
import contextlib
import functools
import importlib.util
import os
import posixpath
import re
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from typing import Any, ClassVar, NamedTuple

from hookline.errors import DatasetError
from hookline.secrets import redact_mapping, redact_text, redact_userinfo, secret_strings

#: The format of a dataset version: a UTC timestamp that sorts in time order as text and holds
#: no ``:`` (which Windows forbids in a folder name).
VERSION_FORMAT = "%Y-%m-%dT%H.%M.%S.%fZ"

_PROTOCOL = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*)://")


def generate_timestamp() -> str:
    """Return the current UTC time as a version string in :data:`VERSION_FORMAT`."""
    return datetime.now(tz=timezone.utc).strftime(VERSION_FORMAT)


class Version(NamedTuple):
    """The versions a versioned dataset loads and saves.

    ``load=None`` loads the newest version; ``save=None`` saves under a fresh timestamp.
    """

    load: str | None = None
    save: str | None = None


def split_protocol(filepath: str) -> tuple[str | None, str]:
    """Split ``"s3://bucket/x"`` into ``("s3", "bucket/x")``; a local path has protocol ``None``."""
    match = _PROTOCOL.match(filepath)
    if match is None:
        return None, filepath
    return match.group(1).lower(), filepath[match.end() :]


def atomic_write(path: str | os.PathLike[str], write: Callable[[Path], object]) -> None:
    """Call ``write(tmp)`` on a new file next to ``path``, then move it over ``path`` in one step.

    The temporary file lives in the same folder (so :func:`os.replace` is atomic), is flushed
    to disk before the rename, and keeps the target's suffixes so that writers which infer a
    compression from the name (``.csv.gz``) still do. If ``write`` raises, or anything else
    fails, the temporary file is removed, the exception propagates and a previous file at
    ``path`` is left byte-for-byte intact. The parent folder is created if it is missing.
    """
    target = Path(path)
    folder = target.parent
    folder.mkdir(parents=True, exist_ok=True)
    tmp = _create_temp_file(folder, target.name)
    try:
        write(tmp)
        _fsync_path(tmp)
        os.replace(tmp, target)
    except BaseException:
        # BaseException: an interrupted save (Ctrl-C) must not leave a stray temp file either.
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _fsync_folder(folder)


def _create_temp_file(folder: Path, name: str) -> Path:
    while True:
        tmp = folder / f".tmp-{os.urandom(6).hex()}-{name}"
        try:
            # os.open with mode 0o666 lets the umask decide the permissions, as for a plain
            # open(); tempfile.mkstemp would leave every saved file readable by its owner only.
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:  # pragma: no cover - 48 random bits colliding
            continue
        os.close(fd)
        return tmp


def _fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDWR)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_folder(folder: Path) -> None:
    # Makes the rename itself durable; POSIX only, and a file system that refuses is no error.
    if os.name != "posix":  # pragma: no cover
        return
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


class AbstractDataset(abc.ABC):
    """A named piece of data the catalog can load and save.

    Subclasses implement :meth:`load` and :meth:`save`, and usually :meth:`exists` and
    :meth:`describe`. :meth:`describe` and ``repr()`` must never show a credential.
    """

    @abc.abstractmethod
    def load(self) -> Any:
        """Return the data."""

    @abc.abstractmethod
    def save(self, data: Any) -> None:
        """Store ``data``, replacing what was there."""

    def exists(self) -> bool:
        """Whether there is data to load. A dataset that cannot tell answers ``False``."""
        return False

    def release(self) -> None:
        """Drop anything held in memory; the default holds nothing."""
        return None

    def describe(self) -> dict[str, Any]:
        """A JSON-friendly summary for messages and listings: never a credential."""
        return {}

    @property
    def metadata(self) -> dict[str, Any]:
        """Free-form user data attached to the dataset (plugins read it; hookline does not)."""
        # Kept in __dict__ rather than set by an __init__, so that a subclass ported from Kedro
        # that never calls super().__init__() still has metadata.
        found: dict[str, Any] | None = self.__dict__.get("_metadata")
        if found is None:
            found = self.__dict__["_metadata"] = {}
        return found

    @metadata.setter
    def metadata(self, value: Mapping[str, Any] | None) -> None:
        self.__dict__["_metadata"] = dict(value) if value else {}

    @property
    def filepath(self) -> PurePosixPath | None:
        """Where the data lives as Kedro gives it: a ``PurePosixPath`` without the protocol
        (``s3://bucket/x.csv`` gives ``bucket/x.csv``), or ``None`` for data in memory."""
        # A dataset ported from Kedro sets self._filepath in its __init__ (see the setter).
        found = self.__dict__.get("_kedro_filepath")
        return None if found is None else PurePosixPath(str(found))

    @property
    def _filepath(self) -> Any:
        """Kedro's spelling of :attr:`filepath`, kept so that hooks ported from Kedro work: what
        a ported dataset assigned to it, else :attr:`filepath`."""
        found = self.__dict__.get("_kedro_filepath")
        return self.filepath if found is None else found

    @_filepath.setter
    def _filepath(self, value: Any) -> None:
        self.__dict__["_kedro_filepath"] = value

    @property
    def location(self) -> str | None:
        """Where the data lives as one string for messages: the path, or the URL with its
        protocol; ``None`` for data in memory."""
        filepath = self.filepath
        if filepath is None:
            return None
        # A dataset ported from Kedro keeps its protocol apart, as kedro-datasets do.
        protocol = self.__dict__.get("_protocol")
        if isinstance(protocol, str) and protocol != "file":
            return f"{protocol}://{filepath}"
        return str(filepath)

    def _redact(self, text: str) -> str:
        """Return ``text`` with this dataset's secrets hidden (used for error messages)."""
        return redact_userinfo(text)

    def __repr__(self) -> str:
        details = ", ".join(f"{key}={value!r}" for key, value in self.describe().items())
        return f"{type(self).__name__}({details})"


def _mapping_arg(name: str, value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise DatasetError(f"'{name}' must be a mapping, got {type(value).__name__}")
    return dict(value)


def _require_modules(dataset_cls: type[FileDataset]) -> None:
    for module in dataset_cls.REQUIRED_MODULES:
        if not module_installed(module):
            raise DatasetError(
                f"{dataset_cls.__name__} needs the '{module}' package; install it with: "
                f"{dataset_cls.INSTALL_COMMAND}"
            )


@functools.cache
def module_installed(module: str) -> bool:
    """Whether ``module`` can be imported, found without importing it (``False`` for a name
    that cannot be a module); cached, because a catalog with factories makes many datasets
    and each search walks the path."""
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # find_spec raises on "" or ".x"
        return False


def _check_version(kind: str, value: str | None) -> str | None:
    if value is None:
        return None
    text = str(value)
    # A version is one folder name: refuse anything that would step outside the dataset folder.
    if not text or text in {".", ".."} or "/" in text or "\\" in text:
        raise DatasetError(f"Invalid {kind} version {text!r}: a version is a single folder name")
    return text


class FileDataset(AbstractDataset):
    """Base of the datasets stored in one file, locally or through fsspec.

    Args:
        filepath: a local path, or a URL with a protocol (``s3://``, ``memory://``) which goes
            through fsspec (imported only then).
        load_args / save_args: keyword arguments of the reader and the writer, merged over the
            class's ``DEFAULT_LOAD_ARGS`` / ``DEFAULT_SAVE_ARGS``.
        versioned: store each save under ``filepath/<version>/<basename>``.
        version: the :class:`Version` to load and save (implies ``versioned``).
        credentials: keyword arguments of the fsspec file system; never shown anywhere.
        fs_args: ``open_args_load`` / ``open_args_save`` (keyword arguments of ``open()``);
            anything else goes to the fsspec file system.
        metadata: free-form user data.

    Subclasses implement :meth:`_read` and :meth:`_write` on a local path, and may check the
    data in :meth:`_check` before anything is written. Local saves go through
    :func:`atomic_write`; remote saves write a local temporary file first and upload it, so a
    failing writer never touches the remote file either.
    """

    DEFAULT_LOAD_ARGS: ClassVar[dict[str, Any]] = {}
    DEFAULT_SAVE_ARGS: ClassVar[dict[str, Any]] = {}
    DEFAULT_OPEN_ARGS_LOAD: ClassVar[dict[str, Any]] = {}
    DEFAULT_OPEN_ARGS_SAVE: ClassVar[dict[str, Any]] = {}
    #: Modules beyond the core that the dataset needs (an optional extra), checked when it is
    #: made: a clear error when the catalog is built beats an ImportError in the middle of a
    #: run. ``INSTALL_COMMAND`` is what that error tells to run.
    REQUIRED_MODULES: ClassVar[tuple[str, ...]] = ()
    INSTALL_COMMAND: ClassVar[str] = ""

    def __init__(
        self,
        filepath: str | os.PathLike[str],
        *,
        load_args: Mapping[str, Any] | None = None,
        save_args: Mapping[str, Any] | None = None,
        versioned: bool = False,
        version: Version | None = None,
        credentials: Mapping[str, Any] | None = None,
        fs_args: Mapping[str, Any] | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        _require_modules(type(self))
        if not isinstance(filepath, str | os.PathLike):
            raise DatasetError(f"'filepath' must be a path, got {type(filepath).__name__}")
        text = os.fspath(filepath)
        protocol, rest = split_protocol(text)
        if protocol is not None:
            # "file://x" is the local path x; other URLs keep the part after "://".
            text = rest
            if protocol == "file":
                protocol = None
        self._protocol = protocol
        self._path_text = text
        self._local_path = Path(text) if protocol is None else None
        self._basename = posixpath.basename(text.rstrip("/")) if protocol else Path(text).name
        self._posix_path = _posix_path(text, remote=protocol is not None)
        self._load_args = {**self.DEFAULT_LOAD_ARGS, **_mapping_arg("load_args", load_args)}
        self._save_args = {**self.DEFAULT_SAVE_ARGS, **_mapping_arg("save_args", save_args)}
        fs_options = _mapping_arg("fs_args", fs_args)
        self._open_args_load = {
            **self.DEFAULT_OPEN_ARGS_LOAD,
            **_mapping_arg("open_args_load", fs_options.pop("open_args_load", None)),
        }
        self._open_args_save = {
            **self.DEFAULT_OPEN_ARGS_SAVE,
            **_mapping_arg("open_args_save", fs_options.pop("open_args_save", None)),
        }
        self._fs_args = fs_options
        self._credentials = _mapping_arg("credentials", credentials)
        self._secrets = secret_strings(self._credentials)
        if not isinstance(versioned, bool):
            # From YAML: `versioned: [x]` or `versioned: "no"` must not quietly mean true.
            raise DatasetError(f"'versioned' must be true or false, got {type(versioned).__name__}")
        self._versioned = versioned or version is not None
        if version is not None and not isinstance(version, Version):
            raise DatasetError(f"'version' must be a Version, got {type(version).__name__}")
        given = version or Version()
        self._version = Version(
            _check_version("load", given.load), _check_version("save", given.save)
        )
        self._last_saved_version: str | None = None
        self._fs: Any = None
        self.metadata = metadata

    # -- what subclasses implement ---------------------------------------------------------

    @abc.abstractmethod
    def _read(self, path: Path) -> Any:
        """Read and return the data of the local file ``path``."""

    @abc.abstractmethod
    def _write(self, data: Any, path: Path) -> None:
        """Write ``data`` to the new local file ``path`` (a temporary file)."""

    def _check(self, data: Any) -> None:
        """Raise :class:`DatasetError` if ``data`` cannot be saved; called before any write."""

    # -- public interface --------------------------------------------------------------------

    @property
    def filepath(self) -> PurePosixPath:
        """The configured path without its protocol, as Kedro gives it (for a versioned
        dataset: the folder of its versions); :attr:`location` keeps the protocol."""
        return self._posix_path

    @property
    def location(self) -> str:
        """The configured path or URL, protocol included (for a versioned dataset: the folder
        of its versions)."""
        if self._protocol is None:
            return self._path_text
        return f"{self._protocol}://{self._path_text}"

    @property
    def versioned(self) -> bool:
        """Whether saves go to ``filepath/<version>/<basename>``."""
        return self._versioned

    @property
    def version(self) -> Version:
        """The pinned load version and the save version (``None`` where not pinned)."""
        return self._version

    def list_versions(self) -> list[str]:
        """The versions stored so far, oldest first (``[]`` for an unversioned dataset)."""
        if not self._versioned:
            return []
        if self._local_path is not None:
            if not self._local_path.is_dir():
                return []
            return sorted(
                entry.name
                for entry in self._local_path.iterdir()
                if (entry / self._basename).is_file()
            )
        fs = self._filesystem()
        pattern = f"{self.location.rstrip('/')}/*/{self._basename}"
        return sorted(posixpath.basename(posixpath.dirname(found)) for found in fs.glob(pattern))

    def resolve_load_path(self) -> str:
        """The file that :meth:`load` reads now (for versioned data: the chosen version)."""
        return str(self._load_target())

    def load(self) -> Any:
        """Read the file (for versioned data: the pinned, just saved, or newest version)."""
        target = self._load_target()
        if self._local_path is not None:
            local = Path(target)
            try:
                return self._read(local)
            except FileNotFoundError:
                if not local.exists():
                    raise DatasetError(f"File {local} does not exist") from None
                raise
        import tempfile  # only remote files need a local copy

        fs = self._filesystem()
        remote = str(target)
        if not fs.isfile(remote):
            raise DatasetError(f"File {redact_userinfo(str(target))} does not exist")
        with tempfile.TemporaryDirectory(prefix="hookline-") as folder:
            local = Path(folder) / (self._basename or "data")
            fs.get_file(remote, str(local))
            return self._read(local)

    def save(self, data: Any) -> None:
        """Write ``data`` atomically: a failing save leaves the previous file as it was."""
        self._check(data)
        version, target = self._save_target()
        if self._local_path is not None:
            path = Path(target)
            created_folder = self._versioned and not path.parent.exists()
            try:
                atomic_write(path, lambda tmp: self._write(data, tmp))
            except BaseException:
                if created_folder:
                    # Leaves no empty version folder behind (rmdir refuses a non-empty one).
                    with contextlib.suppress(OSError):
                        path.parent.rmdir()
                raise
        else:
            import tempfile  # only remote files need a local copy

            fs = self._filesystem()
            remote = str(target)
            with tempfile.TemporaryDirectory(prefix="hookline-") as folder:
                local = Path(folder) / (self._basename or "data")
                self._write(data, local)
                fs.makedirs(posixpath.dirname(remote), exist_ok=True)
                fs.put_file(str(local), remote)
        if version is not None:
            self._last_saved_version = version

    def exists(self) -> bool:
        """Whether the file (for versioned data: the version :meth:`load` would read) exists."""
        if self._versioned:
            if self._version.load is not None:
                return self._version.load in self.list_versions()
            if self._last_saved_version is None:
                return bool(self.list_versions())
        target = str(self._load_target())
        if self._local_path is not None:
            return Path(target).is_file()
        return bool(self._filesystem().isfile(target))

    def describe(self) -> dict[str, Any]:
        """Path, protocol, version and arguments; credentials and fs_args are never shown."""
        info: dict[str, Any] = {"filepath": redact_userinfo(self.location)}
        if self._protocol is not None:
            info["protocol"] = self._protocol
        if self._versioned:
            info["versioned"] = True
            info["load_version"] = self._version.load
            info["save_version"] = self._version.save
        if self._load_args:
            info["load_args"] = redact_mapping(self._load_args)
        if self._save_args:
            info["save_args"] = redact_mapping(self._save_args)
        return info

    def _redact(self, text: str) -> str:
        return redact_text(text, self._secrets)

    def __getstate__(self) -> dict[str, Any]:
        # A file-system client (sockets, sessions) is rebuilt where the dataset is unpickled.
        state = dict(self.__dict__)
        state["_fs"] = None
        return state

    # -- internals ---------------------------------------------------------------------------

    def _version_target(self, version: str) -> str | Path:
        if self._local_path is not None:
            return self._local_path / version / self._basename
        return f"{self.location.rstrip('/')}/{version}/{self._basename}"

    def _load_target(self) -> str | Path:
        if not self._versioned:
            return self._local_path if self._local_path is not None else self.location
        pinned = self._version.load
        if pinned is not None:
            existing = self.list_versions()
            if pinned not in existing:
                raise DatasetError(
                    f"Load version '{pinned}' of {redact_userinfo(self.location)} does not exist; "
                    f"existing versions: {_format_versions(existing)}"
                )
            return self._version_target(pinned)
        # After a save in this process, load what was just saved: another process saving
        # a newer version meanwhile must not change what the rest of this run reads.
        version = self._last_saved_version
        if version is None:
            existing = self.list_versions()
            if not existing:
                raise DatasetError(
                    f"No version of {redact_userinfo(self.location)} has been saved yet "
                    f"(versions are stored as {redact_userinfo(self.location)}/<version>/"
                    f"{self._basename})"
                )
            version = existing[-1]
        return self._version_target(version)

    def _save_target(self) -> tuple[str | None, str | Path]:
        if not self._versioned:
            target = self._local_path if self._local_path is not None else self.location
            return None, target
        version = self._version.save or generate_timestamp()
        target = self._version_target(version)
        if self._target_exists(target):
            raise DatasetError(
                f"Save version '{version}' of {redact_userinfo(self.location)} already exists: "
                "a version is written once and never overwritten"
            )
        return version, target

    def _target_exists(self, target: str | Path) -> bool:
        if self._local_path is not None:
            return Path(target).exists()
        return bool(self._filesystem().exists(str(target)))

    def _filesystem(self) -> Any:
        if self._fs is None:
            import fsspec  # lazily: local files never need it

            options = {**self._fs_args, **self._credentials}
            self._fs = fsspec.filesystem(self._protocol, **options)
        return self._fs


def _posix_path(text: str, *, remote: bool) -> PurePosixPath:
    """Kedro's form of a dataset path: a local path in posix form, or a URL's part after
    ``://`` without any ``user:password@`` (a hook may log the path anywhere)."""
    if not remote:
        return PurePosixPath(Path(text).as_posix())
    authority, slash, rest = text.partition("/")
    return PurePosixPath(authority.rpartition("@")[2] + slash + rest)


def _format_versions(versions: list[str]) -> str:
    if not versions:
        return "none"
    return ", ".join(versions)
