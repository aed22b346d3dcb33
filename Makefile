# Everything runs from the project's own virtualenv, made by `make install`.
VENV   := .venv
PY     := $(VENV)/bin/python
BIN    := $(VENV)/bin
PG     := scripts/pg.sh

.PHONY: install test lint demo bench bench-all bench-postgres bench-first-plugin clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	MYPYPATH=cli:plugins/postgres-rs/python $(BIN)/mypy -p dativo_postgres_rs

# The PostgreSQL tests need a server: a private one is started from Debian's
# binaries when they are installed. Without them those tests are skipped,
# except under CI, where a missing server fails the run.
test: install lint
	@if $(PG) start; then url=$$($(PG) url); else url=; echo "warning: no PostgreSQL; its tests will be skipped" >&2; fi; \
	DATIVO_TEST_PG_URL=$$url $(BIN)/pytest -q

demo: install
	rm -rf demo/out demo/state
	$(PY) demo/make_data.py
	$(BIN)/dativo-pkg run demo/orders.yaml
	@echo "Run it again: incremental, so nothing new is read:"
	$(BIN)/dativo-pkg run demo/orders.yaml
	@# The reference Rust PostgreSQL reader: build, certify, sign, publish to the
	@# embedded registry (demo/registry), install verified, run PostgreSQL -> Parquet.
	$(PG) start
	PATH="$$HOME/.cargo/bin:$$PATH" $(PY) demo/postgres_rs_demo.py --url $$($(PG) url)

bench: install
	$(PY) -m pip install --quiet -e '.[bench]'
	$(PY) bench/csv_to_parquet.py --size-mb 200
	@if $(PG) start; then $(PY) bench/postgres_to_parquet.py --url $$($(PG) url) --rows 1000000; fi

# The issue-sized runs: 1 GB of CSV.
bench-all: install
	$(PY) -m pip install --quiet -e '.[bench]'
	$(PY) bench/csv_to_parquet.py --size-mb 1100
	$(PG) start && $(PY) bench/postgres_to_parquet.py --url $$($(PG) url) --rows 1000000

# The Rust PostgreSQL reader against the Python default, psycopg, ADBC, ConnectorX
# and the psql and server floors (issue-sized tables: 1 M lineitem, 2 M narrow rows).
bench-postgres: install
	$(PY) -m pip install --quiet -e '.[bench]'
	$(PG) start && PATH="$$HOME/.cargo/bin:$$PATH" $(PY) bench/postgres/run.py --url $$($(PG) url) --build

# new → build → sign → test → bench → publish → install → run, timed, for each
# template (the Rust one is a cold build: about 5 minutes on 2 cores).
bench-first-plugin: install
	$(PY) bench/time_to_first_plugin.py

# --- search ---
# Marketplace search and plugin pages with 10,000 plugins, on SQLite and PostgreSQL.
.PHONY: bench-marketplace
bench-marketplace: install
	$(PG) start && $(PY) bench/marketplace_search.py --url $$($(PG) url) --rounds 3 \
		--out bench/results/marketplace_search.json
# --- end search ---

clean:
	$(PG) stop
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache demo/out demo/state demo/site demo/registry demo/marketplace bench/data
