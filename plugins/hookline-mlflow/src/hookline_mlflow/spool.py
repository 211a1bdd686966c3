"""The spool: what a run could not deliver to its tracking store, kept in a JSON lines file.

When the tracking server is still away at the end of a run (or of a worker's node), the
metrics, params, tags, artifact uploads and end status that did not reach it are written to
``<spool_dir>/<run id>.jsonl`` (workers: ``<run id>.<pid>.jsonl``, one file per worker
process), one entity per line::

    {"kind": "run", "run_id": "...", "experiment_id": "1", "tracking_uri": "http://..."}
    {"kind": "param", "key": "x", "value": "3"}
    {"kind": "tag", "key": "hookline.status", "value": "FINISHED"}
    {"kind": "metric", "key": "node_duration_s/b", "value": 0.1, "timestamp": 17..., "step": 0}
    {"kind": "artifact", "local_path": "/.../data/total.json", "artifact_path": "total"}
    {"kind": "text", "artifact_file": "hookline/pipeline.json", "text": "{...}"}
    {"kind": "lost", "what": "model regressor"}
    {"kind": "end", "status": "FINISHED", "end_time": 1763...}

A second write to the same file (the run adopted again while the server is still away, a
worker's next node) adds to it, with a ``run`` line of its own: nothing written before is lost.

``hookline mlflow replay`` sends a file's entities to the run it names (with MLflow's client
and its usual retries, and the credentials of ``MLFLOW_TRACKING_USERNAME`` and
``MLFLOW_TRACKING_PASSWORD`` or ``MLFLOW_TRACKING_TOKEN``), uploads the artifacts that still
exist, ends the run with the last status and deletes the file. Every value in a spool was
redacted before it was recorded (no secret is kept): :func:`write` removes a URI's
``user:password@`` and hides the user:password of any URL in the reason; the hooks hide the
strings of ``credentials.yml`` before they record anything.
"""

from __future__ import annotations

import datetime
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hookline.plugin import redact_userinfo, strip_userinfo
from hookline_mlflow.run_logger import Undelivered, split_batches
from hookline_mlflow.store import KeyValue, MetricRow

#: The file name pattern of spool files.
SUFFIX = ".jsonl"


class SpoolError(ValueError):
    """A file that is not a readable spool file (the message names the file and line)."""


@dataclass
class Spooled:
    """The contents of one spool file."""

    path: Path
    run_id: str
    experiment_id: str
    tracking_uri: str
    metrics: list[MetricRow] = field(default_factory=list)
    params: list[KeyValue] = field(default_factory=list)
    tags: list[KeyValue] = field(default_factory=list)
    artifacts: list[tuple[str, str]] = field(default_factory=list)
    #: (artifact file, text): small artifacts kept whole, e.g. the pipeline's structure.
    texts: list[tuple[str, str]] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)
    status: str | None = None
    end_time: int | None = None

    def summary(self) -> str:
        """What the file holds, in one line."""
        parts = [
            f"{len(self.metrics)} metric value(s)",
            f"{len(self.params)} param(s)",
            f"{len(self.tags)} tag(s)",
            f"{len(self.artifacts) + len(self.texts)} artifact(s)",
        ]
        if self.status:
            parts.append(f"end status {self.status}")
        return ", ".join(parts)


def spool_file(spool_dir: Path, run_id: str, worker: str | None = None) -> Path:
    """Where the spool of ``run_id`` goes (``worker``: a worker process's own file, named by
    it, e.g. its pid)."""
    name = run_id if worker is None else f"{run_id}.{worker}"
    return spool_dir / f"{name}{SUFFIX}"


def files_of(spool_dir: Path, run_id: str | None = None) -> list[Path]:
    """The spool files in ``spool_dir`` (of ``run_id`` only, if given): workers' files first,
    so that a run is ended after everything of it was sent."""
    if not spool_dir.is_dir():
        return []
    found = [p for p in spool_dir.glob(f"*{SUFFIX}") if not p.name.startswith(".")]
    if run_id is not None:
        found = [p for p in found if p.name.split(".")[0] == run_id]
    return replay_order(found)


def replay_order(paths: Iterable[Path]) -> list[Path]:
    """``paths`` in the order to send them: a run's worker files before the run's own file
    (which ends the run)."""
    return sorted(paths, key=lambda p: (p.name.count(".") == 1, p.name))


