# Image of the Airbyte source `source-usage-metering`, built the way Airbyte runs Python connectors.
#
#   docker build -t airbyte/source-usage-metering:dev .
#
# BASE_IMAGE defaults to Airbyte's Python connector base image (pinned by digest, as in metadata.yaml).
# INSTALL_FROM=index installs the package and its dependencies from the package index (the normal build);
# INSTALL_FROM=wheelhouse installs offline from ./wheelhouse, built on the host with `pip wheel . -w wheelhouse`
# (for machines where the build cannot reach the index; see scripts/docker_e2e.sh).
ARG BASE_IMAGE=docker.io/airbyte/python-connector-base:4.1.0@sha256:1d1aa21d34e851df4e8a87b391c27724c06e2597608e7161f4d167be853bd7b6

FROM ${BASE_IMAGE} AS builder
ARG INSTALL_FROM=index
WORKDIR /build
COPY . .
# A venv works on both bases: Airbyte's and a plain Debian python3, which refuses system-wide pip (PEP 668).
RUN python3 -m venv /opt/venv \
    && if [ "${INSTALL_FROM}" = "wheelhouse" ]; then \
         /opt/venv/bin/pip install --no-cache-dir --no-index --find-links /build/wheelhouse airbyte-source-usage-metering; \
       elif [ "${INSTALL_FROM}" = "index" ]; then \
         /opt/venv/bin/pip install --no-cache-dir /build; \
       else \
         echo "INSTALL_FROM must be index or wheelhouse, not '${INSTALL_FROM}'" >&2; exit 2; \
       fi \
    && /opt/venv/bin/source-usage-metering spec > /dev/null

FROM ${BASE_IMAGE}
# Airbyte's base image has the `airbyte` user; a plain Debian base does not.
RUN id -u airbyte > /dev/null 2>&1 || useradd --create-home --user-group --uid 1000 airbyte
COPY --from=builder /opt/venv /opt/venv
ENV PATH="/opt/venv/bin:${PATH}"
WORKDIR /airbyte/integration_code
USER airbyte
ENV AIRBYTE_ENTRYPOINT="source-usage-metering"
ENTRYPOINT ["source-usage-metering"]
