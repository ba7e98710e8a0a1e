# The two commands of the README. Both build .venv on first use (about 2 minutes: torch is large).
VENV ?= .venv
PY := $(VENV)/bin/python
export BLITZ_DATA ?= $(CURDIR)/data

.PHONY: demo test setup

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

# The kit's own tests.
test: $(PY)
	$(VENV)/bin/pytest
