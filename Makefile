# Every task a person runs. `make run` and `make test` work from a fresh clone with only
# Python 3.11+, git and make: they build the virtual environment and the gRPC stubs first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed
GEN := gen
PROTO_SRC := $(shell find protos -name '*.proto')
PROTO_STAMP := $(GEN)/.generated
PYTEST_ARGS ?=
# Where googleapis-common-protos keeps google/api/*.proto (the HTTP annotations); read after install.
GOOGLE_API = $(shell $(PY) -c "import google.api.http_pb2 as m, os; print(os.path.dirname(m.__file__))")

.PHONY: install proto run test unit integration e2e lint deploy-check deploy-generate bench clean

install: $(STAMP) $(PROTO_STAMP)

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	$(PY) -c "import site, pathlib; pathlib.Path(site.getsitepackages()[0], 'fulcrum_gen.pth').write_text(str(pathlib.Path('$(GEN)/python').resolve()) + '\n')"
	touch $@

# Generated Python is not committed: it is rebuilt here from protos/ whenever a contract changes.
$(PROTO_STAMP): $(STAMP) $(PROTO_SRC)
	rm -rf $(GEN) && mkdir -p $(GEN)/python $(GEN)/third_party/google/api
	cp $(GOOGLE_API)/annotations.proto $(GOOGLE_API)/http.proto $(GOOGLE_API)/field_behavior.proto \
		$(GEN)/third_party/google/api/
	$(PY) -m grpc_tools.protoc -I protos -I $(GEN)/third_party --python_out=$(GEN)/python \
		--pyi_out=$(GEN)/python --grpc_python_out=$(GEN)/python $(PROTO_SRC)
	touch $@

proto: $(PROTO_STAMP)

run: install
	$(BIN)/fulcrum up --demo

test: install lint deploy-check
	$(BIN)/pytest $(PYTEST_ARGS)

unit: install
	$(BIN)/pytest tests/unit $(PYTEST_ARGS)

integration: install
	$(BIN)/pytest -m integration $(PYTEST_ARGS)

e2e: install
	$(BIN)/pytest -m e2e $(PYTEST_ARGS)

# Without ruff's cache, so that what passes here passes on a clean clone.
lint: install
	$(BIN)/ruff check --no-cache .
	$(BIN)/ruff format --no-cache --check .
	$(BIN)/buf lint
	$(BIN)/lint-imports

# The Kubernetes version the rendered manifests must validate against (kubernetes-validate's schemas).
KUBERNETES_VERSION := 1.37.0

# Offline: hadolint on the Dockerfile, every overlay rendered and validated (deploy/check); the policy
# tests in tests/deploy run with the rest of the suite.
deploy-check: install
	$(BIN)/hadolint Dockerfile
	KUBERNETES_VERSION=$(KUBERNETES_VERSION) deploy/check

# Rewrites deploy/k8s/base/services/ from deploy/k8s/service-template/ for every service.
deploy-generate: install
	$(PY) deploy/k8s/generate.py

bench: install
	$(PY) -m bench

clean:
	rm -rf $(VENV) $(GEN) var .pytest_cache
