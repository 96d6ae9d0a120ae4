# symprop: `make demo` and `make test` work on a fresh machine with only Python 3.11+.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test lint fuzz screenshots bench bench-quick golden clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(PY) -m symprop.codegen.machine
	$(PY) -m symprop.demo --out reports/demo

test: $(STAMP)
	$(PY) -m pytest -q

lint: $(STAMP)
	$(VENV)/bin/ruff check symprop tests benchmarks examples

# the hostile-input suite with a larger Hypothesis profile (3-5 min)
fuzz: $(STAMP)
	SYMPROP_FUZZ=1 $(PY) -m pytest -q -p no:cacheprovider tests/test_hostile.py tests/test_hostile_causes.py

# rewrite the screenshots of `symprop serve` in reports/serve/ (headless chromium)
screenshots: $(STAMP)
	SYMPROP_SCREENSHOTS=1 $(PY) -m pytest -q tests/test_serve_browser.py

# rewrite the golden files (generated kernels, LaTeX decks) on purpose, then review the diff
golden: $(STAMP)
	SYMPROP_UPDATE_GOLDEN=1 $(PY) -m pytest -q tests -k golden

BENCH_VENV := .venv-bench
$(BENCH_VENV)/.installed: pyproject.toml benchmarks/requirements.txt
	test -x $(BENCH_VENV)/bin/python || $(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(BENCH_VENV)/bin/python -m pip install --quiet -e . -r benchmarks/requirements.txt
	touch $@

bench: $(BENCH_VENV)/.installed
	$(BENCH_VENV)/bin/python -m benchmarks.run --out reports/benchmarks.md
	$(BENCH_VENV)/bin/python -m benchmarks.warm_start --out reports/warm-start.md
	$(BENCH_VENV)/bin/python -m benchmarks.time_to_trained --repeats 3 \
	    --peers-python $(BENCH_VENV)/bin/python --out reports/time-to-trained-table.md
	$(BENCH_VENV)/bin/python -m benchmarks.own_rows --out reports/own-rows.md
	$(BENCH_VENV)/bin/python -m benchmarks.custom_rows_family
	$(BENCH_VENV)/bin/python -m benchmarks.call_overhead --out reports/call-overhead-table.md
	$(BENCH_VENV)/bin/python -m benchmarks.job_line --out reports/job-line-table.md

bench-quick: $(BENCH_VENV)/.installed
	$(BENCH_VENV)/bin/python -m benchmarks.run --quick --out reports/benchmarks-quick.md

clean:
	rm -rf $(VENV) $(BENCH_VENV) build *.egg-info
