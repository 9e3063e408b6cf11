"""The connector spec, assembled: top-level settings from `spec.yaml`, one `accounts[]` variant per provider.

The variants come from the registry (`providers/<name>/spec.yaml` for the built-in ones), so a new provider needs
no edit here.
"""

from __future__ import annotations

import copy
from functools import cache
from importlib import resources
from typing import Any

import yaml
from airbyte_cdk.models import ConnectorSpecification, ConnectorSpecificationSerializer

from source_usage_metering.providers import provider_specs


@cache
def _base_spec() -> dict[str, Any]:
    return yaml.safe_load(resources.files(__package__).joinpath("spec.yaml").read_text())


def spec_document() -> dict[str, Any]:
    """The spec as a JSON-able dict: the base settings with one `accounts[]` variant per registered provider."""
    document = copy.deepcopy(_base_spec())
    items = document["connectionSpecification"]["properties"]["accounts"]["items"]
    items["oneOf"] = [copy.deepcopy(dict(spec.spec_fragment)) for spec in provider_specs().values()]
    return document


def connector_specification() -> ConnectorSpecification:
    """The spec as the CDK returns it from `Source.spec()`."""
    return ConnectorSpecificationSerializer.load(spec_document())
