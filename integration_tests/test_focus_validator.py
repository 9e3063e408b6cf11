"""FOCUS rows of a full emulator sync, checked by the FinOps Foundation's validator and against the truth.

Slow: runs the connector, then focus-validator 2.2.1 from `.venv-focus/` (`bash scripts/setup_focus_validator.sh`).
"""

from __future__ import annotations

import re
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest

from integration_tests.emulator import Emulator
from integration_tests.focus_validation import (
    FocusValidatorMissing,
    ValidationResult,
    parse_output,
    validate_focus_csv,
    validator_paths,
)
from integration_tests.harness import discover_catalog, run_connector
from source_usage_metering.focus.columns import COLUMN_NAMES, FocusRow
from source_usage_metering.focus.csv_export import write_focus_csv
from source_usage_metering.providers.datadog import focus as datadog_focus
from source_usage_metering.providers.datadog import transform as datadog_transform
from unit_tests.conftest import payload
from unit_tests.focus.spec_rules import KNOWN_GAPS, allowed_value_violations, nullability_gaps

DOCS = Path(__file__).resolve().parent.parent / "docs" / "focus.md"
CENT = Decimal("0.01")
PROVIDERS = ("confluent", "datadog")


def validator_missing() -> str | None:
    try:
        validator_paths()
    except FocusValidatorMissing as missing:
        return str(missing)
    return None


needs_validator = pytest.mark.skipif(
    validator_missing() is not None, reason=validator_missing() or "focus-validator installed"
)


def docs_waivers() -> dict[str, set[str]]:
    """Rule id -> providers, from the "Waived validator rules" table of docs/focus.md."""
    section = DOCS.read_text().split("### Waived validator rules", 1)[1].split("\n### ", 1)[0]
    waivers = {}
    for rule, providers, reason in re.findall(r"^\| `([^`]+)` \| ([a-z, ]+) \| (.+) \|$", section, re.MULTILINE):
        assert '"' in reason, f"{rule}: a waiver quotes the spec clause that makes it inapplicable"
        waivers[rule] = {p.strip() for p in providers.split(",")}
    return waivers


