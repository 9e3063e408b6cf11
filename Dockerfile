# Image of the Airbyte source `source-usage-metering`, built the way Airbyte runs Python connectors.
#
#   docker build -t airbyte/source-usage-metering:dev .
#
# BASE_IMAGE defaults to Airbyte's Python connector base image (pinned by digest, as in metadata.yaml).
# INSTALL_FROM=index installs the dependencies from the package index (the normal build);
# INSTALL_FROM=wheelhouse installs them offline from ./wheelhouse, built on the host with
#   pip wheel . -w wheelhouse && pip wheel setuptools wheel -w wheelhouse
# (for machines where the build cannot reach the index; scripts/docker_e2e.sh does this).
ARG BASE_IMAGE=docker.io/airbyte/python-connector-base:4.1.0@sha256:1d1aa21d34e851df4e8a87b391c27724c06e2597608e7161f4d167be853bd7b6

FROM ${BASE_IMAGE} AS builder
ARG INSTALL_FROM=index
WORKDIR /build
# A venv works on both bases: Airbyte's and a plain Debian python3, which refuses system-wide pip (PEP 668).
RUN python3 -m venv /opt/venv
# Dependencies first, in their own layer: a source change does not reinstall them.
COPY pyproject.toml wheelhouse* ./deps/
RUN python3 -c 'import tomllib; print("\n".join(tomllib.load(open("deps/pyproject.toml", "rb"))["project"]["dependencies"]))' \
        > deps/requirements.txt \
    && if [ "${INSTALL_FROM}" = "wheelhouse" ]; then \
         /opt/venv/bin/pip install --no-cache-dir --no-index --find-links ./deps -r deps/requirements.txt setuptools wheel; \
       elif [ "${INSTALL_FROM}" = "index" ]; then \
         /opt/venv/bin/pip install --no-cache-dir -r deps/requirements.txt setuptools wheel; \
       else \
         echo "INSTALL_FROM must be index or wheelhouse, not '${INSTALL_FROM}'" >&2; exit 2; \
       fi
COPY pyproject.toml README.md* ./src/
COPY source_usage_metering ./src/source_usage_metering
RUN /opt/venv/bin/pip install --no-cache-dir --no-deps --no-build-isolation ./src \
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
