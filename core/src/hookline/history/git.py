"""The commit a project is at, read from ``.git`` without starting ``git``."""

from __future__ import annotations

from pathlib import Path


def current_commit(project_path: Path) -> str | None:
    """The commit ``HEAD`` points at in the repository holding ``project_path``, or ``None``
    outside a repository (or when it cannot be read)."""
    git_dir = _find_git_dir(project_path.resolve())
    if git_dir is None:
        return None
    try:
        head = (git_dir / "HEAD").read_text(encoding="utf-8").strip()
        if not head.startswith("ref:"):
            return head or None  # a detached HEAD holds the commit itself
        return _resolve_ref(git_dir, head.removeprefix("ref:").strip())
    except OSError:
        return None


def _find_git_dir(start: Path) -> Path | None:
    for folder in (start, *start.parents):
        dot_git = folder / ".git"
        if dot_git.is_dir():
            return dot_git
        if dot_git.is_file():  # a worktree or submodule: "gitdir: <path>"
            text = dot_git.read_text(encoding="utf-8").strip()
            if text.startswith("gitdir:"):
                return (folder / text.removeprefix("gitdir:").strip()).resolve()
    return None


def _resolve_ref(git_dir: Path, ref: str) -> str | None:
    # A worktree keeps HEAD of its own but shares refs with the main repository.
    common = git_dir
    common_file = git_dir / "commondir"
    if common_file.is_file():
        common = (git_dir / common_file.read_text(encoding="utf-8").strip()).resolve()
    for root in (git_dir, common):
        loose = root / ref
        if loose.is_file():
            return loose.read_text(encoding="utf-8").strip()
    packed = common / "packed-refs"
    if packed.is_file():
        for line in packed.read_text(encoding="utf-8").splitlines():
            commit, _, name = line.partition(" ")
            if name == ref:
                return commit
    return None
