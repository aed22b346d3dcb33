"""The certification rule (dativo_registry.certification), case by case."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from dativo_pkg.trust import KEY_ISSUER, Publisher, SignerIdentity, generate_private_key
from dativo_pkg.trust import public_key_pem as public_pem
from dativo_registry.certification import (
    LEVELS,
    ReportFact,
    at_least,
    certification_level,
)

WHEEL, SDIST, GONE = "a" * 64, "b" * 64, "c" * 64
GITHUB = "https://token.actions.githubusercontent.com"
WORKFLOW = "https://github.com/acme/plugin/.github/workflows/release.yml"

KEY = Publisher.from_public_key(public_pem(generate_private_key()))
OTHER_KEY = Publisher.from_public_key(public_pem(generate_private_key()))
assert KEY.key_id is not None and OTHER_KEY.key_id is not None
BY_KEY = SignerIdentity(KEY_ISSUER, KEY.key_id)
BY_OTHER_KEY = SignerIdentity(KEY_ISSUER, OTHER_KEY.key_id)
BY_WORKFLOW = SignerIdentity(GITHUB, WORKFLOW + "@refs/tags/v1.0")
BY_STRANGER = SignerIdentity("https://github.com/login/oauth", "mallory@example.com")


def report(
    id: int, level: object, subject: str | None = WHEEL, signer: SignerIdentity | None = BY_KEY
) -> ReportFact:
    return ReportFact(id=id, level=level, subject_sha256=subject, signer=signer)


@dataclass(frozen=True)
class Case:
    reports: list[ReportFact]
    expected: str | None
    #: sha256 -> whether the file carries verified provenance
    files: dict[str, bool] | None = None
    publishers: tuple[Publisher, ...] = (KEY,)


SIGNED_FILES = {WHEEL: True, SDIST: True}

CASES = {
    "no report": Case([], None),
    "certified, by a publisher, file signed": Case([report(1, "certified")], "certified"),
    "verified stays verified": Case([report(1, "verified")], "verified"),
    "compatible stays compatible": Case([report(1, "compatible")], "compatible"),
    "compatible even when signed by a stranger": Case(
        [report(1, "compatible", signer=BY_STRANGER)], "compatible"
    ),
    "certified by someone not a publisher: capped": Case(
        [report(1, "certified", signer=BY_OTHER_KEY)], "verified"
    ),
    "certified keyless by a stranger: capped": Case(
        [report(1, "certified", signer=BY_STRANGER)], "verified"
    ),
    "certified by a workflow publisher (any ref)": Case(
        [report(1, "certified", signer=BY_WORKFLOW)],
        "certified",
        publishers=(Publisher.oidc(GITHUB, WORKFLOW),),
    ),
    "certified, but the project has no publisher now: capped": Case(
        [report(1, "certified")], "verified", publishers=()
    ),
    "certified about a file without provenance: capped": Case(
        [report(1, "certified")], "verified", files={WHEEL: False}
    ),
    "certified about the signed sdist, the wheel unsigned": Case(
        [report(1, "certified", subject=SDIST)], "certified", files={WHEEL: False, SDIST: True}
    ),
    "unsigned report (no subject): no level": Case(
        [report(1, "certified", subject=None, signer=None)], None
    ),
    "report about a file no longer in the release: no level": Case(
        [report(1, "certified", subject=GONE)], None
    ),
    "the newest report decides, even when it is lower": Case(
        [report(1, "certified"), report(2, "compatible")], "compatible"
    ),
    "the newest report decides, in any order": Case(
        [report(7, "certified"), report(3, "compatible")], "certified"
    ),
    "a newer report about a removed file does not count": Case(
        [report(1, "verified"), report(2, "compatible", subject=GONE)], "verified"
    ),
    "a newer unsigned report does not count": Case(
        [report(1, "verified"), report(2, "compatible", subject=None, signer=None)], "verified"
    ),
    "unknown level: no level": Case([report(1, "platinum")], None),
    "level missing: no level": Case([report(1, None)], None),
    "level of the wrong type: no level": Case([report(1, ["certified"])], None),
    "level is case-sensitive": Case([report(1, "Certified")], None),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_certification_level(case: Case) -> None:
    files = case.files if case.files is not None else SIGNED_FILES
    assert certification_level(case.reports, files, case.publishers) == case.expected


AT_LEAST = [
    (None, "compatible", False),
    ("compatible", "compatible", True),
    ("compatible", "verified", False),
    ("verified", "compatible", True),
    ("verified", "certified", False),
    ("certified", "compatible", True),
    ("certified", "certified", True),
]


@pytest.mark.parametrize(("level", "minimum", "expected"), AT_LEAST)
def test_at_least(level: str | None, minimum: str, expected: bool) -> None:
    assert at_least(level, minimum) is expected  # type: ignore[arg-type]


def test_levels_are_ordered_lowest_first() -> None:
    assert LEVELS == ("compatible", "verified", "certified")
