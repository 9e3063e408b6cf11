"""The packaging agrees with itself: pyproject, Dockerfile, metadata.yaml, the spec and the docs page.

Airbyte runs the image's entrypoint, PyAirbyte and Meltano install the PyPI package named in metadata.yaml, and
the platform only lets the connector reach metadata.yaml's allowedHosts: a mismatch breaks a user, not a test.
"""

from __future__ import annotations

import importlib
import json
import re
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import pytest
import yaml

from source_usage_metering.providers import provider_specs
from source_usage_metering.providers.confluent.account import API_URL as CONFLUENT_API_URL
from source_usage_metering.providers.datadog.account import SITES as DATADOG_SITES
from source_usage_metering.spec import spec_document

tomllib = pytest.importorskip("tomllib")

ROOT = Path(__file__).resolve().parents[1]
SECRET_NAME = re.compile(r"(^|_)(key|secret|token|password)$")


def pyproject() -> dict[str, Any]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def metadata() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "metadata.yaml").read_text())["data"]


def spec() -> dict[str, Any]:
    """The spec as `spec` prints it: the base settings plus one `accounts[]` variant per registered provider."""
    return spec_document()


def variants() -> dict[str, dict[str, Any]]:
    """The `accounts[]` variants by the provider value they accept."""
    items = spec()["connectionSpecification"]["properties"]["accounts"]["items"]["oneOf"]
    return {variant["properties"]["provider"]["const"]: variant for variant in items}


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines]


def final_stage() -> list[tuple[str, str]]:
    instructions = dockerfile_instructions()
    last_from = max(i for i, (name, _) in enumerate(instructions) if name == "FROM")
    return instructions[last_from:]


def console_script() -> str:
    """The Airbyte protocol console script (the package also ships a Singer tap script)."""
    return "source-usage-metering"


def test_console_script_is_the_run_function() -> None:
    target = pyproject()["project"]["scripts"][console_script()]
    assert target == "source_usage_metering.run:run"
    module, _, function = target.partition(":")
    assert callable(getattr(importlib.import_module(module), function))


def test_dockerfile_entrypoint_and_airbyte_entrypoint_are_the_console_script() -> None:
    stage = final_stage()
    entrypoints = [json.loads(arguments) for name, arguments in stage if name == "ENTRYPOINT"]
    assert entrypoints == [[console_script()]]
    env = " ".join(arguments for name, arguments in stage if name == "ENV")
    assert f'AIRBYTE_ENTRYPOINT="{console_script()}"' in env


def test_image_runs_as_the_non_root_airbyte_user() -> None:
    users = [arguments for name, arguments in final_stage() if name == "USER"]
    assert users == ["airbyte"]


def test_metadata_agrees_with_pyproject_and_the_dockerfile() -> None:
    data, project = metadata(), pyproject()["project"]
    assert data["dockerImageTag"] == project["version"]
    assert data["dockerRepository"] == f"airbyte/{console_script()}"
    assert data["remoteRegistries"]["pypi"]["packageName"] == project["name"]
    base_args = [arguments for name, arguments in dockerfile_instructions() if arguments.startswith("BASE_IMAGE=")]
    assert base_args == [f"BASE_IMAGE={data['connectorBuildOptions']['baseImage']}"]
    assert re.fullmatch(r"docker\.io/airbyte/python-connector-base:[\d.]+@sha256:[0-9a-f]{64}", base_args[0][11:])


def test_metadata_registry_fields() -> None:
    data = metadata()
    assert uuid.UUID(data["definitionId"]).version == 4
    assert (data["connectorType"], data["connectorSubtype"]) == ("source", "api")
    assert data["releaseStage"] == "alpha"
    assert data["supportLevel"] == "community"
    assert {"language:python", "cdk:python"} <= set(data["tags"])
    assert data["documentationUrl"] == spec()["documentationUrl"] == pyproject()["project"]["urls"]["Documentation"]


def test_allowed_hosts_are_every_registered_providers_hosts() -> None:
    expected = {host for provider in provider_specs().values() for host in provider.allowed_hosts}
    assert set(metadata()["allowedHosts"]["hosts"]) == expected


def test_every_registered_provider_has_a_spec_variant_declaring_its_secrets() -> None:
    assert list(variants()) == list(provider_specs())
    for name, provider in provider_specs().items():
        properties = variants()[name]["properties"]
        secrets = {key for key, value in properties.items() if value.get("airbyte_secret")}
        assert secrets == set(provider.secret_fields), name
        assert set(variants()[name]["required"]) >= {"provider", *provider.secret_fields}, name


