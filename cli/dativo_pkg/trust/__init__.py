"""Trust: sign distributions and statements, and verify them offline.

Two ways to sign, one way to verify:

- keyless, through Sigstore (sigstore-python): PEP 740 publish attestations
  made with pypi-attestations, the files ``twine upload --attestations`` sends;
- with a publisher key, for air-gapped registries: a Sigstore bundle whose
  verification material is the public key.

Both sign an in-toto statement naming one distribution by filename and
SHA-256; ``verify_signature`` checks either kind against a ``TrustRoots``
(which Sigstore instances are trusted) and the expected ``Publisher``s.
Nothing here touches the network except keyless signing.
"""

from __future__ import annotations

from dativo_pkg.errors import TrustError
from dativo_pkg.trust._errors import SignatureInvalid, SignerMismatch, SigningError, SubjectMismatch
from dativo_pkg.trust._identity import KEY_ISSUER, Publisher, SignerIdentity
from dativo_pkg.trust._keybundle import sign_with_key
from dativo_pkg.trust._keyless import KeylessOptions, sign_keyless
from dativo_pkg.trust._keys import (
    PrivateKey,
    generate_private_key,
    key_id,
    load_private_key,
    private_key_pem,
    public_key_pem,
)
from dativo_pkg.trust._provenance import ProvenanceEntry, build_provenance, parse_provenance
from dativo_pkg.trust._roots import INSTANCES, TrustRoots
from dativo_pkg.trust._statement import (
    BENCHMARK_PREDICATE,
    CONFORMANCE_PREDICATE,
    PUBLISH_PREDICATE,
    Subject,
    check_statement,
    statement_subject,
)
from dativo_pkg.trust._verify import Verified, is_key_bundle, verify_signature

__all__ = [
    "BENCHMARK_PREDICATE",
    "CONFORMANCE_PREDICATE",
    "INSTANCES",
    "KEYLESS_SUFFIX",
    "KEY_ISSUER",
    "KEY_SUFFIX",
    "PUBLISH_PREDICATE",
    "KeylessOptions",
    "PrivateKey",
    "ProvenanceEntry",
    "Publisher",
    "SignatureInvalid",
    "SignerIdentity",
    "SignerMismatch",
    "SigningError",
    "Subject",
    "SubjectMismatch",
    "TrustError",
    "TrustRoots",
    "Verified",
    "build_provenance",
    "check_statement",
    "generate_private_key",
    "is_key_bundle",
    "key_id",
    "load_private_key",
    "parse_provenance",
    "private_key_pem",
    "public_key_pem",
    "sign_keyless",
    "sign_with_key",
    "statement_subject",
    "verify_signature",
]

#: A keyless PEP 740 publish attestation, next to its distribution.
KEYLESS_SUFFIX = ".publish.attestation"
#: A publisher-key Sigstore bundle; twine's ``--attestations`` sends it too.
KEY_SUFFIX = ".key.attestation"
