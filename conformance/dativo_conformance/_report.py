"""The conformance report: what was tested, every check's result, and the level reached.

``Report.to_json()`` is what ``dativo-pkg test`` writes to ``DIST.conformance.json``
and what ``dativo-pkg sign --conformance`` signs as a statement about the
distribution's digest; the registry reads its top-level ``level``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from dativo_conformance._check import LEVELS, Level, level_rank

__all__ = [
    "SUITE_NAME",
    "SUITE_VERSION",
    "CheckResult",
    "PluginInfo",
    "Report",
    "Status",
    "SubjectInfo",
]

SUITE_NAME = "dativo-conformance"
#: Bumped whenever a check is added or made stricter: reports name the suite they passed.
SUITE_VERSION = "1.0"

Status = Literal["passed", "failed", "not-applicable", "error"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CheckResult(_Model):
    id: str
    title: str
    level: Level
    status: Status
    reason: str | None = None
    seconds: float = 0.0
    measurements: dict[str, Any] = Field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status in ("passed", "not-applicable")


class PluginInfo(_Model):
    kind: str
    connector: str
    distribution: str | None = None
    version: str | None = None
    language: str | None = None


class SubjectInfo(_Model):
    filename: str
    sha256: str


class Report(_Model):
    suite: dict[str, str] = Field(
        default_factory=lambda: {"name": SUITE_NAME, "version": SUITE_VERSION}
    )
    plugin: PluginInfo
    subject: SubjectInfo | None = None
    #: The level the plugin was asked to reach (checks of every level may have run).
    requested_level: Level
    #: The highest level whose every check passed; None when even ``compatible`` failed.
    level: Level | None = None
    signer: dict[str, str] | None = None
    checks: list[CheckResult] = Field(default_factory=list)
    created_at: str = Field(
        default_factory=lambda: dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    )

    @property
    def failed(self) -> list[CheckResult]:
        """The checks that failed or errored."""
        return [c for c in self.checks if not c.ok]

    @property
    def passed(self) -> bool:
        """Whether the requested level was reached."""
        return self.level is not None and level_rank(self.level) >= level_rank(self.requested_level)

    def reached(self) -> Level | None:
        """The highest level all of whose checks ran and passed (or did not apply)."""
        best: Level | None = None
        for level in LEVELS:
            relevant = [c for c in self.checks if level_rank(c.level) <= level_rank(level)]
            ran_all = any(c.level == level for c in self.checks) or level == LEVELS[0]
            if not ran_all:
                break
            if not all(c.ok for c in relevant):
                break
            best = level
        return best

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")
