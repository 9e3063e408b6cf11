"""Native Singer tap (`tap-usage-metering`) over the same source, streams and config as the Airbyte connector."""
