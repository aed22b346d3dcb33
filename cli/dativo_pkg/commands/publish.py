"""``dativo-pkg publish``: distributions, their signatures and reports, to a registry.

For each distribution ``DIST`` (wheels and sdists, in ``dist/`` by default)
it takes what ``dativo-pkg sign``, ``test`` and ``bench`` left beside it:

- ``DIST.publish.attestation`` / ``DIST.key.attestation``: uploaded with the
  file, as ``twine upload --attestations`` does;
- ``DIST.conformance.sigstore.json`` / ``DIST.benchmark.sigstore.json``:
  signed statements, attached to the release after the upload; the bare
  ``DIST.conformance.json`` / ``DIST.benchmark.json`` only when there is no
  signed one and the registry accepts unsigned attachments.

Everything that can be refused is checked before the first byte is sent:
every signature's subject must be its distribution (name and SHA-256); the
registry's upload policy (``GET /api/v1/projects/{project}/upload-policy``)
says whether signatures are required, and an unsigned distribution or
report is then refused here (TrustError, exit 7) naming the files; a key
signature is verified against the project's registered keys. Re-running is
safe: a file the release already holds with the same digest is skipped, a
statement already attached is not sent again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dativo_pkg._internal.config_file import RegistryTarget, load_config, resolve_registry
from dativo_pkg._internal.dist_files import PREDICATES, Dist, Statement, StatementKind, collect
from dativo_pkg._internal.dist_files import read_json as _read_json
from dativo_pkg._internal.registry_client import RegistryApi, RegistryRefused, twine_upload
from dativo_pkg.errors import ConfigError, TrustError
from dativo_pkg.trust import (
    PUBLISH_PREDICATE,
    Publisher,
    TrustRoots,
    is_key_bundle,
    verify_signature,
)

__all__ = ["PublishResult", "PublishSettings", "ReleaseResult", "publish"]

#: The API path each kind of statement is posted to.
_ENDPOINTS: dict[StatementKind, str] = {"conformance": "conformance", "benchmark": "benchmarks"}


@dataclass(frozen=True)
class PublishSettings:
    #: Distribution files, or directories holding them (default ``dist/``).
    paths: Sequence[Path] = (Path("dist"),)
    #: A registry name from the config file, or a URL; None: the config's default.
    registry: str | None = None
    #: The API token; None: ``$DATIVO_REGISTRY_TOKEN``, else the config file's.
    token: str | None = None
    #: The config file; None: ``$DATIVO_CONFIG`` or ``~/.config/dativo/config.toml``.
    config_file: Path | None = None
    #: Show twine's progress bar (on stderr).
    progress: bool = False


@dataclass
class ReleaseResult:
    project: str
    version: str
    url: str
    files: list[dict[str, Any]] = field(default_factory=list)
    statements: list[dict[str, Any]] = field(default_factory=list)
    certification: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "project": self.project,
            "version": self.version,
            "url": self.url,
            "certification": self.certification,
            "files": self.files,
            "statements": self.statements,
        }


@dataclass(frozen=True)
class PublishResult:
    registry: RegistryTarget
    releases: list[ReleaseResult]

    def to_json(self) -> dict[str, Any]:
        return {
            "registry": {"name": self.registry.name, "url": self.registry.url},
            "releases": [r.to_json() for r in self.releases],
        }


def publish(
    settings: PublishSettings, progress: Callable[[str], None] | None = None
) -> PublishResult:
    """Check everything, then upload each distribution and attach its statements."""
    say = progress or (lambda _message: None)
    target = resolve_registry(load_config(settings.config_file), settings.registry, settings.token)
    if not target.token:
        raise ConfigError(
            f"no API token for the registry {target.describe()}",
            hint="pass --token, set $DATIVO_REGISTRY_TOKEN, or give the registry a token-env "
            "in the config file (`dativo-registry token create` makes a token)",
        )
    dists = collect(settings.paths)
    releases: dict[tuple[str, str], list[Dist]] = {}
    for dist in dists:
        releases.setdefault((dist.project, dist.version), []).append(dist)
    with RegistryApi(target) as api:
        plans = [
            _plan(api, project, version, group) for (project, version), group in releases.items()
        ]
        for plan in plans:
            _upload(plan, target, settings.progress, say)
        for plan in plans:
            _attach(api, plan, say)
    return PublishResult(target, [plan.result for plan in plans])


@dataclass
class _Plan:
    """One release: what to upload and attach, decided before anything is sent."""

    project: str
    version: str
    uploads: list[Dist]
    statements: list[tuple[Dist, Statement]]
    result: ReleaseResult


def _plan(api: RegistryApi, project: str, version: str, dists: list[Dist]) -> _Plan:
    policy = api.get(f"/api/v1/projects/{project}/upload-policy")
    if policy is None:
        raise RegistryRefused(
            f"{api.target.url} has no upload-policy API: is it a dativo-registry root?",
            hint="give the registry root URL (not /simple/ or /legacy/), or upgrade it",
        )
    release = api.get(f"/api/v1/plugins/{project}/{version}") or {}
    existing = {f["filename"]: f["sha256"] for f in release.get("files", [])}
    result = ReleaseResult(project, version, f"{api.target.url}/api/v1/plugins/{project}/{version}")
    uploads = []
    for dist in dists:
        held = existing.get(dist.path.name)
        if held is not None and held != dist.subject.sha256:
            raise RegistryRefused(
                f"{dist.path.name} is already in the registry with other content "
                f"(sha256 {held}, this file {dist.subject.sha256})",
                hint="files are immutable: build a new version to publish a changed file",
            )
        if held is None:
            uploads.append(dist)
        result.files.append(_file_json(dist, "uploaded" if held is None else "skipped"))
    statements = [(d, s) for d in dists for s in d.statements]
    if policy.get("signatures_required"):
        _require_signatures(project, uploads, [s for _, s in statements])
    _check_key_signatures(project, uploads, statements, policy.get("publishers") or [])
    return _Plan(project, version, uploads, statements, result)


def _require_signatures(project: str, uploads: list[Dist], statements: list[Statement]) -> None:
    unsigned = [d.path.name for d in uploads if not d.attestations]
    bare = [s.path.name for s in statements if not s.signed]
    if not unsigned and not bare:
        return
    what = []
    if unsigned:
        what.append(f"unsigned distributions: {', '.join(unsigned)}")
    if bare:
        what.append(f"unsigned reports: {', '.join(bare)}")
    raise TrustError(
        f"the registry accepts only signed files for {project}, and these are not "
        f"({'; '.join(what)}); nothing was uploaded",
        hint="sign them first: `dativo-pkg sign --key KEY.pem DIST` (or keyless: `dativo-pkg "
        "sign DIST`), and `dativo-pkg sign --conformance DIST.conformance.json DIST` for a "
        "report (--benchmark for results)",
    )


def _check_key_signatures(
    project: str,
    uploads: list[Dist],
    statements: list[tuple[Dist, Statement]],
    publishers: list[dict[str, Any]],
) -> None:
    """Verify every key signature against the project's registered keys, as the registry
    will, so a wrong key is refused before the first upload. Keyless ones are left to it."""
    keys = [Publisher.from_public_key(p["public_key"]) for p in publishers if p.get("public_key")]
    checks = [
        (path, _read_json(path), dist.subject, PUBLISH_PREDICATE)
        for dist in uploads
        for path in dist.attestations
    ] + [(s.path, s.document, d.subject, PREDICATES[s.kind]) for d, s in statements if s.signed]
    roots = TrustRoots.load()  # unused for key signatures; keyless ones are not checked here
    for path, document, subject, predicate in checks:
        if not is_key_bundle(document):
            continue
        if not keys:
            raise TrustError(
                f"{path.name} is signed with a publisher key, but {project} has no key "
                "registered on this registry; nothing was uploaded",
                hint=f"an administrator registers it: dativo-registry publisher add --project "
                f"{project} --key PUB.pem",
            )
        try:
            verify_signature(roots, document, subject, predicate_type=predicate, publishers=keys)
        except TrustError as exc:
            raise TrustError(
                f"{path.name}: {exc.message}; nothing was uploaded", hint=exc.hint
            ) from exc


def _file_json(dist: Dist, action: str) -> dict[str, Any]:
    return {
        "filename": dist.path.name,
        "sha256": dist.subject.sha256,
        "signed": bool(dist.attestations),
        "attestations": [p.name for p in dist.attestations],
        "action": action,
    }


# -- sending -----------------------------------------------------------------------------


def _upload(
    plan: _Plan, target: RegistryTarget, progress: bool, say: Callable[[str], None]
) -> None:
    assert target.token is not None
    for dist in plan.uploads:
        signed = "signed" if dist.attestations else "unsigned"
        say(f"uploading {dist.path.name} ({signed})")
        twine_upload(
            f"{target.url}/legacy/", target.token, dist.path, dist.attestations, progress=progress
        )
    skipped = len(plan.result.files) - len(plan.uploads)
    if skipped:
        say(f"{plan.project} {plan.version}: {skipped} file(s) already in the registry, skipped")


def _attach(api: RegistryApi, plan: _Plan, say: Callable[[str], None]) -> None:
    base = f"/api/v1/plugins/{plan.project}/{plan.version}"
    release = api.get(base) or {}
    attached = release.get("attachments", [])
    for dist, statement in plan.statements:
        done = any(_same(a, statement) for a in attached)
        if not done:
            say(f"attaching {statement.path.name}")
            api.post(
                f"{base}/{_ENDPOINTS[statement.kind]}", statement.document, statement.path.name
            )
        plan.result.statements.append(
            {
                "kind": statement.kind,
                "file": statement.path.name,
                "subject": dist.path.name,
                "signed": statement.signed,
                "action": "skipped" if done else "attached",
            }
        )
    final = api.get(base) or {}
    plan.result.certification = final.get("certification")


def _same(attachment: dict[str, Any], statement: Statement) -> bool:
    """Whether ``attachment`` (as the registry returns it) is ``statement``, already sent."""
    if attachment.get("kind") != statement.kind:
        return False
    if statement.signed:
        return bool(attachment.get("signature") == statement.document)
    return attachment.get("signature") is None and attachment.get("body") == statement.document
