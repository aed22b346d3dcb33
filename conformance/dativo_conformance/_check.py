"""Checks: small named classes, grouped into suites by plugin kind and level.

A check declares its ``id`` (``reader.nulls-and-types``), a ``title``, the
``kind`` of plugin it applies to (``reader``, ``writer`` or ``any``) and the
``level`` it belongs to, and implements ``run(ctx)``: it returns to pass,
raises :class:`CheckFailed` with the reason to fail, or :class:`NotApplicable`
when the plugin has nothing it could test. Defining a subclass registers it;
:func:`suite` selects the checks of a kind up to a level.

Levels, each including the ones before it:

- ``compatible``: the contract and the manifest;
- ``verified``: every functional check;
- ``certified``: the performance floor, incremental resume, and a valid
  signature on the distribution.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Literal

if TYPE_CHECKING:
    from dativo_conformance._context import Context

__all__ = [
    "LEVELS",
    "Check",
    "CheckFailed",
    "Kind",
    "Level",
    "NotApplicable",
    "level_rank",
    "registered_checks",
    "suite",
]

Level = Literal["compatible", "verified", "certified"]
Kind = Literal["reader", "writer"]
#: Every level, lowest first.
LEVELS: tuple[Level, ...] = ("compatible", "verified", "certified")


def level_rank(level: str) -> int:
    return [str(name) for name in LEVELS].index(level)


class CheckFailed(Exception):
    """The plugin does not do what the check requires; the message says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class NotApplicable(Exception):
    """The check has nothing to test for this plugin; the message says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


_REGISTRY: list[type[Check]] = []


class Check:
    """One conformance check. Subclasses set the class attributes and ``run``."""

    id: ClassVar[str]
    title: ClassVar[str]
    kind: ClassVar[Literal["reader", "writer", "any"]]
    level: ClassVar[Level]

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        if "id" in cls.__dict__:
            _REGISTRY.append(cls)

    def run(self, ctx: Context) -> None:
        raise NotImplementedError


def registered_checks() -> list[type[Check]]:
    """Every check, in the order of definition (cheap contract checks first)."""
    import dativo_conformance.checks  # noqa: F401  (defining the checks registers them)

    return sorted(_REGISTRY, key=lambda check: level_rank(check.level))


def suite(kind: Kind, level: Level) -> list[type[Check]]:
    """The checks a ``kind`` plugin must pass to reach ``level``."""
    rank = level_rank(level)
    return [
        check
        for check in registered_checks()
        if check.kind in (kind, "any") and level_rank(check.level) <= rank
    ]