def write(
    path: Path,
    *,
    run_id: str,
    experiment_id: str,
    tracking_uri: str,
    undelivered: Undelivered,
) -> None:
    """Add ``undelivered`` to the spool file ``path`` (created if needed).

    The lines are appended in one write (a worker adds to its file after every node of an
    outage: rewriting it each time would cost the square of its size), and synced to disk.
    The URI is written without its ``user:password@``, and the reason with the user:password
    of any URL hidden.
    """
    lines: list[dict[str, Any]] = [
        {
            "kind": "run",
            "run_id": run_id,
            "experiment_id": experiment_id,
            "tracking_uri": strip_userinfo(tracking_uri),
            "written": datetime.datetime.now(datetime.timezone.utc).isoformat(),
            "reason": redact_userinfo(undelivered.reason),
        }
    ]
    lines += [{"kind": "param", "key": k, "value": v} for k, v in undelivered.params]
    lines += [{"kind": "tag", "key": k, "value": v} for k, v in undelivered.tags]
    lines += [
        {"kind": "metric", "key": k, "value": v, "timestamp": ts, "step": step}
        for k, v, ts, step in undelivered.metrics
    ]
    for upload in undelivered.uploads:
        if upload.record is not None:
            lines.append(upload.record)
        else:
            lines.append({"kind": "lost", "what": upload.what})
    if undelivered.status is not None:
        end_time = int(datetime.datetime.now(datetime.timezone.utc).timestamp() * 1000)
        lines.append({"kind": "end", "status": undelivered.status, "end_time": end_time})
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "".join(json.dumps(line) + "\n" for line in lines)
    with path.open("ab") as out:
        if out.tell() and not _ends_with_newline(path):
            text = "\n" + text  # after a write cut short: the new lines stay whole
        out.write(text.encode("utf-8"))
        out.flush()
        os.fsync(out.fileno())


def _ends_with_newline(path: Path) -> bool:
    with path.open("rb") as source:
        source.seek(-1, os.SEEK_END)
        return source.read(1) == b"\n"


def read(path: Path) -> Spooled:
    """Read a spool file.

    Raises:
        SpoolError: Naming the file and line, if it is not a spool file.
    """
    spooled: Spooled | None = None
    for number, line in _lines(path):
        try:
            spooled = _add(spooled, line, path, number)
        except SpoolError:
            raise
        except (KeyError, TypeError, ValueError) as error:
            raise SpoolError(f"{path}: line {number} is malformed ({error!r})") from None
    if spooled is None:
        raise SpoolError(f"{path}: not a hookline-mlflow spool file (no 'run' line)")
    return spooled


def _add(spooled: Spooled | None, line: dict[str, Any], path: Path, number: int) -> Spooled:
    """Add one line of a spool file to what was read so far."""
    kind = line.get("kind")
    if kind == "run":
        return _run_line(spooled, line, path, number)
    if spooled is None:
        raise SpoolError(f"{path}: line {number} comes before the 'run' line")
    if kind == "param":
        spooled.params.append((str(line["key"]), str(line["value"])))
    elif kind == "tag":
        spooled.tags.append((str(line["key"]), str(line["value"])))
    elif kind == "metric":
        row = (str(line["key"]), float(line["value"]), int(line["timestamp"]), int(line["step"]))
        spooled.metrics.append(row)
    elif kind == "artifact":
        spooled.artifacts.append((str(line["local_path"]), str(line["artifact_path"])))
    elif kind == "text":
        spooled.texts.append((str(line["artifact_file"]), str(line["text"])))
    elif kind == "lost":
        spooled.lost.append(str(line["what"]))
    elif kind == "end":
        spooled.status, spooled.end_time = str(line["status"]), int(line["end_time"])
    else:
        raise SpoolError(f"{path}: line {number} has the unknown kind {kind!r}")
    return spooled


def _run_line(spooled: Spooled | None, line: dict[str, Any], path: Path, number: int) -> Spooled:
    """The first ``run`` line starts the spool; a later one (a later write) continues it."""
    run_id = str(line["run_id"])
    if spooled is None:
        return Spooled(path, run_id, str(line["experiment_id"]), str(line["tracking_uri"]))
    if run_id != spooled.run_id:
        raise SpoolError(f"{path}: line {number} names run {run_id}, not {spooled.run_id}")
    return spooled


def replay(spooled: Spooled, client: Any) -> list[str]:
    """Send a spool's contents to its run through ``client`` (an ``MlflowClient``), end the run
    with its (last) status, and delete the file. Return the artifacts that no longer exist (not
    uploaded).

    Raises:
        Exception: Whatever the client raises; the file is kept.
    """
    from mlflow.entities import Metric, Param, RunTag

    for batch in split_batches(spooled.metrics, spooled.params, spooled.tags):
        client.log_batch(
            spooled.run_id,
            metrics=[Metric(k, v, ts, step) for k, v, ts, step in batch.metrics],
            params=[Param(k, v) for k, v in batch.params],
            tags=[RunTag(k, v) for k, v in batch.tags],
            synchronous=True,
        )
    missing: list[str] = []
    for local, folder in spooled.artifacts:
        source = Path(local)
        if source.is_dir():
            client.log_artifacts(spooled.run_id, str(source), folder)
        elif source.is_file():
            client.log_artifact(spooled.run_id, str(source), folder)
        else:
            missing.append(local)
    for artifact_file, text in spooled.texts:
        client.log_text(spooled.run_id, text, artifact_file)
    if spooled.status is not None:
        client.set_terminated(spooled.run_id, spooled.status, end_time=spooled.end_time)
    spooled.path.unlink(missing_ok=True)
    return missing


def _lines(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    with path.open(encoding="utf-8") as source:
        for number, text in enumerate(source, start=1):
            if not text.strip():
                continue
            try:
                line = json.loads(text)
            except json.JSONDecodeError as error:
                if not text.endswith("\n"):
                    return  # the end of a write cut short (a crash): what came before stands
                raise SpoolError(f"{path}: line {number} is not JSON ({error.msg})") from None
            if not isinstance(line, dict):
                raise SpoolError(f"{path}: line {number} is not a JSON object")
            yield number, line
