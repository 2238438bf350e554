# The pipeline image: this repository's code and exactly the Python packages of requirements.lock, on
# Debian 13 with Python 3.13 (tfx 1.21's ml-metadata and TFDV wheels need glibc >= 2.39; trixie has 2.41).
#
#   docker build -t europe-west4-docker.pkg.dev/my-project/arcface/pipeline:0.1.0 .
#
# Kubeflow Pipelines and Vertex AI run every component in it (the compiled spec names it via
# kubeflow.image and sets the command). Dataflow workers can run it too (beam.args:
# --sdk_container_image=...): it carries Beam's worker boot program as its entrypoint.

# Must equal apache-beam in requirements.lock (tests/submission/test_dockerfile.py checks).
ARG BEAM_VERSION=2.77.0
ARG PYTHON_IMAGE=python:3.13-slim-trixie

FROM apache/beam_python3.13_sdk:${BEAM_VERSION} AS beam

FROM ${PYTHON_IMAGE} AS packages
# g++: pyfarmhash has no wheel for Python 3.13 and is built from source.
RUN apt-get update && apt-get install -y --no-install-recommends g++ && rm -rf /var/lib/apt/lists/*
COPY requirements.lock /tmp/requirements.lock
# --no-deps: the lock already lists every package at its pinned version, as ./dev installs it.
RUN python -m venv /opt/venv \
    && /opt/venv/bin/pip install --no-cache-dir --disable-pip-version-check --no-deps -r /tmp/requirements.lock \
    && /opt/venv/bin/pip check

FROM ${PYTHON_IMAGE}
COPY --from=beam /opt/apache/beam /opt/apache/beam
COPY --from=packages /opt/venv /opt/venv
WORKDIR /pipeline
COPY arcface_module/ arcface_module/
COPY components/ components/
COPY face_data/ face_data/
COPY serving/ serving/
COPY tfx_module/ tfx_module/
COPY configs/ configs/
COPY verification/ verification/
COPY console/ console/
COPY pipeline/ pipeline/
COPY runners/ runners/
COPY inspection/ inspection/
COPY submission/ submission/
COPY pretrained/ pretrained/
# TF_ENABLE_ONEDNN_OPTS: TensorFlow's oneDNN kernels whatever the CPU of the node (console/quiet.py
# says why): components run here through TFX's entry points, not the project's command lines.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/pipeline \
    PYTHONDONTWRITEBYTECODE=1 \
    TF_ENABLE_ONEDNN_OPTS=1
ENTRYPOINT ["/opt/apache/beam/boot"]
