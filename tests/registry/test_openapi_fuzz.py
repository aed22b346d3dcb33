"""schemathesis against ``/openapi.json`` of a real server: no request gets a server error.

Every operation the document describes is called with generated requests,
valid ones and deliberately invalid ones (schemathesis' positive and
negative modes), with the API token of the owner of the one project in the
registry. Generated names rarely name anything, so each operation is also
called with its path naming what exists (that project, its release, its
file): those requests get past the lookups, into the code that handles real
rows. The check is schemathesis' ``not_a_server_error``: any 5xx fails, and
the failure shows the request as a curl command.

The fuzzing runs on SQLite only, to keep it short. What it found, and what
differs on PostgreSQL (which refuses NUL in text, and NaN in JSON), is pinned
on both databases by ``test_what_python_parses_but_json_cannot_hold``.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from conftest import Registry
from dists import MANIFEST, write_wheel
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import APIOperation, Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.core.result import Err
from schemathesis.schemas import BaseSchema
from uploads import new_token, output, twine_upload

#: Generated requests per operation and kind (valid or not, on existing paths or not).
MAX_EXAMPLES = 25
PROJECT, VERSION = "dativo-fuzzed", "1.0"
ENTRY_POINTS = "[dativo.readers]\nhello = dativo_fuzzed:HelloReader\n"

Operation = APIOperation[Any, Any, Any, Any]


def _seed(registry: Registry, workdir: Path) -> tuple[str, dict[str, str]]:
    """Upload a plugin as alice: her token, and path parameters that name what exists."""
    files = {
        "dativo_fuzzed/__init__.py": b'"""A plugin to fuzz around."""\n',
        "dativo_fuzzed/dativo-plugin.json": json.dumps(MANIFEST).encode(),
    }
    wheel = write_wheel(workdir, PROJECT, VERSION, files, entry_points=ENTRY_POINTS)
    token = new_token(registry, "alice")
    result = twine_upload(registry, token, wheel)
    assert result.returncode == 0, output(result)
    existing = {
        "project": PROJECT,
        "version": VERSION,
        "sha256": hashlib.sha256(wheel.read_bytes()).hexdigest(),
        "filename": wheel.name,
    }
    return token, existing


def _strategies(
    operation: Operation, existing: dict[str, str]
) -> list[st.SearchStrategy[Case[Any]]]:
    """Valid and invalid requests; again on existing paths if the operation has any."""
    path = {p.name for p in operation.iter_parameters() if p.location == "path"}
    real = {name: value for name, value in existing.items() if name in path}
    strategies = [operation.as_strategy(mode) for mode in GenerationMode]
    if real:
        strategies += [operation.as_strategy(mode, path_parameters=real) for mode in GenerationMode]
    return strategies


def _server_error(
    operation: Operation, base_url: str, token: str, existing: dict[str, str]
) -> str | None:
    """What schemathesis reports for the first request of ``operation`` that gets a 5xx."""
    headers = {"Authorization": f"Bearer {token}"}

    def call(case: Case[Any]) -> None:
        case.call_and_validate(base_url=base_url, headers=headers, checks=[not_a_server_error])

    budget = settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,  # the same requests every run
        phases=[Phase.explicit, Phase.generate],  # no shrinking: it costs requests
        suppress_health_check=list(HealthCheck),
    )
    for strategy in _strategies(operation, existing):
        try:
            budget(given(strategy)(call))()
        except FailureGroup as failure:  # the check, the response and a curl command
            return str(failure)
        except Unsatisfiable:  # nothing left to make invalid once the path is fixed
            continue
    return None


def _operations(schema: BaseSchema) -> list[Operation]:
    operations = []
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            pytest.fail(f"schemathesis cannot read part of /openapi.json: {result.err()}")
        operations.append(result.ok())
    return operations


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_no_operation_answers_with_a_server_error(registry: Registry, tmp_path: Path) -> None:
    token, existing = _seed(registry, tmp_path)
    schema = schemathesis.openapi.from_url(f"{registry.url}/openapi.json")
    operations = _operations(schema)
    assert {op.label for op in operations} >= {
        "GET /api/v1/plugins",
        "POST /api/v1/projects/{project}/{version}/yank",
        "POST /legacy/",
    }

    failures = {
        op.label: failure
        for op in operations
        if (failure := _server_error(op, registry.url, token, existing)) is not None
    }

    assert not failures, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())


#: JSON bodies Python's parser accepts (NaN, infinities, unpaired surrogates, NUL):
#: (operation, body, status, what the answer says).
ODD_BODIES = [
    ("conformance", '{"score": NaN}', 422, "not strict JSON"),
    ("benchmarks", '{"rows_per_second": 1e400}', 422, "not strict JSON"),
    ("conformance", '{"note": "\\ud800"}', 422, "not strict JSON"),
    ("conformance", '{"note": "NUL \\u0000 is text in JSON"}', 201, "NUL"),
    ("yank", '{"reason": "a\\u0000b"}', 422, "should match pattern"),
    ("yank", '{"reason": "two\\nlines"}', 422, "should match pattern"),
    ("yank", '{"reason": "\\udc00"}', 422, "valid string"),
    ("yank", '{"reason": NaN}', 422, "valid string"),
]


def test_what_python_parses_but_json_cannot_hold(registry: Registry, tmp_path: Path) -> None:
    """Refused with a 422 that says why, never stored: stored, each broke every later read."""
    token, _ = _seed(registry, tmp_path)
    release = f"{PROJECT}/{VERSION}"
    urls = {
        "conformance": f"{registry.url}/api/v1/plugins/{release}/conformance",
        "benchmarks": f"{registry.url}/api/v1/plugins/{release}/benchmarks",
        "yank": f"{registry.url}/api/v1/projects/{release}/yank",
    }
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    for operation, body, status, message in ODD_BODIES:
        response = httpx.post(urls[operation], content=body, headers=headers)
        assert (response.status_code, message in response.text) == (status, True), response.text

    detail = httpx.get(f"{registry.url}/api/v1/plugins/{release}")
    assert detail.status_code == 200, detail.text
    assert detail.json()["yanked"] is False
    assert [a["body"] for a in detail.json()["attachments"]] == [
        {"note": "NUL \u0000 is text in JSON"}
    ]
