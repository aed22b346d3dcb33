"""Which Sigstore instances' roots are trusted, and keyless verification against them.

The roots come from sigstore-python's embedded trust material (production,
staging) or from ClientTrustConfig / TrustedRoot JSON files (private
instances). Loading them never touches the network, and a ``TrustRoots`` is
built once and reused: each verification then costs a few milliseconds.

sigstore-python takes over half a second to import, so it is imported only
when the first keyless signature is verified (or on ``preload``, which a
server calls at startup): installing a key-signed plugin never pays for it.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography import x509
from cryptography.x509.oid import ObjectIdentifier
from pydantic import ValidationError

from dativo_pkg.errors import TrustError
from dativo_pkg.trust._errors import SignatureInvalid
from dativo_pkg.trust._identity import SignerIdentity

if TYPE_CHECKING:
    from sigstore.models import Bundle, ClientTrustConfig, TrustedRoot
    from sigstore.verify import Verifier

__all__ = ["INSTANCES", "KeylessSigned", "TrustRoots", "client_trust_config"]

#: The public instances whose roots sigstore-python ships.
INSTANCES = ("production", "staging")

# Loading the embedded roots offline is what we mean to do; sigstore warns about it.
logging.getLogger("sigstore._internal.tuf").setLevel(logging.ERROR)

_ISSUER_V2 = ObjectIdentifier("1.3.6.1.4.1.57264.1.8")  # DER UTF8String
_ISSUER_V1 = ObjectIdentifier("1.3.6.1.4.1.57264.1.1")  # raw bytes
_OTHERNAME_SAN = ObjectIdentifier("1.3.6.1.4.1.57264.1.7")


@dataclass(frozen=True)
class KeylessSigned:
    """A keyless signature that verified: who signed, and the signed payload."""

    signer: SignerIdentity
    payload: bytes
    instance: str


class TrustRoots:
    """The Sigstore instances whose certificates are accepted, one verifier each."""

    def __init__(self, sources: Sequence[tuple[str, Callable[[], TrustedRoot]]]) -> None:
        if not sources:
            raise TrustError("no Sigstore instance is trusted: name at least one")
        self._sources = tuple(sources)
        self._verifiers: list[tuple[str, Verifier]] | None = None

    @classmethod
    def load(
        cls, instances: Sequence[str] = ("production",), trust_configs: Sequence[Path] = ()
    ) -> TrustRoots:
        """Check the names and read the files now; build the verifiers on first use."""
        sources: list[tuple[str, Callable[[], TrustedRoot]]] = []
        for name in instances:
            if name not in INSTANCES:
                raise TrustError(
                    f"unknown Sigstore instance {name!r}",
                    hint=f"use one of {', '.join(INSTANCES)}, or --trust-config FILE",
                )
            sources.append((name, functools.partial(_embedded_root, name)))
        for path in trust_configs:
            sources.append((str(path), _file_root(path)))
        return cls(sources)

    def describe(self) -> str:
        return ", ".join(name for name, _ in self._sources)

    def preload(self) -> None:
        """Build every verifier now (a server does, so no request pays for it)."""
        self._loaded()

    def _loaded(self) -> list[tuple[str, Verifier]]:
        if self._verifiers is None:
            from sigstore.verify import Verifier

            self._verifiers = [
                (name, Verifier(trusted_root=root())) for name, root in self._sources
            ]
        return self._verifiers

    def verify(self, document: Mapping[str, Any], what: str) -> KeylessSigned:
        """Verify a keyless signature (PEP 740 attestation or certificate bundle)."""
        import sigstore.errors

        verifiers = self._loaded()
        bundle = _bundle(document, what)
        problems: list[str] = []
        for name, verifier in verifiers:
            policy = _CertificateRecorder()
            try:
                payload_type, payload = verifier.verify_dsse(bundle, policy)
            except sigstore.errors.VerificationError as exc:
                problems.append(f"{name}: {exc}")
                continue
            if payload_type != "application/vnd.in-toto+json" or policy.certificate is None:
                raise SignatureInvalid(f"{what}: the signed payload is not an in-toto statement")
            return KeylessSigned(_signer(policy.certificate), payload, name)
        raise SignatureInvalid(
            f"{what}: the signature does not verify against the trusted Sigstore roots "
            f"({'; '.join(problems)})",
            hint="if it was made by another Sigstore instance (staging, a private one), trust "
            "it with --sigstore-instance staging or --trust-config FILE; otherwise the file "
            "or its attestation was changed",
        )


def _embedded_root(name: str) -> TrustedRoot:
    from sigstore.models import ClientTrustConfig

    offline = {"production": ClientTrustConfig.production, "staging": ClientTrustConfig.staging}
    return offline[name](offline=True).trusted_root


def client_trust_config(path: Path) -> ClientTrustConfig:
    """A ClientTrustConfig file (for signing against a private instance)."""
    import sigstore.errors
    from sigstore.models import ClientTrustConfig

    try:
        return ClientTrustConfig.from_json(path.read_text())
    except OSError as exc:
        raise TrustError(f"cannot read the trust config {path}: {exc.strerror}") from exc
    except (ValueError, ValidationError, sigstore.errors.Error) as exc:
        raise TrustError(
            f"{path} is not a Sigstore ClientTrustConfig: {exc}",
            hint="get it from your Sigstore instance's operator (a trust_config.json)",
        ) from exc


def _file_root(path: Path) -> Callable[[], TrustedRoot]:
    """The trusted root in a ClientTrustConfig file, or a bare TrustedRoot file.

    The file is read and its JSON checked now, so a bad path fails at once;
    sigstore parses it when the verifiers are built.
    """
    try:
        raw = path.read_text()
        media_type = str(json.loads(raw).get("mediaType", ""))
    except OSError as exc:
        raise TrustError(f"cannot read the trust config {path}: {exc.strerror}") from exc
    except (ValueError, AttributeError) as exc:
        raise TrustError(f"{path} is not a JSON Sigstore trust config") from exc

    def load() -> TrustedRoot:
        import sigstore.errors
        from sigstore.models import TrustedRoot

        if not media_type.startswith("application/vnd.dev.sigstore.trustedroot"):
            return client_trust_config(path).trusted_root
        try:
            return TrustedRoot.from_file(str(path))
        except (ValueError, ValidationError, sigstore.errors.Error) as exc:
            raise TrustError(f"{path} is not a valid Sigstore trusted root: {exc}") from exc

    return load


def _bundle(document: Mapping[str, Any], what: str) -> Bundle:
    import sigstore.errors
    from pypi_attestations import Attestation, AttestationError
    from sigstore.models import Bundle

    try:
        if "mediaType" in document:
            return Bundle.from_json(json.dumps(document))
        return Attestation.model_validate(document).to_bundle()
    except (ValidationError, AttestationError, sigstore.errors.Error, ValueError) as exc:
        raise SignatureInvalid(f"{what}: the attestation is malformed: {exc}") from exc


class _CertificateRecorder:
    """A verification policy that keeps the leaf certificate; identity is checked after."""

    certificate: x509.Certificate | None = None

    def verify(self, cert: x509.Certificate) -> None:
        self.certificate = cert


def _signer(cert: x509.Certificate) -> SignerIdentity:
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    names: list[str] = [
        *san.get_values_for_type(x509.UniformResourceIdentifier),
        *san.get_values_for_type(x509.RFC822Name),
        *(
            other.value.decode(errors="replace")
            for other in san.get_values_for_type(x509.OtherName)
            if other.type_id == _OTHERNAME_SAN
        ),
    ]
    if not names:
        raise SignatureInvalid("the signing certificate names no identity (empty SAN)")
    return SignerIdentity(issuer=_issuer(cert), identity=names[0])


def _issuer(cert: x509.Certificate) -> str:
    extensions = {ext.oid: ext.value for ext in cert.extensions}
    v2 = extensions.get(_ISSUER_V2)
    if isinstance(v2, x509.UnrecognizedExtension):
        return _der_utf8(v2.value)
    v1 = extensions.get(_ISSUER_V1)
    if isinstance(v1, x509.UnrecognizedExtension):
        return v1.value.decode(errors="replace")
    raise SignatureInvalid("the signing certificate names no OIDC issuer")


def _der_utf8(value: bytes) -> str:
    """The text of a DER UTF8String (tag 0x0C, short or long length form)."""
    if len(value) < 2 or value[0] != 0x0C:
        raise SignatureInvalid("the certificate's issuer extension is not a UTF8String")
    length, offset = value[1], 2
    if length & 0x80:
        size = length & 0x7F
        length, offset = int.from_bytes(value[2 : 2 + size], "big"), 2 + size
    return value[offset : offset + length].decode()
