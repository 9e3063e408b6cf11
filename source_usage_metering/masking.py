"""Secret masking: every secret field of every provider, on every account item, in every form it takes in output.

A secret is rarely printed as typed. A provider's error body echoing it comes back JSON-escaped inside a message
line; requests quotes a bad header value as a bytes repr; a log of headers shows a dict's repr, and the CDK's debug
log JSON-escapes that again; a URL carries it percent-encoded; the Basic header carries key and secret in base64
(registered by `http.auth`). Each secret is registered in all these forms, to two levels of nesting, with the CDK's
filter (which masks its logs and traces) and here (`mask`, applied to every message line the connector prints).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, quote_plus

from airbyte_cdk.utils.airbyte_secrets_utils import add_to_secrets, filter_secrets

MASK = "****"
ESCAPE_DEPTH = 2  # e.g. the JSON-escaped repr of a header dict in a --debug log line
_forms: list[str] = []  # every registered form, longest first (a longer form is replaced before a part of it)
_known: dict[str, list[str]] = {}  # secret -> its forms


def _escapes(text: str) -> set[str]:
    """The ways one level of output writes `text` inside something else."""
    return {
        repr(text)[1:-1],  # Python repr: a dict of headers, exception arguments
        repr(text.encode("utf-8"))[2:-1],  # bytes repr: "Invalid header value b'...'"
        json.dumps(text)[1:-1],  # JSON, ASCII-escaped (the json module: the CDK's debug log lines)
        json.dumps(text, ensure_ascii=False)[1:-1],  # JSON as orjson writes message lines
        quote(text, safe=""),  # URL-encoded (path or query)
        quote_plus(text, safe=""),  # form-encoded
    }


def secret_forms(value: str) -> list[str]:
    """`value` and every escaped form of it up to `ESCAPE_DEPTH` levels, longest first."""
    forms = {value}
    for _ in range(ESCAPE_DEPTH):
        forms |= {escaped for form in forms for escaped in _escapes(form)}
    return sorted((form for form in forms if form), key=len, reverse=True)


def register_secret(value: str) -> None:
    """Mask `value` in every form, in the CDK's output and in `mask`.

    The CDK's list is given the forms every time: each command start replaces that list wholesale.
    """
    if not value:
        return
    forms = _known.get(value)
    if forms is None:
        forms = _known[value] = secret_forms(value)
        _forms.extend(form for form in forms if form not in _forms)
        _forms.sort(key=len, reverse=True)
    for form in forms:
        add_to_secrets(form)


def register_secrets(raw: Any) -> None:
    """Mask every secret nested in `accounts`, even in an invalid config (the CDK only sees top-level ones).

    Every provider's secret field names are looked for on every item, so an item whose `provider` is misspelled or
    unknown is masked too.
    """
    from source_usage_metering.providers import secret_fields

    items = raw.get("accounts") if isinstance(raw, Mapping) else None
    names = secret_fields()
    for item in items if isinstance(items, list) else []:
        if isinstance(item, Mapping):
            for key in names:
                value = item.get(key)
                if isinstance(value, str) and value:
                    register_secret(value)


def mask(text: str) -> str:
    """`text` with every registered form of every secret replaced by `****`, longest forms first."""
    for form in _forms:
        if form in text:
            text = text.replace(form, MASK)
    return filter_secrets(text)
