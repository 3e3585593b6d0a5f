# The two set-up commands of the README: `make run` and `make test`.
# Both create .venv with the machine's python3 and keep it in step with pyproject.toml.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip --disable-pip-version-check -q

.PHONY: run test bench clean browser fashion

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip setuptools wheel

$(VENV)/.run-installed: pyproject.toml | $(VENV)/bin/python
	$(PIP) install -e .
	touch $@

$(VENV)/.test-installed: pyproject.toml | $(VENV)/bin/python
	$(PIP) install -e '.[test,deep,dask]'
	touch $@ $(VENV)/.run-installed

$(VENV)/.bench-installed: pyproject.toml | $(VENV)/bin/python
	$(PIP) install -e '.[test,deep,dask,bench]'
	touch $@ $(VENV)/.run-installed

run: $(VENV)/.run-installed
	$(PY) -m pixelmeans run

# The report tests open report.html in a real browser: Debian's chromium.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the report tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# The Fashion-MNIST tests read Debian's dataset-fashion-mnist (30 MB), the offline source.
fashion:
	@test -d /usr/share/datasets/fashion-mnist || { \
	  echo "installing Debian's dataset-fashion-mnist for the Fashion-MNIST tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dataset-fashion-mnist >/dev/null; }

test: $(VENV)/.test-installed browser fashion
	$(PY) -m pytest -q

# KMeans against scikit-learn and faiss on full MNIST (README "Speed"); takes ~10 min
# on 2 cores. Extra arguments: make bench BENCH_ARGS="--ks 10,100 --out FILE.json"
bench: $(VENV)/.bench-installed
	$(PY) benchmarks/bench_kmeans.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) results build src/*.egg-info
