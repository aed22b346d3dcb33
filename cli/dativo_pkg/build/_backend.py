"""What every build backend is: the tools it needs and one ``build`` method.

A backend is a class registered by language name in :mod:`dativo_pkg.build`.
It declares the external tools it needs (checked with :func:`shutil.which`
before anything runs, so a missing tool is a clear error rather than a
half-finished build) and builds wheels, plus an sdist where that makes sense,
into a directory it is given. Every command goes through :class:`BuildLog`,
which keeps the output and turns a non-zero exit into :class:`BuildFailed`
quoting the command and the end of its output.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from dativo_pkg.build._errors import BuildFailed, ToolchainMissing

__all__ = ["Backend", "BuildLog", "Tool"]

TAIL_LINES = 30


@dataclass(frozen=True)
class Tool:
    """An external program a backend needs, and how to get it."""

    name: str
    install_hint: str


@dataclass
class BuildLog:
    """Runs the build's commands and keeps everything they printed."""

    lines: list[str] = field(default_factory=list)

    def note(self, text: str) -> None:
        """Record a line of our own (what is about to happen)."""
        self.lines.append(text)

    def run(
        self,
        argv: Sequence[str],
        *,
        cwd: Path,
        env: Mapping[str, str] | None = None,
    ) -> str:
        """Run ``argv`` in ``cwd``; return its stdout, raise BuildFailed on failure.

        ``env`` entries are added to (not substituted for) this process's
        environment. stderr is merged into the log, not into the return value.
        """
        command = shlex.join(str(a) for a in argv)
        self.lines.append(f"$ {command}")
        full_env = {**os.environ, **env} if env is not None else None
        try:
            proc = subprocess.run(
                [str(a) for a in argv],
                cwd=cwd,
                env=full_env,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                errors="replace",
                check=False,
            )
        except FileNotFoundError as exc:
            raise ToolchainMissing(
                f"cannot run {argv[0]}: not found",
                hint=f"install {argv[0]} and make sure it is on PATH",
            ) from exc
        self.lines.extend(proc.stdout.splitlines())
        self.lines.extend(proc.stderr.splitlines())
        if proc.returncode != 0:
            raise BuildFailed(
                f"build command failed with status {proc.returncode}: {command}\n{self.tail()}",
                hint="fix the error above in the project, then run the build again",
            )
        return proc.stdout

    def tail(self, lines: int = TAIL_LINES) -> str:
        """The last ``lines`` lines of the log, indented for quoting in a message."""
        return "\n".join(f"    {line}" for line in self.lines[-lines:])

    def text(self) -> str:
        """The whole log."""
        return "\n".join(self.lines) + ("\n" if self.lines else "")


class Backend(ABC):
    """Builds the distributions of a plugin project written in one language."""

    language: ClassVar[str]
    tools: ClassVar[tuple[Tool, ...]]

    @abstractmethod
    def build(self, project: Path, out_dir: Path, log: BuildLog) -> list[Path]:
        """Write wheels (and an sdist where it makes sense) into ``out_dir``.

        ``out_dir`` exists and is empty; return the paths of what was written.
        """
