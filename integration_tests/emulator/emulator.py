"""`Emulator`: builds the seeded tenants, runs the loopback server in a thread, exposes truth and knobs."""

from __future__ import annotations

import dataclasses
import json
import threading
from collections.abc import Sequence
from datetime import date, datetime, time, timezone
from typing import Any

from .confluent import ConfluentApi
from .confluent_data import ConfluentTenant
from .credentials import Credential, build_credentials
from .datadog import DatadogApi
from .datadog_data import DatadogAccount
from .faults import Faults
from .messages import ApiRequest, ApiResponse, json_response
from .scenario import Revisions, Scenario, data_start
from .server import EmulatorHTTPServer, Gateway
from .truth import DateLike, confluent_truth, datadog_hourly_truth, datadog_truth
from .variances import Variances

DEFAULT_ACCOUNTS = {"confluent": "confluent_org_a", "datadog": "datadog_parent"}


class Emulator:
    """A Confluent Cloud + Datadog backend on 127.0.0.1, for e2e tests, demos and benchmarks.

    Example:
        with Emulator(scenario=Scenario(months=2, seed=7)) as emu:
            config = emu.connector_config()
    """

    def __init__(
        self,
        scenario: Scenario | None = None,
        faults: Faults | None = None,
        port: int = 0,
        today: date | None = None,
        variances: Variances | None = None,
        now: datetime | None = None,
    ) -> None:
        """Build the data set (nothing listens until `start()`).

        Args:
            scenario: Data knobs; defaults to `Scenario()`.
            faults: Fault knobs and rate budget; defaults to `Faults()` (no faults, 10000 requests/60 s).
            port: TCP port on 127.0.0.1; 0 picks a free one.
            today: The emulated UTC date; all data is dated relative to it. Defaults to the real UTC today.
            variances: Real-world answers to give (see `Variances`); switch them later with `set_variances`.
            now: The providers' clock, sent in every answer's `Date` header; defaults to 23:59:59 of `today`.
        """
        self.scenario = scenario or Scenario()
        self.today = today or datetime.now(timezone.utc).date()
        self.now = now or datetime.combine(self.today, time(23, 59, 59), tzinfo=timezone.utc)
        self.variances = variances or Variances()
        self.revisions = Revisions()
        self._credentials = build_credentials(self.scenario)
        orgs = max(self.scenario.confluent_orgs, 2)
        self.confluent_tenants = [ConfluentTenant(self.scenario, i, self.today, self.revisions) for i in range(orgs)]
        self.datadog_account = DatadogAccount(self.scenario, self.today, self.revisions, self.variances)
        self._apis = {
            "confluent": ConfluentApi(self.confluent_tenants, self._credentials, self.today, self.variances),
            "datadog": DatadogApi(self.datadog_account, self._credentials, self.today),
        }
        self.gateway = Gateway(self._apis, faults or Faults(), self._admin_routes(), clock=lambda: self.now)
        self._port = port
        self._server: EmulatorHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> Emulator:
        """Bind 127.0.0.1 and serve in a daemon thread; returns self."""
        if self._server is None:
            self._server = EmulatorHTTPServer(self._port, self.gateway)
            self._thread = threading.Thread(
                target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="emulator", daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            if self._thread is not None:
                self._thread.join(timeout=5)
            self._server, self._thread = None, None

    def serve_forever(self) -> None:
        """Block until `stop()` is called from another thread (used by the CLI)."""
        self.start()
        if self._thread is not None:
            self._thread.join()

    @property
    def port(self) -> int:
        """The bound port (raises if not started)."""
        if self._server is None:
            raise RuntimeError("emulator not started")
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:PORT`."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def credentials(self) -> dict[str, dict[str, Any]]:
        """Credential name -> ready connector `accounts[]` item (see `credentials.build_credentials`)."""
        return {name: cred.account_item(self.base_url) for name, cred in self._credentials.items()}

    def connector_config(self, providers: Sequence[str] = ("confluent", "datadog"), **overrides: Any) -> dict:
        """Return a ready connector config: one account per provider, the data set's `start_date`.

        Args:
            providers: Which providers' default accounts to include (org A, Datadog parent).
            **overrides: Top-level keys to set or replace (e.g. `start_date`, `accounts`).
        """
        accounts = [self.credentials[DEFAULT_ACCOUNTS[provider]] for provider in providers]
        config = {
            "accounts": accounts,
            "start_date": data_start(self.today, self.scenario.months).isoformat(),
            "include_remote_data": True,
        }
        config.update(overrides)
        return config

    def truth(
        self, provider: str, start: DateLike | None = None, end: DateLike | None = None, account: str = ""
    ) -> dict[str, Any]:
        """Return the ground truth of [start, end) (defaults: the whole data set up to today).

        Args:
            provider: `confluent` (raw cost rows) or `datadog` (monthly cost per org and product).
            start: First day (inclusive), `YYYY-MM-DD` or a date.
            end: Last day (exclusive).
            account: Credential name whose tenant to report; defaults to org A / the Datadog parent.

        Returns:
            `{"lines": [...], "total": float, "by_month": {"YYYY-MM": float}, "by_product": {...}, "count": int}`.
        """
        start = start or data_start(self.today, self.scenario.months)
        end = end or self.today
        credential = self._credential(provider, account)
        if provider == "confluent":
            return confluent_truth(self.confluent_tenants[credential.tenant], start, end)
        return datadog_truth(self.datadog_account, self._datadog_orgs(credential), start, end)

    def truth_hourly(
        self, start: DateLike, end: DateLike, account: str = "", include_descendants: bool = True
    ) -> dict[str, Any]:
        """Return Datadog hourly usage counts in [start, end): `records`, non-null `count`, `total`, `zeros`."""
        credential = self._credential("datadog", account)
        org_ids = self._datadog_orgs(credential) if include_descendants else [credential.tenant]
        return datadog_hourly_truth(self.datadog_account, org_ids, start, end, self.datadog_account.families)

    def stats(self) -> dict[str, Any]:
        """Return `{"requests", "by_path", "status_counts", "records_served"}` of API traffic."""
        return self.gateway.stats.snapshot()

    def reset_stats(self) -> None:
        """Zero the traffic counters."""
        self.gateway.stats.reset()

    @property
    def faults(self) -> Faults:
        """The current fault knobs."""
        return self.gateway.injector.faults

    def set_faults(self, faults: Faults) -> None:
        """Replace the fault knobs at runtime (also reseeds the dice and `fail_first_n` counters)."""
        self.gateway.set_faults(faults)

    def set_variances(self, variances: Variances) -> None:
        """Switch the real-world answers the emulator gives (cached pages are dropped)."""
        for field in dataclasses.fields(Variances):
            setattr(self.variances, field.name, getattr(variances, field.name))
        for api in self._apis.values():
            api.cache.clear()

    def revise(self, days: int = 3, factor: float = 1.1) -> None:
        """Multiply the last `days` days' Confluent amounts and Datadog costs/hourly values by `factor`."""
        self.revisions.revise(self.today, days, factor)

    def _credential(self, provider: str, account: str) -> Credential:
        credential = self._credentials[account or DEFAULT_ACCOUNTS[provider]]
        if credential.provider != provider:
            raise ValueError(f"credential {account!r} is not a {provider} credential")
        return credential

    def _datadog_orgs(self, credential: Credential) -> list[int]:
        return list(range(len(self.datadog_account.orgs))) if credential.tenant == 0 else [credential.tenant]

    def _admin_routes(self) -> dict:
        return {
            ("GET", "/_emulator/health"): lambda request, body: json_response(self._health()),
            ("GET", "/_emulator/stats"): lambda request, body: json_response(self.stats()),
            ("POST", "/_emulator/reset_stats"): lambda request, body: self._admin_call(self.reset_stats),
            ("GET", "/_emulator/truth"): self._admin_truth,
            ("GET", "/_emulator/truth_hourly"): self._admin_truth,
            ("GET", "/_emulator/faults"): lambda request, body: json_response(self.faults.to_dict()),
            ("GET", "/_emulator/variances"): lambda request, body: json_response(self.variances.to_dict()),
            ("POST", "/_emulator/variances"): self._admin_variances,
            ("POST", "/_emulator/faults"): self._admin_faults,
            ("POST", "/_emulator/revise"): self._admin_revise,
            ("GET", "/_emulator/config"): lambda request, body: json_response(self.connector_config()),
            ("GET", "/_emulator/credentials"): lambda request, body: json_response(self.credentials),
        }

    def _health(self) -> dict[str, Any]:
        return {"ok": True, "base_url": self.base_url, "today": self.today.isoformat(), **self.scenario.as_dict()}

    @staticmethod
    def _admin_call(action: Any) -> ApiResponse:
        action()
        return json_response({"ok": True})

    def _admin_truth(self, request: ApiRequest, body: bytes) -> ApiResponse:
        query = request.query
        try:
            if request.path.endswith("truth_hourly"):
                return json_response(self.truth_hourly(query["start"], query["end"], query.get("account", "")))
            provider = query.get("provider", "confluent")
            return json_response(self.truth(provider, query.get("start"), query.get("end"), query.get("account", "")))
        except (KeyError, ValueError) as error:
            return json_response({"errors": [f"bad truth query: {error}"]}, 400)

    def _admin_faults(self, request: ApiRequest, body: bytes) -> ApiResponse:
        try:
            self.set_faults(Faults.from_dict(json.loads(body or b"{}")))
        except (TypeError, ValueError) as error:
            return json_response({"errors": [f"bad faults: {error}"]}, 400)
        return json_response(self.faults.to_dict())

    def _admin_variances(self, request: ApiRequest, body: bytes) -> ApiResponse:
        try:
            self.set_variances(Variances.from_dict(json.loads(body or b"{}")))
        except (TypeError, ValueError) as error:
            return json_response({"errors": [f"bad variances: {error}"]}, 400)
        return json_response(self.variances.to_dict())

    def _admin_revise(self, request: ApiRequest, body: bytes) -> ApiResponse:
        try:
            values = json.loads(body or b"{}")
            self.revise(int(values.get("days", 3)), float(values.get("factor", 1.1)))
        except (TypeError, ValueError, AttributeError) as error:
            return json_response({"errors": [f"bad revision: {error}"]}, 400)
        return json_response({"ok": True, "revision": self.revisions.version})
