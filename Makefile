# Two commands for a newcomer: `make run` (set up, build the sample corpus, open the dashboard)
# and `make test` (set up and run every test). Everything else here serves those two.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
SAMPLE_BUILD := build/sample
PORT ?= 8501

.PHONY: setup run build-sample test lint browser-deps bench clean

$(VENV)/.installed: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

setup: $(VENV)/.installed

$(SAMPLE_BUILD)/manifest.json: $(VENV)/.installed $(wildcard data/sample/*) data/themes.toml data/organisations.toml
	$(PY) -m analysis build data/sample --out $(SAMPLE_BUILD)

build-sample: $(SAMPLE_BUILD)/manifest.json

run: build-sample
	$(VENV)/bin/streamlit run dashboard/app.py --server.port $(PORT) -- --data $(SAMPLE_BUILD)

# Debian's Chromium for the real-browser tests (playwright cannot download browsers here).
browser-deps:
	@sh scripts/ensure_chromium.sh

lint: setup
	$(PY) -m ruff check .

test: setup browser-deps
	$(PY) -m ruff check .
	$(PY) -m pytest -q

# The build of ../shared/corpora/ungdc against a bare TF-IDF baseline, then the dashboard on that build;
# then dates on bare texts (right/wrong/undated) and the archive-scale builds (UNGDC, 119k rows); then the
# UNGDC on a 2-worker Dask LocalCluster against the local engine, and an update with 10% new files against a
# full rebuild (1,000 speeches).
bench: setup
	$(PY) benchmarks/bench_build.py --keep build/ungdc
	$(PY) benchmarks/bench_dashboard.py --data build/ungdc
	$(PY) benchmarks/bench_dates.py
	$(PY) benchmarks/bench_scale.py
	$(PY) benchmarks/bench_dask.py
	$(PY) benchmarks/bench_update.py

clean:
	rm -rf build .pytest_cache
