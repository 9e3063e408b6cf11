"""Every documented Datadog id format, pinned literally (docs/usage-metering.md)."""

from __future__ import annotations

from source_usage_metering.providers.datadog import ids

SITE, ORG = "datadoghq.eu", "fasjyydbcgwwc2uc"


def test_organization_id_names_site_and_public_id() -> None:
    assert ids.organization_id(SITE, ORG) == "datadog|datadoghq.eu|fasjyydbcgwwc2uc|organization"


def test_hourly_id_is_org_family_usage_type_and_hour() -> None:
    prefix = ids.hourly_prefix(SITE, ORG, "infra_hosts")
    expected = "datadog|datadoghq.eu|fasjyydbcgwwc2uc|hourly|infra_hosts|agent_host_count|2026-11-20T14"
    assert ids.hourly_id(prefix, "agent_host_count", "2026-11-20T14") == expected
    assert ids.hourly_id_head(prefix, "agent_host_count") + "2026-11-20T14" == expected


def test_cost_id_is_org_month_and_billing_dimension() -> None:
    assert (
        ids.cost_id(SITE, ORG, "2026-11", "infra_host")
        == "datadog|datadoghq.eu|fasjyydbcgwwc2uc|cost|2026-11|infra_host"
    )


def test_products_are_shared_families_and_billing_dimensions() -> None:
    assert ids.family_product_id("infra_hosts") == "datadog|product|infra_hosts"
    assert ids.dimension_product_id("infra_host") == "datadog|billing_dimension|infra_host"


def test_a_free_text_usage_type_is_hashed_inside_the_hourly_id() -> None:
    prefix = ids.hourly_prefix(SITE, ORG, "logs")
    hashed = ids.hourly_id(prefix, "odd type", "2026-11-20T14").split("|")
    assert hashed[:5] == ["datadog", "datadoghq.eu", "fasjyydbcgwwc2uc", "hourly", "logs"]
    assert hashed[5].startswith("h:")
    assert len(hashed[5]) == 18
    assert hashed[6] == "2026-11-20T14"
