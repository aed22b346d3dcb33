"""Talking to a registry: its JSON API (httpx) and uploads through twine, errors translated.

:class:`RegistryApi` reads and posts JSON under the registry root.
:func:`twine_upload` uploads through twine's Python API: twine is what every
Python index speaks, so ``dativo-pkg publish`` uploads exactly as
``twine upload --attestations`` would. twine's console output (a banner, a
progress bar) goes to stderr when ``progress`` is set and nowhere
otherwise, so stdout keeps only the command's result; its log warnings
(attestations outside PyPI, "retry with --verbose") are noise here and are
hidden unless ``-v`` asked for more.
"""

from __future__ import annotations

import contextlib
import io
import logging
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from dativo_pkg._internal.config_file import RegistryTarget
from dativo_pkg.errors import DativoError, SourceUnreachable

if TYPE_CHECKING:
    import requests

__all__ = ["RegistryApi", "RegistryRefused", "RegistryUnreachable", "twine_upload"]


class RegistryRefused(DativoError):
    """The registry refused a request; the message carries its reason."""

    exit_code = 2


class RegistryUnreachable(SourceUnreachable):
    """The registry did not answer (connection refused, DNS, TLS, timeout)."""


class RegistryApi:
    """The registry's JSON API, errors translated."""

    def __init__(self, target: RegistryTarget) -> None:
        self.target = target
        self.client = httpx.Client(base_url=target.url, timeout=60)

    def __enter__(self) -> RegistryApi:
        return self

    def __exit__(self, *exc: object) -> None:
        self.client.close()

    def get(self, path: str) -> dict[str, Any] | None:
        """The JSON at ``path``; None for a 404."""
        response = self._send("GET", path)
        if response.status_code == 404:
            return None
        return self._json(response, path)

    def post(self, path: str, body: dict[str, Any], what: str) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self.target.token}"}
        response = self._send("POST", path, json=body, headers=headers)
        if response.status_code >= 400:
            raise RegistryRefused(
                f"the registry refused {what} (HTTP {response.status_code}): {_detail(response)}",
                hint="fix what the registry names and publish again; what was uploaded is kept",
            )
        return self._json(response, path)

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            return self.client.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise RegistryUnreachable(
                f"the registry {self.target.describe()} does not answer: {exc}",
                hint="check the URL (--registry, or the config file) and that it is running",
            ) from exc

    def _json(self, response: httpx.Response, path: str) -> dict[str, Any]:
        if response.status_code >= 400:
            raise RegistryRefused(
                f"{self.target.url}{path}: HTTP {response.status_code}: {_detail(response)}"
            )
        try:
            value = response.json()
        except ValueError as exc:
            raise RegistryRefused(
                f"{self.target.url}{path} did not answer JSON: is {self.target.url} a "
                "dativo-registry root?"
            ) from exc
        if not isinstance(value, dict):
            raise RegistryRefused(f"{self.target.url}{path} answered {type(value).__name__}")
        return value


def _detail(response: httpx.Response) -> str:
    try:
        detail = response.json().get("detail")
    except (ValueError, AttributeError):
        detail = None
    return str(detail) if detail else response.text.strip() or response.reason_phrase


def twine_upload(
    repository_url: str,
    token: str,
    dist: Path,
    attestations: Sequence[Path],
    *,
    progress: bool = False,
) -> None:
    """Upload ``dist`` with ``attestations`` to ``repository_url`` (a ``/legacy/`` URL)."""
    import requests
    from twine.commands.upload import upload
    from twine.exceptions import TwineException
    from twine.settings import Settings

    settings = Settings(
        attestations=bool(attestations),
        repository_url=repository_url,
        username="__token__",
        password=token,
        non_interactive=True,
        disable_progress_bar=not progress,
    )
    try:
        with _quiet_twine(progress):
            upload(settings, [str(dist), *map(str, attestations)])
    except requests.HTTPError as exc:
        raise _refusal(dist, exc.response) from exc
    except (requests.ConnectionError, requests.Timeout) as exc:
        raise RegistryUnreachable(
            f"cannot upload {dist.name}: the registry at {repository_url} does not answer "
            f"({type(exc).__name__})",
            hint="check the URL and that the registry is running; run again to resume: "
            "files already uploaded are skipped",
        ) from exc
    except TwineException as exc:
        raise RegistryRefused(f"twine cannot upload {dist.name}: {exc}") from exc


def _refusal(dist: Path, response: requests.Response | None) -> RegistryRefused:
    if response is None:
        return RegistryRefused(f"the upload of {dist.name} failed without a response")
    reason = (response.text or response.reason or "").strip()
    status = response.status_code
    if status in (401, 403):
        hint = (
            "check the API token (--token, $DATIVO_REGISTRY_TOKEN or the config file) and that "
            "it may upload to this project"
        )
    elif status == 409:
        hint = "files are immutable: build a new version to publish changed files"
    else:
        hint = "fix what the registry names and publish again; uploaded files are skipped"
    return RegistryRefused(f"the registry refused {dist.name} (HTTP {status}): {reason}", hint=hint)


@contextlib.contextmanager
def _quiet_twine(progress: bool) -> Iterator[None]:
    """twine's prints to stderr (or nowhere), its warnings off unless -v asked for logs."""
    twine_log = logging.getLogger("twine")
    level = twine_log.level
    if not logging.getLogger("dativo_pkg").isEnabledFor(logging.INFO):
        twine_log.setLevel(logging.ERROR)
    target = sys.stderr if progress else io.StringIO()
    try:
        with contextlib.redirect_stdout(target):
            yield
    finally:
        twine_log.setLevel(level)