def docs_filled_columns() -> dict[str, set[str]]:
    """Provider -> columns the docs' column tables say it fills (cells other than null / not emitted)."""
    filled: dict[str, set[str]] = {provider: set() for provider in PROVIDERS}
    table = DOCS.read_text().split("## Column table", 1)[1].split("\n## ", 1)[0]
    for line in table.splitlines():
        cells = [cell.strip() for cell in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
        if len(cells) < 3 or not cells[0].startswith("`"):
            continue
        confluent, datadog = cells[-2:]
        for provider, cell in zip(PROVIDERS, (confluent, datadog), strict=True):
            if not cell.startswith(("null", "not emitted")):
                filled[provider].add(cells[0].strip("`"))
    return filled


@pytest.fixture(scope="module")
def focus_rows(emulator: Emulator, tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[FocusRow]]:
    """Provider -> the focus_cost stream's rows of a full sync of both providers (every cost month, 1 day hourly)."""
    tmp = tmp_path_factory.mktemp("focus")
    accounts = [
        emulator.credentials["confluent_org_a"],
        {**emulator.credentials["datadog_parent"], "hourly_usage_days": 1},
    ]
    config = {"accounts": accounts, "include_remote_data": False}
    _, configured = discover_catalog(config, tmp)
    configured["streams"] = [s for s in configured["streams"] if s["stream"]["name"] in ("usage", "focus_cost")]
    run = run_connector(["read"], tmp, config=config, catalog=configured)
    assert run.returncode == 0, run.stderr[-3000:]
    rows: dict[str, list[FocusRow]] = {provider: [] for provider in PROVIDERS}
    for row in run.records("focus_cost"):
        rows[row["x_Provider"]].append({column: row.get(column) for column in COLUMN_NAMES})
    charges = sum(len(record["charges"]) for record in run.records("usage"))
    assert sum(len(provider_rows) for provider_rows in rows.values()) == charges  # one row per charge
    return rows


def write_csv(rows: list[FocusRow], path: Path) -> Path:
    with path.open("w", newline="", encoding="utf-8") as out:
        write_focus_csv(rows, out)
    return path


def assert_only_waived_rules_fail(result: ValidationResult, providers: set[str]) -> None:
    waived = {rule for rule, applies in docs_waivers().items() if applies & providers}
    assert result.failed == len(result.failing_rules), result.output[-3000:]
    assert set(result.failing_rules) <= waived, f"unwaived: {sorted(set(result.failing_rules) - waived)}"
    assert result.total > 500
    assert result.passed > 100


@needs_validator
@pytest.mark.slow
@pytest.mark.parametrize("providers", [("confluent",), ("datadog",), PROVIDERS], ids=["confluent", "datadog", "both"])
def test_the_validator_fails_no_unwaived_rule(focus_rows, tmp_path: Path, providers: tuple[str, ...]) -> None:
    rows = [row for provider in providers for row in focus_rows[provider]]
    result = validate_focus_csv(write_csv(rows, tmp_path / "focus.csv"))
    print(
        f"{'+'.join(providers)}: Total: {result.total} | Pass: {result.passed} | Fail: {result.failed} | "
        f"Skipped: {result.skipped} | failing: {result.failing_rules}"
    )
    assert_only_waived_rules_fail(result, set(providers))
    assert "InvoiceId-C-004-C" not in result.failing_rules  # null InvoiceId: the "MUST be null" half holds


@needs_validator
@pytest.mark.slow
def test_non_ascii_names_fail_raw_and_pass_ascii_safe(tmp_path: Path) -> None:
    rows = payload("datadog/estimated_cost__non_ascii_org")["data"]
    name = rows[0]["attributes"]["org_name"]  # a real org name from Datadog's API recordings
    assert not name.isascii()
    (line,) = datadog_transform.fold_cost_rows(rows, {"2026-11"}).values()
    record = datadog_transform.to_cost_record(line, "datadoghq.com", "estimated", "USD", {}, include_remote_data=False)
    safe = datadog_focus.to_focus_rows(record, datadog_focus.focus_context("yB5yjZ", name, "USD"))
    assert safe[0]["x_SubAccountNameUnicode"] == safe[0]["x_BillingAccountNameUnicode"] == name
    raw = [{**row, "BillingAccountName": name, "SubAccountName": name} for row in safe]
    safe_csv, raw_csv = write_csv(safe, tmp_path / "safe.csv"), write_csv(raw, tmp_path / "raw.csv")
    assert_only_waived_rules_fail(validate_focus_csv(safe_csv), {"datadog"})
    assert "BillingAccountName-C-002-M" in validate_focus_csv(raw_csv).failing_rules
    # SubAccountName's rules run only when the provider declares sub accounts (true of both providers).
    criteria = ["SUB_ACCOUNT_SUPPORTED", "ACCOUNT_NAMING_SUPPORTED"]
    assert_only_waived_rules_fail(validate_focus_csv(safe_csv, applicability_criteria=criteria), {"datadog"})
    refused = validate_focus_csv(raw_csv, applicability_criteria=criteria).failing_rules
    assert {"BillingAccountName-C-002-M", "SubAccountName-C-002-M"} <= set(refused)


@pytest.mark.slow
def test_billed_cost_per_provider_and_month_equals_the_truth_to_the_cent(emulator: Emulator, focus_rows) -> None:
    for provider in PROVIDERS:
        sums: dict[str, Decimal] = defaultdict(Decimal)
        for row in focus_rows[provider]:
            sums[row["BillingPeriodStart"][:7]] += Decimal(str(row["BilledCost"]))
        truth = emulator.truth(provider)["by_month"]
        assert set(sums) == set(truth), provider
        for month, amount in truth.items():
            assert abs(sums[month] - Decimal(str(amount))) < CENT / 2, (provider, month)
    lines = emulator.truth("confluent")["count"]
    assert len(focus_rows["confluent"]) == lines  # one row per raw cost row (tier)


@pytest.mark.slow
def test_every_column_the_docs_mark_as_filled_is_filled_in_some_row(focus_rows) -> None:
    filled = docs_filled_columns()
    assert {"BilledCost", "SubAccountName", "x_TierDimensions", "ListUnitPrice"} <= filled["confluent"]
    assert {"SubAccountId", "x_CostStatus", "PricingCategory"} <= filled["datadog"]
    for provider in PROVIDERS:
        assert filled[provider] <= set(COLUMN_NAMES), provider
        empty = {c for c in filled[provider] if all(row[c] is None for row in focus_rows[provider])}
        assert empty == set(), (provider, empty)
        never = set(COLUMN_NAMES) - filled[provider]
        assert all(row[c] is None for row in focus_rows[provider] for c in never), provider


@pytest.mark.slow
def test_every_row_has_allowed_values_unique_keys_and_only_the_known_gaps(focus_rows) -> None:
    rows = [row for provider in PROVIDERS for row in focus_rows[provider]]
    assert allowed_value_violations(rows) == []
    assert set(nullability_gaps(rows)) == KNOWN_GAPS
    assert len({row["x_ChargeId"] for row in rows}) == len(rows)
    categories = {(row["x_Provider"], row["ChargeCategory"]) for row in rows}
    assert categories == {
        ("confluent", "Usage"),
        ("confluent", "Purchase"),
        ("confluent", "Credit"),
        ("datadog", "Usage"),
    }


@pytest.mark.slow
def test_confluent_list_cost_is_price_times_quantity_at_confluents_precision(focus_rows) -> None:
    priced = [row for row in focus_rows["confluent"] if row["ListUnitPrice"] is not None]
    assert priced
    for row in priced:
        product = Decimal(str(row["ListUnitPrice"])) * Decimal(str(row["PricingQuantity"]))
        assert abs(product - Decimal(str(row["ListCost"]))) <= Decimal("0.00005"), row["x_ChargeId"]


def test_the_summary_line_and_failing_rule_ids_are_parsed() -> None:
    output = (
        "\n=== Validation Results ===\nTotal: 578 | Pass: 127 | Fail: 2 | Skipped: 449\n"
        "✅ BilledCost-C-001-M: PASS  (violations=0, 1.0ms)\n"
        "❌ InvoiceId-C-005-C: FAIL  (violations=1, msg=InvoiceId MUST NOT be NULL., 4.7ms)\n"
        "❌ ServiceName-C-000-M: FAIL  (violations=1, msg=AND failed)\n"
        "--- Failures ---\n- InvoiceId-C-005-C: violations=1; InvoiceId MUST NOT be NULL.\n"
    )
    result = parse_output(output)
    assert (result.total, result.passed, result.failed, result.skipped) == (578, 127, 2, 449)
    assert result.failing_rules == ["InvoiceId-C-005-C", "ServiceName-C-000-M"]
    with pytest.raises(RuntimeError, match="no summary line"):
        parse_output("Traceback (most recent call last):")


def test_the_docs_waive_few_rules_each_with_a_spec_quote() -> None:
    waivers = docs_waivers()
    assert set(waivers) == {"InvoiceId-C-005-C", "EffectiveCost-C-005-C"}
    assert waivers["InvoiceId-C-005-C"] == set(PROVIDERS)


@pytest.mark.slow
def test_the_emulators_non_ascii_org_name_is_carried_whole_beside_its_ascii_safe_form(focus_rows) -> None:
    named = {(row["SubAccountName"], row["x_SubAccountNameUnicode"]) for row in focus_rows["datadog"]}
    assert ("Acme Z\\u00fcrich", "Acme Zürich") in named
    assert all(name is None or name.isascii() for name, _ in named)
