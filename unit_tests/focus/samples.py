"""FOCUS rows of both providers built with the real transforms from the payload fixtures."""

from __future__ import annotations

from source_usage_metering.providers.confluent import focus as confluent_focus
from source_usage_metering.providers.confluent import transform as confluent
from source_usage_metering.providers.datadog import focus as datadog_focus
from source_usage_metering.providers.datadog import transform as datadog
from unit_tests.conftest import payload

DATADOG_FIXTURES = (
    ("estimated_cost__sub_org", "2026-11"),
    ("historical_cost__sub_org", "2026-09"),
    ("estimated_cost__non_ascii_org", "2026-11"),
)


def sample_rows() -> list[dict]:
    """Rows of both providers from the payload fixtures (every Confluent scenario, a child org, credits)."""
    tenant = confluent.Tenant("org-1", "Org Ünïcode")
    rows = [
        row
        for page in (
            "billing_costs__page1",
            "billing_costs__last_page_empty_next",
            "billing_costs__discounts_and_credits",
        )
        for key, line in confluent.group_cost_rows(payload(f"confluent/{page}")["data"]).items()
        for row in confluent_focus.to_focus_rows(
            confluent.to_usage_record(key, line, tenant, {"env-zmz2zd": "prod"}, include_remote_data=False),
            confluent_focus.focus_context("org-1", "Org Ünïcode"),
        )
    ]
    for name, month in DATADOG_FIXTURES:
        for line in datadog.fold_cost_rows(payload(f"datadog/{name}")["data"], {month}).values():
            record = datadog.to_cost_record(line, "datadoghq.com", "final", "USD", {}, include_remote_data=False)
            rows += datadog_focus.to_focus_rows(record, datadog_focus.focus_context("fasjyydbcgwwc2uc", "P", "USD"))
    return rows
