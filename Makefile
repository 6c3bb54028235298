# causalkit developer commands. Each target works on a fresh machine with only Python 3.11:
# it creates .venv, installs the CPU build of torch first, then the package with all extras.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.causalkit-installed
TORCH_VERSION ?= 2.13.0
PYTEST_WORKERS ?= 2

DOCS_STAMP := $(VENV)/.causalkit-docs-installed

.PHONY: install demo test test-all test-gpu bench lint clean docs docs-check

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# torch first: a bare `torch` resolves to the CUDA build (several GB)
	$(PY) -m pip install --quiet torch==$(TORCH_VERSION)
	$(PY) -m pip install --quiet -e ".[all,test]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/causalkit demo

# pytest exits 5 when it collected nothing: treat that as a failure.
test: $(STAMP)
	$(PY) -m pytest -n $(PYTEST_WORKERS) -m "not slow" --durations=15; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "no tests were collected"; exit 1; fi; exit $$rc

test-all: $(STAMP)
	HYPOTHESIS_PROFILE=thorough $(PY) -m pytest -n $(PYTEST_WORKERS) --durations=25

test-gpu: $(STAMP)
	$(PY) -m pytest -m gpu -v

bench: $(STAMP)
	for b in benchmarks/[a-z]*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(PY) -m mypy
	$(VENV)/bin/ruff format --check causalkit tests

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache

$(DOCS_STAMP): $(STAMP) pyproject.toml
	$(PY) -m pip install --quiet -e ".[all,test,docs]"
	touch $(DOCS_STAMP)

# The site: vignettes executed in fast mode into docs/gallery, Sphinx with warnings as errors, then every internal
# link and image of the built site checked (docs/check_site.py).
docs: $(DOCS_STAMP)
	$(PY) docs/build_gallery.py
	$(PY) -m sphinx -b html -W --keep-going -q docs docs/_build/html
	$(PY) docs/check_site.py docs/_build/html

# Look at the built site in headless Chromium (Debian: `apt-get install chromium`): screenshots of the index, one API
# page and one gallery page in docs/_build/screens/; fails on a blank or text-less page. Run after `make docs`.
docs-check: $(DOCS_STAMP)
	$(PY) docs/check_screens.py docs/_build/html --out docs/_build/screens
