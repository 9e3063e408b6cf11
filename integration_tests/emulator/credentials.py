"""The credential sets the emulator accepts; like the real APIs, a credential determines the tenant."""

from __future__ import annotations

import string
from dataclasses import dataclass
from typing import Any

from .scenario import Scenario, stable_hex

ORG_NAMES = ("acme", "globex", "initech", "umbrella", "hooli", "stark", "wayne", "tyrell")
CONFLUENT_ALL = frozenset({"org_read", "env_read", "billing_read"})
DATADOG_ALL = frozenset({"usage_read", "billing_read", "org_management"})
_UPPER_ALNUM = string.ascii_uppercase + string.digits
_ALNUM = string.ascii_letters + string.digits


@dataclass(frozen=True)
class Credential:
    """One credential set.

    Attributes:
        name: Key in `Emulator.credentials` (e.g. `confluent_org_a`).
        provider: `confluent` or `datadog`.
        account_name: The connector's account `name`.
        tenant: Confluent org index, or Datadog org index (0 = parent, i = child i).
        api_key: Confluent Cloud API key / Datadog API key.
        secret: Confluent API secret / Datadog application key.
        permissions: What the key may read.
    """

    name: str
    provider: str
    account_name: str
    tenant: int
    api_key: str
    secret: str
    permissions: frozenset[str]

    def account_item(self, api_url: str) -> dict[str, Any]:
        """Return the connector config `accounts[]` item for this credential."""
        if self.provider == "confluent":
            secrets = {"api_key": self.api_key, "api_secret": self.secret}
        else:
            secrets = {"api_key": self.api_key, "application_key": self.secret, "site": "datadoghq.com"}
        return {"provider": self.provider, "name": self.account_name, **secrets, "api_url": api_url}


def _pick(alphabet: str, digest: str, length: int) -> str:
    """Map hex digest bytes onto an alphabet."""
    raw = bytes.fromhex(digest + stable_hex(digest))
    return "".join(alphabet[byte % len(alphabet)] for byte in raw[:length])


def _confluent(name: str, account_name: str, tenant: int, permissions: frozenset[str]) -> Credential:
    digest = stable_hex("confluent-credential", name)
    api_key = "CCKEY" + _pick(_UPPER_ALNUM, digest, 11)
    secret = "cflt" + _pick(_ALNUM, stable_hex("secret", digest), 60)
    return Credential(name, "confluent", account_name, tenant, api_key, secret, permissions)


def _datadog(name: str, account_name: str, tenant: int, permissions: frozenset[str]) -> Credential:
    return Credential(
        name=name,
        provider="datadog",
        account_name=account_name,
        tenant=tenant,
        api_key=stable_hex("datadog-api-key", name)[:32],
        secret=stable_hex("datadog-app-key", name)[:40],
        permissions=permissions,
    )


def build_credentials(scenario: Scenario) -> dict[str, Credential]:
    """Return every credential set of a scenario, keyed by name.

    Confluent: one full key per org (`confluent_org_a`, `confluent_org_b`, ...), plus org A keys without billing
    (`confluent_no_billing`) and without organization read (`confluent_no_org_read`). Datadog: parent
    (`datadog_parent`), first child org (`datadog_child`), the other child orgs (`datadog_child_2`, ...), parent
    without `billing_read` (`datadog_no_billing`), parent without `usage_read` (`datadog_no_usage`).
    """
    creds: list[Credential] = []
    for index in range(max(scenario.confluent_orgs, 2)):
        letter = string.ascii_lowercase[index]
        org_name = ORG_NAMES[index % len(ORG_NAMES)]
        creds.append(_confluent(f"confluent_org_{letter}", f"{org_name}-confluent", index, CONFLUENT_ALL))
    creds.append(_confluent("confluent_no_billing", "acme-confluent-nobilling", 0, CONFLUENT_ALL - {"billing_read"}))
    creds.append(_confluent("confluent_no_org_read", "acme-confluent-noorg", 0, CONFLUENT_ALL - {"org_read"}))
    creds.append(_datadog("datadog_parent", "acme-datadog", 0, DATADOG_ALL))
    if scenario.datadog_child_orgs > 0:
        creds.append(_datadog("datadog_child", "acme-datadog-child", 1, DATADOG_ALL))
    for child in range(2, scenario.datadog_child_orgs + 1):  # the other child orgs' own keys
        creds.append(_datadog(f"datadog_child_{child}", f"acme-datadog-child-{child}", child, DATADOG_ALL))
    creds.append(_datadog("datadog_no_billing", "acme-datadog-nobilling", 0, DATADOG_ALL - {"billing_read"}))
    creds.append(_datadog("datadog_no_usage", "acme-datadog-nousage", 0, DATADOG_ALL - {"usage_read"}))
    return {cred.name: cred for cred in creds}
