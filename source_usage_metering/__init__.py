"""source-usage-metering: unified SaaS usage and cost (Confluent Cloud, Datadog) as an Airbyte source."""

from source_usage_metering.source import SourceUsageMetering

__all__ = ["SourceUsageMetering"]
