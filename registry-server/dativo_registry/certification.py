"""A release's certification level, computed from its conformance attachments.

The level a release shows is claimed by a conformance report (its top-level
``level``: ``compatible`` < ``verified`` < ``certified``) and vouched for by
how it reached the registry:

- only a *signed* report counts: a statement about one of the release's live
  files (its ``subject``). An unsigned report is stored and shown, but binds
  no bytes, so it gives no level;
- of those, the newest (last attached) decides, so a re-run of the suite
  replaces an older result, better or worse;
- ``certified`` stands only when the report is signed by a publisher the
  project has now and the file it is about carries verified provenance (it
  was uploaded signed); otherwise it is capped at ``verified``;
- no report, or a report whose level is not one of the three: no level (null).

:func:`certification_level` is the rule, on plain values;
:func:`release_certifications` gathers those values for many releases in
three queries, for the plugin list.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_args

from sqlalchemy import select
from sqlalchemy.orm import Session

from dativo_pkg.trust import Publisher, SignerIdentity
from dativo_registry.models import Attachment, File, Release
from dativo_registry.models import Publisher as PublisherRow
from dativo_registry.publishers import to_publisher

__all__ = [
    "LEVELS",
    "Level",
    "ReportFact",
    "at_least",
    "certification_level",
    "release_certifications",
]

Level = Literal["compatible", "verified", "certified"]
#: Every level, lowest first.
LEVELS: tuple[Level, ...] = get_args(Level)


@dataclass(frozen=True)
class ReportFact:
    """What certification needs of one conformance attachment."""

    #: Attachment ids grow with time: the largest is the newest.
    id: int
    #: The report's top-level ``level`` as sent (anything; only the three levels count).
    level: Any
    #: The SHA-256 of the file a signed statement is about; None if unsigned.
    subject_sha256: str | None
    signer: SignerIdentity | None


def certification_level(
    reports: Collection[ReportFact],
    files: Mapping[str, bool],
    publishers: Sequence[Publisher],
) -> Level | None:
    """The level of a release with these conformance ``reports`` and live ``files``.

    ``files`` maps each live file's SHA-256 to whether it has verified
    provenance; ``publishers`` are the project's publishers now.
    """
    about_a_file = [r for r in reports if r.subject_sha256 in files]
    if not about_a_file:
        return None
    newest = max(about_a_file, key=lambda r: r.id)
    if newest.level not in LEVELS:
        return None
    level: Level = newest.level
    if level != "certified":
        return level
    assert newest.subject_sha256 is not None
    by_publisher = newest.signer is not None and any(p.matches(newest.signer) for p in publishers)
    return "certified" if by_publisher and files[newest.subject_sha256] else "verified"


def at_least(level: Level | None, minimum: Level) -> bool:
    """Whether ``level`` is ``minimum`` or higher (no level is below every level)."""
    return level is not None and LEVELS.index(level) >= LEVELS.index(minimum)


def release_certifications(
    session: Session, releases: Sequence[Release]
) -> dict[int, Level | None]:
    """Release id -> its certification level, for every release given (three queries)."""
    if not releases:
        return {}
    ids = [r.id for r in releases]
    reports: dict[int, list[ReportFact]] = defaultdict(list)
    rows = session.execute(
        select(
            Attachment.id,
            Attachment.release_id,
            Attachment.body,
            Attachment.subject_sha256,
            Attachment.signer_issuer,
            Attachment.signer_identity,
        ).where(
            Attachment.release_id.in_(ids),
            Attachment.kind == "conformance",
            Attachment.subject_sha256.is_not(None),
        )
    )
    for attachment_id, release_id, body, sha256, issuer, identity in rows:
        signer = SignerIdentity(issuer, identity) if issuer and identity else None
        level = body.get("level") if isinstance(body, dict) else None
        reports[release_id].append(ReportFact(attachment_id, level, sha256, signer))
    files: dict[int, dict[str, bool]] = defaultdict(dict)
    for release_id, sha256, provenance in session.execute(
        select(File.release_id, File.sha256, File.provenance).where(
            File.release_id.in_(list(reports)), File.deleted_at.is_(None)
        )
    ):
        files[release_id][sha256] = provenance is not None
    projects = {r.id: r.project.normalized for r in releases}
    publishers: dict[str, list[Publisher]] = defaultdict(list)
    for row in session.scalars(
        select(PublisherRow)
        .where(PublisherRow.project.in_({projects[i] for i in reports}))
        .order_by(PublisherRow.id)
    ):
        publishers[row.project].append(to_publisher(row))
    return {
        r.id: certification_level(reports[r.id], files[r.id], publishers[projects[r.id]])
        if r.id in reports
        else None
        for r in releases
    }
