"""The Dativo conformance suite: certify a reader or writer plugin.

Usable three ways:

- ``dativo-pkg test [PATH] [--dist WHEEL]``: the whole suite against the
  built (or given) wheel, a report next to it;
- from pytest, one call in the plugin project's ``tests/test_conformance.py``::

      from dativo_conformance.pytest import conformance_suite
      TestConformance = conformance_suite(__file__)

- from Python: :func:`run_suite`.

Checks are small named classes (:class:`Check`) grouped by plugin kind and
level (``compatible`` < ``verified`` < ``certified``); see docs/conformance.md.
"""

from __future__ import annotations

from dativo_conformance._bench import run_benchmark
from dativo_conformance._check import (
    LEVELS,
    Check,
    CheckFailed,
    Level,
    NotApplicable,
    registered_checks,
    suite,
)
from dativo_conformance._context import Context
from dativo_conformance._dataset import STANDARD_SCHEMA, TYPED_SCHEMA, standard_table
from dativo_conformance._fixtures import ScratchDatabase, dataset_bytes, materialize
from dativo_conformance._measure import Measurement, measure
from dativo_conformance._project import ProjectConfig, find_pyproject, load_project
from dativo_conformance._report import SUITE_NAME, SUITE_VERSION, CheckResult, Report
from dativo_conformance._runner import RunObserver, open_context, run_check, run_suite
from dativo_conformance._target import Target, publishers_from_keys

__all__ = [
    "LEVELS",
    "STANDARD_SCHEMA",
    "SUITE_NAME",
    "SUITE_VERSION",
    "TYPED_SCHEMA",
    "Check",
    "CheckFailed",
    "CheckResult",
    "Context",
    "Level",
    "Measurement",
    "NotApplicable",
    "ProjectConfig",
    "Report",
    "RunObserver",
    "ScratchDatabase",
    "Target",
    "dataset_bytes",
    "find_pyproject",
    "load_project",
    "materialize",
    "measure",
    "open_context",
    "publishers_from_keys",
    "registered_checks",
    "run_benchmark",
    "run_check",
    "run_suite",
    "standard_table",
    "suite",
]
