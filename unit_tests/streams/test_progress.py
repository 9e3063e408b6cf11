from __future__ import annotations

from airbyte_cdk.models import TraceType

from unit_tests.confluent_api import mock_costs, mock_org_api, two_page_costs
from unit_tests.conftest import ConfigBuilder
from unit_tests.read_helpers import read_source


def test_given_three_slices_when_read_then_progress_logged_and_estimates_emitted(http) -> None:
    mock_org_api(http)
    mock_costs(http, {"2026-09-01": two_page_costs()})
    config = ConfigBuilder().with_confluent().with_(start_date="2026-08-15", end_date="2026-10-10").build()
    output = read_source(config, "usage")
    estimates = [m.trace.estimate for m in output.trace_messages if m.trace.type == TraceType.ESTIMATE]
    assert [e.name for e in estimates] == ["usage"] * 3
    assert estimates[-1].row_estimate == 7
    assert output.is_in_logs(
        r"usage: accounts\[0\] \(confluent: acme\): 2026-09-01T00:00\.\.2026-10-01T00:00: 7 records"
    )
    assert output.is_in_logs(r"usage: finished: 7 records from 1 account\(s\) in 3 slice\(s\)")


def test_given_catalog_stream_when_read_then_summary_logged(http) -> None:
    mock_org_api(http)
    output = read_source(ConfigBuilder().with_confluent().build(), "workspaces")
    assert output.is_in_logs(r"workspaces: finished: 2 records from 1 account\(s\) in 1 slice\(s\)")
