# The two commands: `make demo` and `make test`. Each creates the environment if missing.
PYTHON ?= python3
VENV := .venv
UV := .uv/bin/uv
UV_VERSION := 0.13.9
STAMP := $(VENV)/.synced-stamp
BENCH_VENV := .venv-runtime
BENCH_STAMP := $(BENCH_VENV)/.synced-stamp

export UV_PYTHON_DOWNLOADS := never
export UV_COMPILE_BYTECODE := 1
export UV_PROJECT_ENVIRONMENT := $(VENV)
# Prefect: no telemetry, no outbound traffic
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export DO_NOT_TRACK := 1

.PHONY: demo test test-slow test-all lint format bench env clean browser notebook

env: $(STAMP)

$(UV):
	$(PYTHON) -m venv .uv
	.uv/bin/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

$(STAMP): pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --extra dev --extra spark --python "$$(command -v $(PYTHON))"
	@touch $@

# The whole pipeline on data/sample/ as the Prefect flow (a temporary local Prefect API is
# started and stopped by Prefect itself); prints where the warehouse and the report are.
demo: $(STAMP)
	PREFECT_LOGGING_LEVEL=WARNING $(VENV)/bin/pmanalytics run

# JupyterLab (dev extra) on notebooks/, started there as Jupyter users do: the notebooks
# find ../pmanalytics.toml and its warehouse themselves. Run `make demo` first; Ctrl-C stops it.
# The extension manager is read-only (it would query PyPI); root (a container) needs --allow-root.
notebook: $(STAMP)
	cd notebooks && ../$(VENV)/bin/jupyter lab --LabApp.extension_manager=readonly \
		$$(if [ "$$(id -u)" = 0 ]; then echo --allow-root; fi)

# Headless Chromium from Debian for the browser tests (never a downloaded browser build).
# As root (CI) it is installed; elsewhere the browser tests skip and say how to install it.
browser:
	@if command -v chromium >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
		echo "installing Debian's chromium for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else echo "note: chromium missing, browser tests will skip (sudo apt-get install chromium)"; fi

# Tests in two processes (pytest-xdist; each builds its own session fixtures; loadscope keeps a
# module on one worker, so its module fixtures are built once; the modules are handed out
# longest first, in the order tests/conftest.py gives them). `make test` is the fast set;
# `test-slow` the tests marked slow; `.ci/run` runs both. PYTEST_ARGS adds options.
PYTEST := $(VENV)/bin/python -m pytest -q -n 2 --dist loadscope --no-loadscope-reorder \
	--durations=15 $(PYTEST_ARGS)

test: $(STAMP) browser
	$(PYTEST) -m "not slow"

# pytest exits 5 when no test is marked slow: say so rather than fail; any other code stands.
test-slow: $(STAMP) browser
	status=0; $(PYTEST) -m slow || status=$$?; \
	if [ $$status -eq 5 ]; then echo "test-slow: no test is marked slow, nothing to run"; \
	else exit $$status; fi

test-all: $(STAMP) browser
	$(PYTEST)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Benchmarks (not part of make test): each writes its table into docs/benchmarks.md.
# They run in an environment of the runtime dependencies only, as a production install has
# them: the dev extra's JupyterLab brings in a package (rfc3987-syntax, through jsonschema)
# that adds ~1.1 s to every Great Expectations import (docs/decisions.md, *Benchmark
# environment*).
$(BENCH_STAMP): pyproject.toml uv.lock | $(UV)
	UV_PROJECT_ENVIRONMENT=$(BENCH_VENV) $(UV) sync --frozen --python "$$(command -v $(PYTHON))"
	@touch $@

bench: $(BENCH_STAMP)
	$(BENCH_VENV)/bin/python -m benchmarks.pipeline
	$(BENCH_VENV)/bin/python -m benchmarks.ingest
	$(BENCH_VENV)/bin/python -m benchmarks.validate
	$(BENCH_VENV)/bin/python -m benchmarks.marts
	$(BENCH_VENV)/bin/python -m benchmarks.pain_points

clean:
	rm -rf $(VENV) $(BENCH_VENV) .uv data/warehouse.duckdb data/warehouse.duckdb.wal
