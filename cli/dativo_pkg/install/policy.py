"""The trust policy file: which signers each plugin may be signed by.

.. code-block:: yaml

    plugins:
      dativo-hello:
        - issuer: https://token.actions.githubusercontent.com
          identity: https://github.com/acme/dativo-hello/.github/workflows/release.yml
        - key: keys/hello.pub.pem      # relative to this file

An ``identity`` without ``@ref`` accepts every ref of that workflow. A plugin
the policy does not name is trusted on first use: the signer recorded for it
in the lockfile, or whoever signed it when it is first installed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml
from packaging.utils import NormalizedName, canonicalize_name
from pydantic import BaseModel, ConfigDict, ValidationError

from dativo_pkg.errors import TrustError
from dativo_pkg.install._errors import PolicyError
from dativo_pkg.sdk import format_validation_error
from dativo_pkg.trust import Publisher

__all__ = ["TrustPolicy", "load_policy"]


class _Identity(BaseModel):
    model_config = ConfigDict(extra="forbid")
    issuer: str
    identity: str


class _Key(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: Path


class _PolicyFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    plugins: dict[str, list[_Identity | _Key]]


@dataclass(frozen=True)
class TrustPolicy:
    """Allowed publishers by (normalized) distribution name; empty: TOFU for all."""

    plugins: dict[NormalizedName, tuple[Publisher, ...]] = field(default_factory=dict)
    source: Path | None = None

    def publishers_for(self, name: str) -> tuple[Publisher, ...] | None:
        """The publishers allowed for ``name``, or None when the policy does not name it."""
        return self.plugins.get(canonicalize_name(name))


def load_policy(path: Path | None) -> TrustPolicy:
    """Read the policy at ``path``; None gives the empty policy (trust on first use)."""
    if path is None:
        return TrustPolicy()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        model = _PolicyFile.model_validate(raw)
    except OSError as exc:
        raise PolicyError(f"cannot read the trust policy {path}: {exc.strerror or exc}") from exc
    except yaml.YAMLError as exc:
        raise PolicyError(f"the trust policy {path} is not valid YAML: {exc}") from exc
    except ValidationError as exc:
        raise PolicyError(
            f"invalid trust policy {path}: {format_validation_error(exc)}",
            hint="expected `plugins: {NAME: [{issuer: URL, identity: SAN}, {key: PUB.pem}]}`",
        ) from exc
    plugins = {
        canonicalize_name(name): tuple(_publisher(rule, path) for rule in rules)
        for name, rules in model.plugins.items()
    }
    return TrustPolicy(plugins, path)


def _publisher(rule: _Identity | _Key, policy: Path) -> Publisher:
    try:
        if isinstance(rule, _Identity):
            return Publisher.oidc(rule.issuer, rule.identity)
        key_path = rule.key if rule.key.is_absolute() else policy.parent / rule.key
        return Publisher.from_public_key(key_path.read_bytes())
    except OSError as exc:
        raise PolicyError(
            f"the trust policy {policy} names a key that cannot be read: {exc}"
        ) from exc
    except TrustError as exc:
        raise PolicyError(f"the trust policy {policy}: {exc.message}", hint=exc.hint) from exc
