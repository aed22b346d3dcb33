"""A plugin's config JSON Schema as table rows: field, type, default, required, description.

The schema is what the plugin's pydantic config model exports (``$defs``
and ``$ref`` for nested models, ``anyOf`` with ``null`` for optional
fields), but it comes from an author's manifest, so it is read
defensively: anything unexpected becomes text, never an error. Nested
objects are flattened into dotted field names (``auth.user``); local
``$ref``s are followed up to :data:`MAX_DEPTH` levels (which also stops
cycles), and at most :data:`MAX_ROWS` rows are returned.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["MAX_DEPTH", "MAX_ROWS", "SchemaRow", "schema_rows"]

MAX_DEPTH = 4
MAX_ROWS = 200


@dataclass(frozen=True)
class SchemaRow:
    field: str
    type: str
    #: The default as JSON text; "" when the field has none.
    default: str
    required: bool
    description: str


def schema_rows(schema: Any) -> list[SchemaRow]:
    """One row per property of ``schema`` (nested objects flattened), in schema order."""
    if not isinstance(schema, Mapping):
        return []
    rows: list[SchemaRow] = []
    _walk(schema, schema, "", rows, 0)
    return rows[:MAX_ROWS]


def _walk(
    root: Mapping[str, Any],
    schema: Mapping[str, Any],
    prefix: str,
    rows: list[SchemaRow],
    depth: int,
) -> None:
    schema = _resolve(root, schema)
    properties = schema.get("properties")
    if not isinstance(properties, Mapping):
        return
    required = schema.get("required")
    needed = {str(r) for r in required} if isinstance(required, list) else set()
    for name, raw in properties.items():
        if len(rows) >= MAX_ROWS:
            return
        prop = raw if isinstance(raw, Mapping) else {}
        field = f"{prefix}{name}"
        target = _resolve(root, prop)
        rows.append(
            SchemaRow(
                field=field,
                type=_type(root, prop),
                default=_json(prop["default"]) if "default" in prop else "",
                required=str(name) in needed,
                description=_description(str(name), prop, target),
            )
        )
        nested = _object_schema(root, prop)
        if nested is not None and depth < MAX_DEPTH:
            _walk(root, nested, f"{field}.", rows, depth + 1)


def _resolve(root: Mapping[str, Any], schema: Mapping[str, Any]) -> Mapping[str, Any]:
    """``schema``, or what its local ``$ref`` (``#/$defs/X``, ``#/definitions/X``) points at."""
    for _ in range(MAX_DEPTH):
        ref = schema.get("$ref")
        if not isinstance(ref, str) or not ref.startswith("#/"):
            return schema
        node: Any = root
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            node = node.get(part) if isinstance(node, Mapping) else None
        if not isinstance(node, Mapping):
            return schema
        schema = node
    return schema


def _object_schema(root: Mapping[str, Any], prop: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The object schema inside ``prop`` (directly, by ``$ref``, or an option of ``anyOf``)."""
    candidates = [prop, *_options(prop)]
    for candidate in candidates:
        resolved = _resolve(root, candidate) if isinstance(candidate, Mapping) else {}
        if isinstance(resolved.get("properties"), Mapping):
            return resolved
    return None


def _options(prop: Mapping[str, Any]) -> list[Any]:
    for key in ("anyOf", "oneOf", "allOf"):
        options = prop.get(key)
        if isinstance(options, list):
            return options
    return []


def _type(root: Mapping[str, Any], prop: Mapping[str, Any], depth: int = 0) -> str:
    """A short human spelling of a property's type: ``integer``, ``string | null``, ..."""
    if depth > MAX_DEPTH:
        return "…"
    options = _options(prop)
    if options:
        names = [_type(root, o, depth + 1) if isinstance(o, Mapping) else "?" for o in options]
        return " | ".join(dict.fromkeys(names))
    target = _resolve(root, prop)
    if "const" in target:
        return _json(target["const"])
    enum = target.get("enum")
    if isinstance(enum, list) and enum:
        return " | ".join(_json(value) for value in enum[:20]) + (" | …" if len(enum) > 20 else "")
    kind = target.get("type")
    if isinstance(kind, list):
        name = " | ".join(str(k) for k in kind)
    elif isinstance(kind, str):
        name = kind
    elif isinstance(target.get("properties"), Mapping):
        name = "object"
    else:
        name = "any"
    if name == "array" and isinstance(target.get("items"), Mapping):
        name = f"array of {_type(root, target['items'], depth + 1)}"
    if name == "object" and target is not prop and isinstance(target.get("title"), str):
        name = f"object ({target['title']})"
    fmt = target.get("format")
    return f"{name} ({fmt})" if isinstance(fmt, str) and fmt else name


def _description(name: str, prop: Mapping[str, Any], target: Mapping[str, Any]) -> str:
    text = prop.get("description") or target.get("description") or _title(name, prop)
    limits = [
        f"{symbol} {_json(prop[key])}"
        for key, symbol in (
            ("minimum", "≥"),
            ("exclusiveMinimum", ">"),
            ("maximum", "≤"),
            ("exclusiveMaximum", "<"),
        )
        if key in prop
    ]
    parts = [str(text).strip(), *limits]
    return "; ".join(part for part in parts if part)


def _title(name: str, prop: Mapping[str, Any]) -> str:
    """An explicit title; not the one pydantic derives from the field name (``Rows``)."""
    title = prop.get("title")
    if not isinstance(title, str) or title.lower().replace(" ", "_") == name.lower():
        return ""
    return title


def _json(value: Any) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    except (TypeError, ValueError):
        return str(value)
