# Two commands do all set-up on a fresh machine:
#   make lab   -> .venv (created and installed only when needed), then JupyterLab on notebooks/
#   make test  -> the same set-up, then pytest: unit tests and nbval over every notebook
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
NOTEBOOKS := $(wildcard notebooks/*.ipynb)

.PHONY: lab test unit notebooks bench clean-venv

$(PY):
	$(PYTHON) -m venv $(VENV)

# Reinstall only when requirements.txt or pyproject.toml change.
$(STAMP): requirements.txt pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (reviewlib)" >/dev/null
	touch $(STAMP)

# JupyterLab refuses to start as root without --allow-root; Docker images and cloud notebook machines run as root.
# LAB_ARGS passes more options, e.g. make lab LAB_ARGS="--no-browser --port=8899".
LAB_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)

lab: $(STAMP)
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks $(LAB_ROOT) $(LAB_ARGS)

# Tests run the notebooks in the smoke budget unless REVIEWLIB_BUDGET says otherwise.
test: $(STAMP)
	REVIEWLIB_BUDGET=$${REVIEWLIB_BUDGET:-smoke} $(PY) -m pytest tests $(if $(NOTEBOOKS),--nbval-lax $(NOTEBOOKS) --nbval-sanitize-with tests/nbval_sanitize.cfg --nbval-current-env) $(PYTEST_ARGS)

unit: $(STAMP)
	$(PY) -m pytest tests --ignore=tests/browser $(PYTEST_ARGS)

notebooks: $(STAMP)
	REVIEWLIB_BUDGET=smoke $(PY) -m pytest --nbval-lax $(NOTEBOOKS) --nbval-sanitize-with tests/nbval_sanitize.cfg --nbval-current-env $(PYTEST_ARGS)

# Speed benchmarks (never timed tests): python -m benchmarks --help
bench: $(STAMP)
	$(PY) -m benchmarks $(BENCH_ARGS)

clean-venv:
	rm -rf $(VENV)
