"""One call gives a plugin project all its conformance tests::

    # tests/test_conformance.py
    from dativo_conformance.pytest import conformance_suite

    TestConformance = conformance_suite(__file__)

The project's ``pyproject.toml`` is found upwards from the calling file; the
plugin is the one installed in the environment pytest runs in (``pip install
-e .`` first). Each check of the suite becomes one test, up to ``level``
(default ``verified``: certification also needs a signed distribution, which
``dativo-pkg test --dist`` checks). A check that does not apply is skipped.
PostgreSQL fixtures use ``postgres_url`` or ``$DATIVO_TEST_PG_URL``; without
one their tests are skipped.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

from dativo_conformance._check import Check, Level, suite
from dativo_conformance._context import Context
from dativo_conformance._project import load_project, placeholders
from dativo_conformance._runner import open_context, run_check
from dativo_conformance._target import Target

__all__ = ["PG_URL_ENV", "conformance_suite"]

PG_URL_ENV = "DATIVO_TEST_PG_URL"


def conformance_suite(
    anchor: str | Path,
    *,
    level: Level = "verified",
    postgres_url: str | None = None,
    rows: int = 1000,
) -> type:
    """A pytest test class with one test per check, for the project around ``anchor``."""
    project = load_project(Path(anchor).parent if Path(anchor).is_file() else Path(anchor))
    target = Target(project=project)
    url = postgres_url or os.environ.get(PG_URL_ENV) or None
    needs_db = project.fixture == "postgres" or "postgres_url" in placeholders(project.config)
    state: dict[str, Any] = {}

    def context() -> Context:
        if needs_db and not url:
            pytest.skip(f"{project.connector} is tested against PostgreSQL: set {PG_URL_ENV}")
        if "ctx" not in state:
            manager = open_context(target, postgres_url=url, rows=rows)
            state["manager"], state["ctx"] = manager, manager.__enter__()
        ctx: Context = state["ctx"]
        return ctx

    def teardown_class(cls: type) -> None:
        manager = state.pop("manager", None)
        state.pop("ctx", None)
        if manager is not None:
            manager.__exit__(None, None, None)

    namespace: dict[str, Any] = {"teardown_class": classmethod(teardown_class)}
    for check in suite(project.kind, level):
        namespace[f"test_{re.sub(r'[^a-z0-9]+', '_', check.id)}"] = _test_for(check, context)
    return type("TestConformance", (), namespace)


def _test_for(check: type[Check], context: Any) -> Any:
    def test(self: object) -> None:
        result = run_check(check, context())
        if result.status == "not-applicable":
            pytest.skip(result.reason or "not applicable")
        if not result.ok:
            pytest.fail(f"{check.id}: {result.reason}", pytrace=False)

    test.__doc__ = check.title
    test.__name__ = f"test_{check.id}"
    return test
