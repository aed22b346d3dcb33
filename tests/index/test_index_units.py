"""The static index's pieces on their own: canonical JSON, matching, the trust decision, state."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from dativo_index.static_index import IndexEntry, IndexRefused, IndexStateStore, index_base
from dativo_index.static_index.canonical import canonical_json
from dativo_index.static_index.document import (
    iso_z,
    key_entry,
    parse_envelope,
    sign_index,
)
from dativo_index.static_index.keys import key_id
from dativo_index.static_index.matching import parse_words, search_entries
from dativo_index.static_index.pins import configured_indexes, resolve_index
from dativo_index.static_index.state import IndexRecord
from dativo_index.static_index.verify import PinnedKey, verify_index
from dativo_pkg.errors import ConfigError

NOW = dt.datetime(2025, 1, 10, 12, tzinfo=dt.UTC)
URL = "https://mirror.example/dativo"


def _entry(name: str, summary: str = "", **fields: Any) -> IndexEntry:
    return IndexEntry.model_validate(
        {
            "name": name,
            "normalized": name,
            "version": "1.0",
            "summary": summary,
            "detail": f"plugins/{name}.json",
            "sha256": "0" * 64,
            "size": 1,
            **fields,
        }
    )


def _envelope(key: ed25519.Ed25519PrivateKey, version: int = 3, days: int = 7) -> bytes:
    signed = {
        "_type": "dativo-index",
        "spec_version": 1,
        "version": version,
        "expires": iso_z(NOW + dt.timedelta(days=days)),
        "generated": iso_z(NOW),
        "registry": "https://registry.example",
        "keys": key_entry(key.public_key()),
        "plugins": [_entry("dativo-pg").model_dump(mode="json")],
    }
    return canonical_json(sign_index(signed, key))


def _verify(data: bytes, **kwargs: Any) -> Any:
    options: dict[str, Any] = {"pinned": None, "record": None, "now": NOW, **kwargs}
    return verify_index(parse_envelope(data, "index.json"), URL, **options)


def test_canonical_json_is_sorted_compact_utf8() -> None:
    assert canonical_json({"b": [1, 2.5], "a": "é"}) == '{"a":"é","b":[1,2.5]}'.encode()
    with pytest.raises(ValueError):
        canonical_json({"x": float("nan")})


SEARCH = [
    _entry("dativo-pg", "PostgreSQL tables", kinds=["reader", "writer"], connectors=["pg"]),
    _entry("dativo-csv", "CSV files", kinds=["reader"], connectors=["csv"], downloads=9),
    _entry("acme-http", "HTTP posts", kinds=["writer"], descriptions=["Posts rows as JSON"]),
]


@pytest.mark.parametrize(
    ("query", "kind", "expected"),
    [
        (None, None, ["dativo-csv", "acme-http", "dativo-pg"]),  # downloads, then name
        ("", "writer", ["acme-http", "dativo-pg"]),
        ("postgre", None, ["dativo-pg"]),  # the last word is a prefix
        ("postgre tables", None, []),  # other words are whole words
        ("DATIVO", None, ["dativo-csv", "dativo-pg"]),
        ("dativo-pg", None, ["dativo-pg"]),  # a phrase of its tokens
        ("pg-dativo", None, []),
        ("json", None, ["acme-http"]),  # plugin descriptions count
        ("'; DROP TABLE plugins; --", None, []),
        ("%", None, ["dativo-csv", "acme-http", "dativo-pg"]),  # no words: everything
        ('"csv" *', None, ["dativo-csv"]),
        ("csv OR pg", None, []),  # OR is a word, not an operator
        ("<script>alert(1)</script>", None, []),
    ],
)
def test_search_matches_words_like_the_registry(
    query: str | None, kind: str | None, expected: list[str]
) -> None:
    assert [e.normalized for e in search_entries(SEARCH, query, kind)] == expected


def test_query_words_are_phrases_of_tokens() -> None:
    assert parse_words("Dativo-PG  a_b ** <x>") == [("dativo", "pg"), ("a", "b"), ("x",)]


def test_first_use_trusts_the_announced_key_then_requires_it() -> None:
    key = ed25519.Ed25519PrivateKey.generate()
    verified, record = _verify(_envelope(key))
    assert verified.trusted_by == "first-use"
    assert record.keyid == key_id(key.public_key()) and record.version == 3
    verified, _ = _verify(_envelope(key, version=4), record=record)
    assert verified.trusted_by == "recorded"
    other = ed25519.Ed25519PrivateKey.generate()
    with pytest.raises(IndexRefused, match="index key changed"):
        _verify(_envelope(other, version=5), record=record)


def test_pinned_key_wins_and_a_wrong_one_is_refused() -> None:
    key = ed25519.Ed25519PrivateKey.generate()
    pinned = PinnedKey(key.public_key(), "--index-key k.pub")
    assert _verify(_envelope(key), pinned=pinned)[0].trusted_by == "pinned"
    wrong = PinnedKey(ed25519.Ed25519PrivateKey.generate().public_key(), "--index-key o.pub")
    with pytest.raises(IndexRefused, match="not signed by the pinned index key") as refused:
        _verify(_envelope(key), pinned=wrong)
    assert refused.value.exit_code == 7


def test_rollback_and_freeze_are_refused_same_version_is_not() -> None:
    key = ed25519.Ed25519PrivateKey.generate()
    _, record = _verify(_envelope(key, version=5))
    assert _verify(_envelope(key, version=5), record=record)[1].version == 5
    with pytest.raises(IndexRefused, match="older than version 5"):
        _verify(_envelope(key, version=4), record=record)
    with pytest.raises(IndexRefused, match="expired"):
        _verify(_envelope(key, version=6), record=record, now=NOW + dt.timedelta(days=8))


def test_a_key_announced_under_another_id_is_not_believed() -> None:
    key = ed25519.Ed25519PrivateKey.generate()
    envelope = parse_envelope(_envelope(key), "index.json")
    keys = envelope.signed["keys"]
    envelope.signed["keys"] = {"sha256:" + "1" * 64: next(iter(keys.values()))}
    # The signature now covers other bytes, and the announced key is mislabelled: refused.
    with pytest.raises(IndexRefused, match="no valid signature"):
        verify_index(envelope, URL, None, None, NOW)


@pytest.mark.parametrize(
    "data",
    [b"not json", b"[]", b'{"signed": {}}', b'{"signed": {}, "signatures": [{"sig": "@@"}]}'],
)
def test_garbage_is_refused(data: bytes) -> None:
    with pytest.raises(IndexRefused):
        _verify(data)


def test_signed_but_invalid_index_is_refused() -> None:
    key = ed25519.Ed25519PrivateKey.generate()
    signed = {"_type": "dativo-index", "spec_version": 1, "keys": key_entry(key.public_key())}
    with pytest.raises(IndexRefused, match="not a valid dativo index"):
        _verify(canonical_json(sign_index(signed, key)))
    newer = {**signed, "spec_version": 2}
    with pytest.raises(IndexRefused, match="upgrade"):
        _verify(canonical_json(sign_index(newer, key)))


def test_state_is_written_atomically_and_damage_is_refused(tmp_path: Path) -> None:
    store = IndexStateStore(tmp_path / "state" / "indexes.json")
    record = IndexRecord("sha256:ab", "PEM", 3, "2025-01-01T00:00:00Z", "2025-01-01T00:00:00Z")
    with store.transaction() as records:
        records[URL] = record
    assert store.read() == {URL: record}
    with pytest.raises(RuntimeError), store.transaction() as records:
        records[URL] = IndexRecord("sha256:cd", "PEM", 1, "x", "y")
        raise RuntimeError("verification failed")
    assert store.read() == {URL: record}  # nothing written by a failed block
    store.path.write_text("{")
    with pytest.raises(ConfigError, match="damaged"):
        store.read()


def test_index_base_names_one_root(tmp_path: Path) -> None:
    assert index_base("https://m.example/x/index.json") == "https://m.example/x"
    assert index_base("https://m.example/x/") == "https://m.example/x"
    assert index_base(str(tmp_path / "out")) == (tmp_path / "out").as_uri()
    assert index_base((tmp_path / "out" / "index.json").as_uri()) == (tmp_path / "out").as_uri()


def test_config_pins_a_key_by_name_or_url(tmp_path: Path) -> None:
    key = ed25519.Ed25519PrivateKey.generate()
    from dativo_index.static_index.keys import public_pem

    (tmp_path / "index.pub").write_text(public_pem(key.public_key()))
    config = tmp_path / "config.toml"
    config.write_text(f'[indexes.mirror]\nurl = "{URL}/"\nkey = "index.pub"\n')
    assert configured_indexes(config)["mirror"].base == URL
    for selector in ("mirror", f"{URL}/index.json"):
        base, pinned = resolve_index(selector, None, config)
        assert base == URL and pinned is not None
        assert key_id(pinned.key) == key_id(key.public_key())
    assert resolve_index("https://other.example", None, config)[1] is None
    config.write_text('[indexes.mirror]\nurl = "x"\nsecret = 1\n')
    with pytest.raises(ConfigError, match="unknown key secret"):
        configured_indexes(config)
