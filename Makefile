# The two commands of the README. Both build .venv on first use (about 2 minutes: torch is large).
VENV ?= .venv
PY := $(VENV)/bin/python
export BLITZ_DATA ?= $(CURDIR)/data

.PHONY: demo check test setup

$(PY):
	python3 -m venv $(VENV)
	$(PY) -m pip install --upgrade pip >/dev/null
	$(PY) -m pip install -e ".[dask,dev,instructor]"

setup: $(PY)

# The main job: MNIST fetched if missing, then the reference solutions through the autograder, ending
# in a score table.
demo: $(PY)
	$(VENV)/bin/blitz download
	$(VENV)/bin/pytest autograder --submission solutions

# The kit's own tests, on every core (pytest-xdist): one worker runs a whole test module, or a whole group
# of modules that must not overlap (tests/conftest.py), the groups with slow tests first (kept in that
# order: --no-loadscope-reorder). WORKERS=1 runs them one after the other.
WORKERS ?= auto
XDIST = $(if $(filter 1,$(WORKERS)),,-n $(WORKERS) --maxprocesses 8 --dist loadgroup --no-loadscope-reorder)

# The fast tier: the in-process tests (tests/unit, not the slow ones) and the static checks (ruff,
# import-linter, mypy, module and function sizes).
check: $(PY)
	$(VENV)/bin/pytest $(XDIST) tests/unit tests/e2e -m "(unit and not slow) or check"

# Everything, what CI runs (.ci/run): tests/unit, tests/e2e, tests/corpora.
test: $(PY)
	$(VENV)/bin/pytest $(XDIST)
