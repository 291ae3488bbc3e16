# One image for every Fulcrum service. The command picks the service:
#   python -m services.<name>                     serve it (org, goals, ...)
#   python -m services.chassis.migrations <name>  apply its schema migrations (the Job before a rollout)
# Build: docker build -t fulcrum:<version> .

ARG PYTHON_IMAGE=python:3.11.14-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
RUN python -m venv /opt/fulcrum
ENV PATH=/opt/fulcrum/bin:$PATH
COPY pyproject.toml ./
COPY services ./services
RUN pip install .
# The generated gRPC code, made as `make proto` makes it, but straight into the virtual environment.
COPY protos ./protos
RUN GOOGLE_API="$(python -c 'import google.api.http_pb2 as m, os; print(os.path.dirname(m.__file__))')" \
    && SITE_PACKAGES="$(python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')" \
    && mkdir -p third_party/google/api \
    && cp "$GOOGLE_API/annotations.proto" "$GOOGLE_API/http.proto" "$GOOGLE_API/field_behavior.proto" \
        third_party/google/api/ \
    && find protos -name '*.proto' -print0 \
    | xargs -0 python -m grpc_tools.protoc -I protos -I third_party \
        --python_out="$SITE_PACKAGES" --pyi_out="$SITE_PACKAGES" --grpc_python_out="$SITE_PACKAGES" \
    && python -c 'import fulcrum.org.v1.org_pb2_grpc, fulcrum.goals.v1.goals_pb2_grpc' \
    && pip uninstall --yes grpcio-tools setuptools pip \
    && python -m compileall -q /opt/fulcrum

FROM ${PYTHON_IMAGE}
ENV PATH=/opt/fulcrum/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    FULCRUM_GRPC_HOST=0.0.0.0 \
    FULCRUM_VAR_DIR=/tmp/fulcrum
RUN groupadd --system --gid 10001 fulcrum \
    && useradd --system --uid 10001 --gid fulcrum --no-create-home --shell /usr/sbin/nologin fulcrum
COPY --from=build /opt/fulcrum /opt/fulcrum
WORKDIR /tmp
USER 10001:10001
CMD ["python", "-m", "services.org"]
