"""meltano/meltano.yml, the example project the README points Meltano users to, agrees with the spec and catalog.

Meltano passes only declared settings through `meltano config` and reads only the streams in `select`; a setting or
stream added to the connector but not to the example is invisible to a Meltano user (CI caught `focus_cost` missing).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from source_usage_metering.spec import spec_document
from source_usage_metering.streams import STREAM_NAMES

ROOT = Path(__file__).resolve().parents[2]


def extractor() -> dict[str, Any]:
    project = yaml.safe_load((ROOT / "meltano" / "meltano.yml").read_text())
    return project["plugins"]["extractors"][0]


def test_the_example_declares_every_top_level_setting_of_the_spec() -> None:
    declared = {s["name"] for s in extractor()["settings"]}
    assert declared == set(spec_document()["connectionSpecification"]["properties"])


def test_the_example_marks_the_accounts_setting_sensitive() -> None:
    accounts = next(s for s in extractor()["settings"] if s["name"] == "accounts")
    assert accounts.get("sensitive") is True


def test_the_example_selects_every_stream() -> None:
    assert {rule.removesuffix(".*") for rule in extractor()["select"]} == set(STREAM_NAMES)