def test_default_hosts_are_allowed_hosts() -> None:
    assert urlsplit(CONFLUENT_API_URL).hostname in provider_specs()["confluent"].allowed_hosts
    site_enum = variants()["datadog"]["properties"]["site"]["enum"]
    assert tuple(site_enum) == DATADOG_SITES
    assert {f"api.{site}" for site in DATADOG_SITES} == set(provider_specs()["datadog"].allowed_hosts)


def test_icon_is_an_svg_image() -> None:
    root = ET.parse(ROOT / metadata()["icon"]).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("viewBox")


def test_docs_changelog_starts_with_the_current_version() -> None:
    docs = (ROOT / "docs" / "usage-metering.md").read_text()
    rows = re.findall(r"^\| (\d+\.\d+\.\d+) \| (\d{4}-\d{2}-\d{2}) \|", docs, flags=re.MULTILINE)
    assert rows, "no changelog rows"
    assert rows[0][0] == pyproject()["project"]["version"]


def properties_by_level(schema: Mapping[str, Any], path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every `properties` object of the spec (top level, account variants), with where it is."""
    if "properties" in schema:
        yield path or "connectionSpecification", schema["properties"]
        for name, child in schema["properties"].items():
            yield from properties_by_level(child, f"{path}.{name}" if path else name)
    for key in ("items",):
        if isinstance(schema.get(key), Mapping):
            yield from properties_by_level(schema[key], f"{path}[]")
    for index, variant in enumerate(schema.get("oneOf") or []):
        yield from properties_by_level(variant, f"{path}.oneOf[{index}]")


def all_properties() -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (where, name, prop)
        for where, properties in properties_by_level(spec()["connectionSpecification"])
        for name, prop in properties.items()
    ]


def test_every_property_has_title_description_and_a_unique_order_at_its_level() -> None:
    for where, properties in properties_by_level(spec()["connectionSpecification"]):
        for name, prop in properties.items():
            for key in ("title", "description", "order"):
                assert prop.get(key) not in (None, ""), f"{where}.{name} has no {key}"
        orders = [prop["order"] for prop in properties.values()]
        assert len(orders) == len(set(orders)), f"{where}: duplicate orders {orders}"


def test_secrets_are_airbyte_secret_and_nothing_else_is() -> None:
    for where, name, prop in all_properties():
        assert bool(prop.get("airbyte_secret")) == bool(SECRET_NAME.search(name)), f"{where}.{name}"


# What each built-in provider's key descriptions must name (a registered provider brings its own docs).
KEY_NEEDS = {
    "confluent": {"api_key": ("OrganizationAdmin", "BillingAdmin", "Cloud API key")},
    "datadog": {
        "api_key": ("parent organization",),
        "application_key": ("usage_read", "billing_read", "org_management"),
    },
}


def test_key_descriptions_say_which_role_or_permission_they_need() -> None:
    for name, needs in KEY_NEEDS.items():
        for field, words in needs.items():
            description = variants()[name]["properties"][field]["description"]
            missing = [word for word in words if word not in description]
            assert not missing, f"{name} {field}: description does not mention {missing}"


def test_date_fields_have_a_pattern_and_examples_that_match_it() -> None:
    dates = [(w, n, p) for w, n, p in all_properties() if n.endswith("_date")]
    assert {n for _, n, _ in dates} == {"start_date", "end_date"}
    for where, name, prop in dates:
        assert prop.get("pattern"), f"{where}.{name}"
        assert prop.get("examples"), f"{where}.{name}"
        for example in prop["examples"]:
            assert re.search(prop["pattern"], example), f"{where}.{name}: {example}"


def test_examples_and_defaults_are_valid_values_of_their_field() -> None:
    for where, name, prop in all_properties():
        schema = {key: value for key, value in prop.items() if key not in ("examples", "default", "order")}
        for value in [*prop.get("examples", []), *([prop["default"]] if "default" in prop else [])]:
            errors = [error.message for error in jsonschema.Draft7Validator(schema).iter_errors(value)]
            assert not errors, f"{where}.{name}: {value!r}: {errors}"


def test_the_acceptance_tests_spec_file_is_the_assembled_spec() -> None:
    assert json.loads((ROOT / "integration_tests" / "spec.json").read_text()) == spec_document()
