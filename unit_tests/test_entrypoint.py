"""The entrypoint masks every message line: a spec-validation error quoting a whole account item prints no secret."""

from __future__ import annotations

import copy
import json
import logging
from pathlib import Path

import pytest
from airbyte_cdk.models import ConnectorSpecification

from source_usage_metering.entrypoint import UsageMeteringEntrypoint
from source_usage_metering.errors import InvalidConfig
from source_usage_metering.masking import mask
from source_usage_metering.source import SourceUsageMetering
from unit_tests.conftest import CONFLUENT_SECRET, ConfigBuilder


class StricterSpecSource(SourceUsageMetering):
    """The source with a spec rule our own validation does not know: a Confluent secret of at most 8 characters.

    jsonschema's message for it quotes the value: "'<the secret>' is too long".
    """

    def spec(self, logger: logging.Logger) -> ConnectorSpecification:
        spec = super().spec(logger)
        schema = copy.deepcopy(spec.connectionSpecification)
        items = schema["properties"]["accounts"]["items"]
        confluent = next(v for v in items.pop("oneOf") if v["properties"]["provider"]["const"] == "confluent")
        confluent["properties"]["api_secret"]["maxLength"] = 8
        items.update(confluent)
        return ConnectorSpecification(connectionSpecification=schema)


def test_a_spec_validation_error_quoting_an_account_item_is_masked_in_the_connection_status(tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text(json.dumps(ConfigBuilder().with_confluent().build()))
    entrypoint = UsageMeteringEntrypoint(StricterSpecSource())
    lines = list(entrypoint.run(entrypoint.parse_args(["check", "--config", str(config)])))
    [status] = [json.loads(line) for line in lines if '"CONNECTION_STATUS"' in line]
    message = status["connectionStatus"]["message"]
    assert status["connectionStatus"]["status"] == "FAILED"
    assert message == "Config validation error: '****' is too long"  # the CDK's message quoted the secret
    assert not any(CONFLUENT_SECRET in line for line in lines)


def test_the_same_error_of_discover_and_read_is_masked(tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text(json.dumps(ConfigBuilder().with_confluent().build()))
    catalog = tmp_path / "catalog.json"
    catalog.write_text('{"streams": []}')
    entrypoint = UsageMeteringEntrypoint(StricterSpecSource())
    for args in (["discover"], ["read", "--catalog", str(catalog)]):
        with pytest.raises(InvalidConfig) as raised:
            list(entrypoint.run(entrypoint.parse_args([*args, "--config", str(config)])))
        assert "is too long" in raised.value.message
        assert CONFLUENT_SECRET not in mask(raised.value.as_message_line())
