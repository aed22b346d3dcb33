"""Resolve requirements to wheels on the index, with ``resolvelib``.

Requested names always come from the index (the newest qualifying version).
A dependency already satisfied by the environment is left alone; otherwise it
is resolved from the same index the same way. Candidates are downloaded when
the resolver first looks at them (their METADATA holds the dependencies and
the manifest the plugin API range), each digest checked against the index;
a plugin whose API range excludes this runtime is skipped for an older one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version
from resolvelib import AbstractProvider, BaseReporter, ResolutionImpossible, Resolver
from resolvelib.resolvers import RequirementInformation, ResolutionTooDeep

from dativo_pkg.install._download import Downloader
from dativo_pkg.install._errors import BadRequirement, NoMatchingDistribution
from dativo_pkg.install._index import IndexClient, IndexFile
from dativo_pkg.install._installer import SELF, Environment
from dativo_pkg.install._select import python_fits, select_files
from dativo_pkg.install._wheel import LocalWheel, read_wheel

__all__ = ["Pick", "Req", "parse_requirement", "resolve"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Req:
    """A requirement: from the command line (``requested``) or a Requires-Dist."""

    name: NormalizedName
    specifier: SpecifierSet
    extras: frozenset[str]
    requested: bool
    text: str


@dataclass(frozen=True)
class Pick:
    """A distribution to install: the index file and its downloaded, digest-checked wheel."""

    file: IndexFile
    wheel: LocalWheel
    requested: bool
    index_url: str


@dataclass(frozen=True, eq=False)
class _Candidate:
    name: NormalizedName
    version: Version
    extras: frozenset[str]
    pick: Pick | None  # None: already installed in the environment


def parse_requirement(text: str) -> Req | None:
    """``NAME[SPEC]`` from the command line; None when its marker excludes this environment."""
    try:
        requirement = Requirement(text)
    except InvalidRequirement as exc:
        raise BadRequirement(
            f"{text!r} is not a requirement: {exc}", hint="write NAME or NAME==1.2 or 'NAME>=1,<2'"
        ) from exc
    if requirement.url:
        raise BadRequirement(
            f"{text!r}: direct URL requirements are not supported",
            hint="install from an index: NAME[SPEC] --index-url URL",
        )
    if requirement.marker is not None and not requirement.marker.evaluate():
        log.info("skipping %s: its marker excludes this environment", text)
        return None
    return Req(
        canonicalize_name(requirement.name),
        requirement.specifier,
        frozenset(requirement.extras),
        requested=True,
        text=text,
    )


def resolve(
    requirements: Sequence[Req],
    index: IndexClient,
    downloader: Downloader,
    environment: Environment,
    locked_versions: Mapping[NormalizedName, Version],
) -> list[Pick]:
    """The distributions to install for ``requirements`` (dependencies first)."""
    provider = _Provider(index, downloader, environment, locked_versions)
    resolver: Resolver[Req, _Candidate, NormalizedName] = Resolver(provider, BaseReporter())
    try:
        result = resolver.resolve(requirements, max_rounds=500)
    except ResolutionImpossible as exc:
        raise NoMatchingDistribution(
            _explain(exc.causes, provider.rejections),
            hint="relax the version constraint, or ask the plugin's publisher for a release "
            "that fits this runtime and platform",
        ) from exc
    except ResolutionTooDeep as exc:
        raise NoMatchingDistribution(
            "the dependencies could not be resolved in reasonable time",
            hint="pin the versions of the requested distributions",
        ) from exc
    order = _dependencies_first(result.graph)
    return [c.pick for name in order if (c := result.mapping[name]).pick is not None]


class _Provider(AbstractProvider[Req, _Candidate, NormalizedName]):
    def __init__(
        self,
        index: IndexClient,
        downloader: Downloader,
        environment: Environment,
        locked_versions: Mapping[NormalizedName, Version],
    ) -> None:
        self.index = index
        self.downloader = downloader
        self.environment = environment
        self.locked_versions = locked_versions
        self.rejections: dict[NormalizedName, list[str]] = {}

    def identify(self, requirement_or_candidate: Req | _Candidate) -> NormalizedName:
        return requirement_or_candidate.name

    def get_preference(
        self,
        identifier: NormalizedName,
        resolutions: Mapping[NormalizedName, _Candidate],
        candidates: Mapping[NormalizedName, Iterator[_Candidate]],
        information: Mapping[NormalizedName, Iterator[RequirementInformation[Req, _Candidate]]],
        backtrack_causes: Sequence[RequirementInformation[Req, _Candidate]],
    ) -> Any:
        requested = any(info.requirement.requested for info in information[identifier])
        return (not requested, identifier)

    def find_matches(
        self,
        identifier: NormalizedName,
        requirements: Mapping[NormalizedName, Iterator[Req]],
        incompatibilities: Mapping[NormalizedName, Iterator[_Candidate]],
    ) -> Callable[[], Iterator[_Candidate]]:
        reqs = list(requirements[identifier])
        specifier = SpecifierSet()
        for req in reqs:
            specifier &= req.specifier
        extras = frozenset().union(*(r.extras for r in reqs))
        requested = any(r.requested for r in reqs)
        excluded = {c.version for c in incompatibilities[identifier]}

        def candidates() -> Iterator[_Candidate]:
            installed = self._installed(identifier, specifier, extras, requested)
            if installed is not None and installed.version not in excluded:
                yield installed
            if identifier == SELF:
                return  # the runtime itself is never installed by a plugin's resolution
            for pick in self._from_index(identifier, specifier, requested):
                if pick.wheel.version not in excluded:
                    yield _Candidate(identifier, pick.wheel.version, extras, pick)

        return candidates

    def is_satisfied_by(self, requirement: Req, candidate: _Candidate) -> bool:
        return (
            requirement.specifier.contains(candidate.version, prereleases=True)
            and requirement.extras <= candidate.extras
        )

    def get_dependencies(self, candidate: _Candidate) -> Iterable[Req]:
        if candidate.pick is None:
            return []
        wheel = candidate.pick.wheel
        return [
            Req(canonicalize_name(r.name), r.specifier, frozenset(r.extras), False, str(r))
            for r in wheel.requires_dist
            if r.marker is None
            or any(r.marker.evaluate({"extra": extra}) for extra in ("", *candidate.extras))
        ]

    def _installed(
        self, name: NormalizedName, specifier: SpecifierSet, extras: frozenset[str], requested: bool
    ) -> _Candidate | None:
        """The environment's version of a dependency, when it satisfies the requirement.

        Its own dependencies (and those of requested extras) are taken as satisfied:
        the environment is assumed consistent.
        """
        if requested and name != SELF:
            return None
        version = self.environment.available_version(name)
        if version is None:
            if name == SELF:
                self._reject(name, "dativo-pkg is not installed as a distribution here")
            return None
        if not specifier.contains(version, prereleases=True):
            if name == SELF:
                self._reject(name, f"{version} is installed (dativo-pkg never replaces itself)")
            return None
        return _Candidate(name, version, extras, None)

    def _from_index(
        self, name: NormalizedName, specifier: SpecifierSet, requested: bool
    ) -> Iterator[Pick]:
        rejections = self.rejections.setdefault(name, [])
        files = self.index.files(name)
        if not files:
            self._reject(name, f"{self.index.index_url} lists no file of {name}")
        choices = select_files(
            name,
            files,
            specifier,
            locked=self.locked_versions.get(name),
            rejections=rejections,
        )
        for choice in choices:
            path, sha256 = self.downloader.fetch(choice.file)
            wheel = read_wheel(path, sha256)
            problem = _wheel_problem(wheel, name, choice.version)
            if problem:
                self._reject(name, f"{choice.version}: {problem}")
                continue
            yield Pick(choice.file, wheel, requested, self.index.index_url)

    def _reject(self, name: NormalizedName, reason: str) -> None:
        reasons = self.rejections.setdefault(name, [])
        if reason not in reasons:
            reasons.append(reason)


def _wheel_problem(wheel: LocalWheel, name: NormalizedName, version: Version) -> str | None:
    if wheel.name != name or wheel.version != version:
        return f"{wheel.filename} holds {wheel.name} {wheel.version}, not what its name says"
    if wheel.api_problem:
        return wheel.api_problem
    if not python_fits(wheel.requires_python):
        return f"requires Python {wheel.requires_python}"
    return None


def _explain(
    causes: Iterable[RequirementInformation[Req, _Candidate]],
    rejections: Mapping[NormalizedName, list[str]],
) -> str:
    by_name: dict[NormalizedName, list[str]] = {}
    for cause in causes:
        parent = cause.parent
        origin = "requested" if parent is None else f"required by {parent.name} {parent.version}"
        by_name.setdefault(cause.requirement.name, []).append(
            f"{cause.requirement.text} ({origin})"
        )
    lines = []
    for name, wanted in by_name.items():
        lines.append(f"no version of {name} satisfies {' and '.join(dict.fromkeys(wanted))}")
        lines.extend(f"  {reason}" for reason in rejections.get(name, []))
    return "\n".join(lines)


def _dependencies_first(graph: Any) -> list[NormalizedName]:
    """Names in an order where each comes after what it depends on (cycles broken)."""
    order: list[NormalizedName] = []
    seen: set[NormalizedName] = set()

    def visit(name: NormalizedName) -> None:
        if name in seen:
            return
        seen.add(name)
        for child in sorted(graph.iter_children(name)):
            visit(child)
        order.append(name)

    for root in sorted(graph.iter_children(None)):
        visit(root)
    return order
