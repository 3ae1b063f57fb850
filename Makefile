# The two commands: `make demo` and `make test`. Each creates the environment if missing.
PYTHON ?= python3
VENV := .venv
UV := .uv/bin/uv
UV_VERSION := 0.13.9
STAMP := $(VENV)/.synced-stamp

export UV_PYTHON_DOWNLOADS := never
export UV_COMPILE_BYTECODE := 1
export UV_PROJECT_ENVIRONMENT := $(VENV)
# Prefect: no telemetry, no outbound traffic
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export DO_NOT_TRACK := 1

.PHONY: demo test test-all lint format bench env clean

env: $(STAMP)

$(UV):
	$(PYTHON) -m venv .uv
	.uv/bin/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

$(STAMP): pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --extra dev --python "$$(command -v $(PYTHON))"
	@touch $@

demo: $(STAMP)
	$(VENV)/bin/pmanalytics demo

test: $(STAMP)
	$(VENV)/bin/python -m pytest -m "not slow" -q

test-all: $(STAMP)
	$(VENV)/bin/python -m pytest -q

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: $(STAMP)
	$(VENV)/bin/python -m benchmarks.ingest

clean:
	rm -rf $(VENV) .uv data/warehouse.duckdb data/warehouse.duckdb.wal
