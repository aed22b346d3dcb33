"""Keyless signing through sigstore-python: an OIDC identity, a Fulcio certificate, Rekor.

Publish statements become PEP 740 attestations (pypi-attestations), the files
``twine upload --attestations`` sends; other statements (conformance reports,
benchmark results) become Sigstore bundles. Everything is signed in memory
first, so a bad token or an unreachable instance leaves nothing written.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dativo_pkg.trust._errors import SigningError
from dativo_pkg.trust._roots import client_trust_config
from dativo_pkg.trust._statement import PUBLISH_PREDICATE, Subject, statement_bytes

if TYPE_CHECKING:
    from sigstore.models import ClientTrustConfig
    from sigstore.oidc import IdentityToken

__all__ = ["KeylessOptions", "sign_keyless"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class KeylessOptions:
    """Where the identity comes from and which Sigstore instance signs."""

    identity_token: str | None = None
    instance: str = "production"
    trust_config: Path | None = None
    #: Allow the browser flow when no token is given and none is ambient.
    interactive: bool = True


def sign_keyless(
    subjects: Sequence[Subject],
    options: KeylessOptions,
    *,
    predicate_type: str = PUBLISH_PREDICATE,
    predicate: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """One signature document per subject, in order; raises SigningError, writes nothing.

    An explicit or ambient token is checked before the instance is contacted,
    so a malformed token is reported as such even when offline.
    """
    # Signing pulls in the Fulcio and Rekor clients: loaded only when signing.
    import requests
    import sigstore.errors
    from pypi_attestations import AttestationError
    from sigstore._internal.fulcio.client import FulcioClientError
    from sigstore._internal.rekor import RekorClientError
    from sigstore.oidc import ExpiredIdentity, IdentityError
    from sigstore.sign import SigningContext

    try:
        token = _given_token(options)
        if token is None and not (options.interactive and sys.stdin.isatty()):
            raise SigningError(
                "no identity token: none given and no CI credentials found",
                hint="pass --identity-token TOKEN, run in CI with OIDC (id-token: write), "
                "run in a terminal for the browser flow, or sign offline with --key",
            )
        config = _trust_config(options)
        if token is None:
            token = _browser_token(config)
        context = SigningContext.from_trust_config(config)
        with context.signer(token) as signer:
            return [_sign_one(signer, s, predicate_type, predicate) for s in subjects]
    except (ExpiredIdentity, IdentityError) as exc:
        raise SigningError(
            f"the identity token was refused: {exc}",
            hint="get a fresh token (they live minutes), or sign with --key",
        ) from exc
    except (
        requests.RequestException,
        sigstore.errors.NetworkError,
        sigstore.errors.TUFError,
    ) as exc:
        raise SigningError(
            f"cannot reach the Sigstore instance ({_where(options)}): {exc}",
            hint="check the network, or sign offline with a publisher key (--key)",
        ) from exc
    except (FulcioClientError, RekorClientError) as exc:
        raise SigningError(
            f"the Sigstore instance ({_where(options)}) refused to sign: {exc}",
            hint="check that the identity token is for this instance and not expired",
        ) from exc
    except (sigstore.errors.Error, AttestationError) as exc:
        raise SigningError(f"Sigstore signing failed: {exc}") from exc


def _sign_one(
    signer: Any, subject: Subject, predicate_type: str, predicate: dict[str, Any] | None
) -> dict[str, Any]:
    from pypi_attestations import Attestation, Distribution
    from sigstore.dsse import Statement

    if predicate_type == PUBLISH_PREDICATE and predicate is None:
        dist = Distribution(name=subject.name, digest=subject.sha256)
        attestation = Attestation.sign(signer, dist)
        return attestation.model_dump(mode="json")
    statement = Statement(statement_bytes(subject, predicate_type, predicate))
    bundle = signer.sign_dsse(statement)
    result: dict[str, Any] = json.loads(bundle.to_json())
    return result


def _trust_config(options: KeylessOptions) -> ClientTrustConfig:
    if options.trust_config is not None:
        return client_trust_config(options.trust_config)
    from sigstore.models import ClientTrustConfig

    # Signing refreshes the instance's trust material (verification never does).
    online = {"production": ClientTrustConfig.production, "staging": ClientTrustConfig.staging}
    if options.instance not in online:
        raise SigningError(f"unknown Sigstore instance {options.instance!r}")
    return online[options.instance](offline=False)


def _given_token(options: KeylessOptions) -> IdentityToken | None:
    from sigstore.oidc import IdentityToken, detect_credential

    raw = options.identity_token or detect_credential()
    return IdentityToken(raw.strip()) if raw else None


def _browser_token(config: ClientTrustConfig) -> IdentityToken:
    from sigstore.oidc import Issuer

    log.info("opening the browser to get an identity token")
    return Issuer(config.signing_config.get_oidc_url()).identity_token()


def _where(options: KeylessOptions) -> str:
    return str(options.trust_config) if options.trust_config else options.instance
