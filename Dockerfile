# syntax=docker/dockerfile:1.7
# One Dockerfile, one target per deliverable, built from the repository root:
#
#   docker build --target broker     -t kanal/broker:dev .
#   docker build --target controller -t kanal/controller:dev .
#   docker build --target registry   -t kanal/registry:dev .   (schema registry)
#   docker build --target connect    -t kanal/connect:dev .    (connect worker)
#   docker build --target cli        -t kanal/cli:dev .        (the `kanal` command; helm test)
#
# Each runtime image holds one virtualenv with only its own distributions: the broker image
# has libs/kanal[server] + services/broker and nothing of the controller, and the reverse.
# Configuration is environment only (KANAL_BROKER_* / KANAL_CONTROLLER_* / KANAL_REGISTRY_* /
# KANAL_CONNECT_* / KANAL_ETCD / KANAL_CLUSTER_ID, see each service's __main__.py); the images
# set the in-container defaults (listen on all interfaces, data under /var/lib/kanal/data).

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# ---- shared base: interpreter, non-root user, no bytecode or pip caches ----------------------
FROM ${PYTHON_IMAGE} AS base
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/venv/bin:$PATH
# A fixed uid/gid so Kubernetes' runAsUser/fsGroup (10001) and volume ownership agree.
RUN groupadd --system --gid 10001 kanal \
 && useradd --system --uid 10001 --gid kanal --home-dir /var/lib/kanal --create-home kanal \
 && install -d -o kanal -g kanal /var/lib/kanal/data
WORKDIR /var/lib/kanal

# ---- build stages: a virtualenv per image (sources never reach the runtime stage) -----------
FROM base AS build-cli
COPY libs/kanal /src/libs/kanal
RUN python -m venv /opt/venv && pip install /src/libs/kanal

FROM base AS build-broker
COPY libs/kanal /src/libs/kanal
COPY services/broker /src/services/broker
RUN python -m venv /opt/venv && pip install "/src/libs/kanal[server]" /src/services/broker

FROM base AS build-controller
COPY libs/kanal /src/libs/kanal
COPY services/controller /src/services/controller
RUN python -m venv /opt/venv && pip install "/src/libs/kanal[server]" /src/services/controller

FROM base AS build-registry
COPY libs/kanal /src/libs/kanal
COPY services/schema-registry /src/services/schema-registry
RUN python -m venv /opt/venv \
 && pip install "/src/libs/kanal[server]" /src/services/schema-registry

FROM base AS build-connect
COPY libs/kanal /src/libs/kanal
COPY services/connect /src/services/connect
RUN python -m venv /opt/venv && pip install /src/libs/kanal /src/services/connect

# ---- runtime: broker ------------------------------------------------------------------------
FROM base AS broker
COPY --from=build-broker /opt/venv /opt/venv
ENV KANAL_BROKER_HOST=0.0.0.0 \
    KANAL_BROKER_DATA_DIR=/var/lib/kanal/data
USER 10001:10001
EXPOSE 9091 9404
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-m", "kanal.healthcheck", "--quiet", "127.0.0.1:9091"]
# Exec form: python is PID 1 and receives SIGTERM itself; the broker closes its logs cleanly.
ENTRYPOINT ["python", "-m", "kanal_broker"]

# ---- runtime: controller --------------------------------------------------------------------
FROM base AS controller
COPY --from=build-controller /opt/venv /opt/venv
ENV KANAL_CONTROLLER_HOST=0.0.0.0
USER 10001:10001
EXPOSE 9093 9405
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-m", "kanal.healthcheck", "--quiet", "127.0.0.1:9093"]
# Exec form: SIGTERM reaches the controller, which resigns so a standby takes over at once.
ENTRYPOINT ["python", "-m", "kanal_controller"]

# ---- runtime: schema registry ---------------------------------------------------------------
FROM base AS registry
COPY --from=build-registry /opt/venv /opt/venv
ENV KANAL_REGISTRY_HOST=0.0.0.0
USER 10001:10001
EXPOSE 8081 8082 9407
# `GET /` answers 200 once the instance has read _schemas to its end. Python's urllib (no
# curl in a slim image): urlopen raises on a refused connection or any non-2xx answer.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8081/', timeout=4)"]
ENTRYPOINT ["python", "-m", "kanal_registry"]

# ---- runtime: connect worker ----------------------------------------------------------------
FROM base AS connect
COPY --from=build-connect /opt/venv /opt/venv
ENV KANAL_CONNECT_HOST=0.0.0.0
USER 10001:10001
EXPOSE 8083 8084 9408
# `GET /` answers 200 once the worker has joined its group and read its config topic.
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8083/', timeout=4)"]
# Exec form: SIGTERM reaches the worker, which stops its tasks and leaves the group.
ENTRYPOINT ["python", "-m", "kanal_connect"]

# ---- runtime: the kanal command line (client only, no server dependencies) ------------------
FROM base AS cli
COPY --from=build-cli /opt/venv /opt/venv
USER 10001:10001
ENTRYPOINT ["kanal"]
CMD ["--help"]
