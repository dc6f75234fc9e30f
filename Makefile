# Private-domain customer data warehouse. `make run` and `make test` work on a
# fresh machine with Python 3.11 and make: they install into ./.venv first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
export WAREHOUSE_DIR ?= $(CURDIR)/data/warehouse
export DAGSTER_HOME  ?= $(CURDIR)/.dagster_home
export GX_ANALYTICS_ENABLED := false
export DO_NOT_TRACK := 1

.PHONY: run test lint ui prepare install docs spark-build bench bench-load bench-ingest bench-identity accuracy clean

run: prepare            ## ingest the demo landing (or $$LANDING_DIR), build every model, publish serving.duckdb
	$(BIN)/siyu run

test: prepare lint      ## lint, then the whole test suite (CI runs exactly this)
	$(BIN)/python -m pytest

lint: $(STAMP)          ## ruff (check + format) on the Python, sqlfluff (dbt templater) on the dbt models
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	mkdir -p data/lint  # sqlfluff compiles the models against a scratch warehouse, never the real one
	cd dbt && WAREHOUSE_DIR=$(CURDIR)/data/lint ../$(BIN)/sqlfluff lint models tests

ui: prepare             ## the Dagster UI on the same code location (http://127.0.0.1:3000)
	$(BIN)/siyu home
	$(BIN)/dagster dev -w workspace.yaml -h 127.0.0.1 -p $${PORT:-3000}

docs: prepare           ## the dbt docs of the last run (every model and column in English and Chinese) on http://127.0.0.1:8080
	@test -f $(WAREHOUSE_DIR)/docs/catalog.json || { echo "no dbt docs in $(WAREHOUSE_DIR)/docs yet: make run first"; exit 1; }
	cd dbt && ../$(BIN)/dbt docs serve --profiles-dir . --project-dir . --target-path $(WAREHOUSE_DIR)/docs \
		--host 127.0.0.1 --port $${PORT:-8080} --no-browser

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-* && touch $@

# The dbt manifest is built once here, not parsed on every code-location load, and parsed
# again only when a file of the dbt project changed (the stamp is a checksum of them all).
DBT_FILES := $(shell find dbt -path dbt/target -prune -o -path dbt/logs -prune -o -type f -print | LC_ALL=C sort)
DBT_STAMP := dbt/target/.parsed-$(shell cat $(DBT_FILES) pyproject.toml | cksum | cut -d' ' -f1)

prepare: $(STAMP) $(DBT_STAMP)
	@mkdir -p $(WAREHOUSE_DIR)

$(DBT_STAMP): $(STAMP)
	cd dbt && ../$(BIN)/dbt parse --quiet --profiles-dir . --project-dir .
	rm -f dbt/target/.parsed-* && touch $@

spark-build: prepare    ## the same dbt project on Apache Spark (local[2], Java 17) from $$WAREHOUSE_DIR/bronze: dbt seed + run
	$(BIN)/python -m dagster_project.dbt_runtime.spark $(if $(AS_OF_DATE),--as-of $(AS_OF_DATE),)

bench: prepare          ## `siyu run` at SCALE persons (default 20000): fresh, one new export day, nothing new; wall s, peak RSS, per step and dbt model (artifacts/bench_<SCALE>.json)
	$(BIN)/python -m scripts.bench --scale $(or $(SCALE),20000) $(BENCH_ARGS)

bench-load: prepare     ## code-location load time (fresh process: import + resolve definitions), median of 5
	$(BIN)/python -m scripts.bench_load --repeat 5

bench-ingest: prepare   ## ingestion rows/s and MB/s per format on the demo landing
	$(BIN)/python -m scripts.bench_ingest $(if $(LANDING_DIR),--landing $(LANDING_DIR),)

bench-identity: prepare ## stitching time and peak memory, scipy vs portable SQL, on the built warehouse's graph scaled up
	$(BIN)/python -m scripts.bench_identity --persons $(or $(SCALES),100000 1000000 3000000)

accuracy: prepare       ## pairwise precision/recall of the identity graph against the demo ground truth
	$(BIN)/python -m scripts.identity_accuracy

clean:
	rm -rf data .dagster_home dbt/target dbt/logs
