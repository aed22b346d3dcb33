"""The plugin manifest model and the API-version check."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from dativo_pkg.errors import CompatibilityError
from dativo_pkg.manifest import Manifest, check_api_range, load_manifest

SCHEMA = {"type": "object"}


def spec(**overrides: Any) -> dict[str, Any]:
    return {"kind": "reader", "connector": "orders", "config_schema": SCHEMA, **overrides}


@pytest.mark.parametrize(
    ("plugin", "problem"),
    [
        (spec(kind="transformer"), "plugins.0.kind"),
        (spec(connector="Orders"), "plugins.0.connector"),
        (spec(connector="has space"), "plugins.0.connector"),
        (spec(api="one or two"), "not a PEP 440 version range"),
        (spec(language="go"), "a go plugin must name its executable"),
        (spec(language="cobol"), "plugins.0.language"),
        (spec(extra_field=1), "plugins.0.extra_field"),
        ({"kind": "reader", "connector": "x"}, "plugins.0.config_schema"),
    ],
)
def test_invalid_manifests_name_the_field(
    tmp_path: Path, plugin: dict[str, Any], problem: str
) -> None:
    path = tmp_path / "dativo-plugin.json"
    path.write_text(json.dumps({"manifest_version": 1, "plugins": [plugin]}))
    with pytest.raises(CompatibilityError, match="invalid plugin manifest") as info:
        load_manifest(path)
    assert problem in str(info.value)


@pytest.mark.parametrize(
    "content", ["{", '{"manifest_version": 1, "plugins": []}', '{"manifest_version": 2}']
)
def test_unreadable_or_empty_manifests_are_refused(tmp_path: Path, content: str) -> None:
    path = tmp_path / "dativo-plugin.json"
    path.write_text(content)
    with pytest.raises(CompatibilityError, match="manifest"):
        load_manifest(path)


def test_a_valid_manifest_finds_its_plugins(tmp_path: Path) -> None:
    path = tmp_path / "dativo-plugin.json"
    manifest = {
        "manifest_version": 1,
        "plugins": [
            spec(capabilities=["incremental"]),
            spec(kind="writer", language="go", executable="bin/w"),
        ],
    }
    path.write_text(json.dumps(manifest))
    loaded = load_manifest(path)
    reader = loaded.find("reader", "orders")
    writer = loaded.find("writer", "orders")
    assert reader is not None and reader.runs_in_process and reader.api == ">=1,<2"
    assert writer is not None and not writer.runs_in_process
    assert loaded.find("reader", "nope") is None


@pytest.mark.parametrize(
    ("api_range", "compatible"),
    [(">=1,<2", True), ("==1", True), ("~=1.0", True), (">=2", False), ("<1", False)],
)
def test_api_ranges(api_range: str, compatible: bool) -> None:
    if compatible:
        check_api_range(api_range, plugin="p")
    else:
        with pytest.raises(CompatibilityError, match="this runtime implements API 1"):
            check_api_range(api_range, plugin="p")


def test_the_manifest_json_schema_describes_the_model() -> None:
    schema = Manifest.model_json_schema()
    assert schema["required"] == ["plugins"]
    assert "PluginSpec" in schema["$defs"]
