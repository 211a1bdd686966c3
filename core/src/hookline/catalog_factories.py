"""Dataset factories: catalog entries whose name is a pattern, with Kedro's semantics.

An entry named ``"{name}_csv"`` stands for every dataset whose name matches it: dataset
``cars_csv`` gets the entry with ``{name}`` replaced by ``cars`` in every string of it
(``filepath: data/{name}.csv`` becomes ``data/cars.csv``). A name is matched as Kedro matches
it, with the ``parse`` library (imported only for a catalog that has patterns): the whole
name, letters' case ignored. When several patterns match, the most specific wins: the most
characters outside placeholders, then the most placeholders (Kedro's order, which ranks
``"{namespace}.{name}"`` above ``"{name}"`` when both match), then alphabetical order; a
pattern made of placeholders only (``"{default}"``) is the catch-all, tried last, and replaces
the memory datasets of names nothing else matches. Unlike Kedro, two patterns equal on both
counts that match one name are an error rather than settled by the alphabet.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from hookline.errors import DatasetError

if TYPE_CHECKING:
    import parse

__all__ = ["DatasetFactories", "FactoryMatch", "FactoryPattern", "is_pattern"]

_PLACEHOLDER = re.compile(r"\{.*?\}")


def is_pattern(name: str) -> bool:
    """Whether catalog entry ``name`` is a factory pattern (it holds a ``{``, as in Kedro)."""
    return "{" in name


@dataclass(frozen=True)
class FactoryPattern:
    """One pattern entry of the catalog.

    Attributes:
        text: The entry's name, e.g. ``"{namespace}.{name}_csv"``.
        entry: The entry, its strings holding placeholders.
        specificity: The number of characters outside placeholders.
        placeholders: The number of placeholders.
    """

    text: str
    entry: Mapping[str, Any]
    specificity: int
    placeholders: int
    _parser: parse.Parser = field(repr=False, compare=False)
    # The text before the first placeholder and after the last, case-folded: a name that
    # does not start and end so cannot match, and checking that first spares most parses.
    _prefix: str = field(init=False, repr=False, compare=False)
    _suffix: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        folded = self.text.casefold()
        object.__setattr__(self, "_prefix", folded[: folded.find("{")])
        object.__setattr__(self, "_suffix", folded[folded.rfind("}") + 1 :])

    @property
    def rank(self) -> tuple[int, int]:
        """What orders patterns: the most specific first (sort ascending on this)."""
        return (-self.specificity, -self.placeholders)

    def match(self, name: str) -> dict[str, Any] | None:
        """The placeholders' values if ``name`` matches the whole pattern, else ``None``."""
        folded = name.casefold()
        if not (folded.startswith(self._prefix) and folded.endswith(self._suffix)):
            return None
        found = self._parser.parse(name)
        if found is None:
            return None
        return dict(found.named)


@dataclass(frozen=True)
class FactoryMatch:
    """A pattern that matched a dataset name, and the values of its placeholders."""

    pattern: FactoryPattern
    values: dict[str, Any]


class DatasetFactories:
    """The pattern entries of one catalog, ranked, and the configuration they give a name.

    Args:
        patterns: pattern -> entry (the catalog's entries whose name :func:`is_pattern`).
        source: the catalog file(s), for error messages.

    Raises:
        DatasetError: a pattern is not valid, an entry is not a mapping or uses a placeholder
            its name lacks, or a second catch-all pattern exists (naming the file and the
            entries).
    """

    def __init__(self, patterns: Mapping[str, Any], source: str) -> None:
        import parse  # only a catalog with patterns needs it

        self.source = source
        ranked: list[FactoryPattern] = []
        for text, entry in patterns.items():
            _check_entry(text, entry, source)
            try:
                parser = parse.compile(text)
            except ValueError as error:  # a format spec parse does not know: "{name:zz}"
                raise DatasetError(
                    f"{source}: catalog entry '{text}' is not a valid pattern: {error}"
                ) from None
            leftover = _PLACEHOLDER.sub("", text)
            ranked.append(FactoryPattern(text, entry, len(leftover), text.count("{"), parser))
        ranked.sort(key=lambda p: (*p.rank, p.text))
        catch_alls = [p for p in ranked if p.specificity == 0]
        if len(catch_alls) > 1:
            names = ", ".join(f"'{p.text}'" for p in catch_alls)
            raise DatasetError(
                f"{source}: catalog entries {names} are all catch-all patterns (nothing outside "
                "their placeholders); keep one"
            )
        self._specific = [p for p in ranked if p.specificity > 0]
        self._catch_all = catch_alls[0] if catch_alls else None

    @property
    def patterns(self) -> list[FactoryPattern]:
        """Every pattern in the order names are matched against them, the catch-all last."""
        return [*self._specific, *([self._catch_all] if self._catch_all else [])]

    def match(self, name: str, *, catch_all: bool = True) -> FactoryMatch | None:
        """The pattern that gives dataset ``name`` its entry, or ``None``.

        Args:
            name: A dataset name.
            catch_all: Whether the catch-all pattern may answer (Kedro's load versions, for
                one, only accept a name that a specific pattern matches).

        Raises:
            DatasetError: two patterns of the same rank match ``name`` (naming both).
        """
        for index, pattern in enumerate(self._specific):
            values = pattern.match(name)
            if values is None:
                continue
            for rival in self._specific[index + 1 :]:
                if rival.rank != pattern.rank:
                    break
                if rival.match(name) is not None:
                    raise DatasetError(
                        f"{self.source}: dataset '{name}' matches catalog entries "
                        f"'{pattern.text}' and '{rival.text}' equally (as many characters "
                        "outside placeholders, as many placeholders): make one more specific, "
                        f"or add an entry named '{name}'"
                    )
            return FactoryMatch(pattern, values)
        if catch_all and self._catch_all is not None:
            values = self._catch_all.match(name)
            if values is not None:
                return FactoryMatch(self._catch_all, values)
        return None

    def resolve(self, name: str, found: FactoryMatch) -> dict[str, Any]:
        """The entry ``found.pattern`` gives dataset ``name``: its placeholders filled in."""
        try:
            resolved: dict[str, Any] = _fill(dict(found.pattern.entry), found.values)
        except (KeyError, ValueError, IndexError) as error:
            raise DatasetError(
                f"{self.source}: catalog entry '{found.pattern.text}' cannot be filled in for "
                f"dataset '{name}': {type(error).__name__}: {error}"
            ) from None
        return resolved


def _check_entry(text: str, entry: Any, source: str) -> None:
    """Kedro's rule: every placeholder the entry uses appears in its name."""
    if not isinstance(entry, Mapping):
        raise DatasetError(
            f"{source}: catalog entry '{text}' must be a mapping with a 'type' key, "
            f"not a {type(entry).__name__}"
        )
    used = set(_placeholders_in(entry))
    unknown = sorted(used - set(_PLACEHOLDER.findall(text)))
    if unknown:
        raise DatasetError(
            f"{source}: catalog entry '{text}' uses {', '.join(unknown)}, which its name "
            "does not hold: every placeholder of the entry must appear in the pattern"
        )


def _placeholders_in(value: Any) -> Iterable[str]:
    if isinstance(value, Mapping):
        for item in value.values():
            yield from _placeholders_in(item)
    elif type(value) in (list, tuple):
        for item in value:
            yield from _placeholders_in(item)
    elif isinstance(value, str) and "}" in value:
        yield from _PLACEHOLDER.findall(value)


def _fill(value: Any, values: Mapping[str, Any]) -> Any:
    """``value`` with the placeholders of every string in it replaced (dicts, lists and
    tuples are walked; a string without ``}`` is left alone, braces included)."""
    if isinstance(value, Mapping):
        return {key: _fill(item, values) for key, item in value.items()}
    if type(value) in (list, tuple):
        return [_fill(item, values) for item in value]
    if isinstance(value, str) and "}" in value:
        return value.format_map(values)
    return value
