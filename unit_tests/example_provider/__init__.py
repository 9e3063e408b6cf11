"""A test-only provider (the "dummy driver"): one org, one product, one daily cost line per day.

It lives outside the connector package and is added with the public `providers.register()`; the worked example of
docs/adding-a-provider.md. Its secret is `access_token`, a field name no built-in provider uses.
"""

from __future__ import annotations

from source_usage_metering.providers.base import package_spec

PROVIDER_SPEC = package_spec(__name__, provider_class="ExampleProvider")
