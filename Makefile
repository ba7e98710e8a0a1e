# The two commands of the README. Both build .venv on first use (about 2 minutes: torch is large).
VENV ?= .venv
PY := $(VENV)/bin/python
export BLITZ_DATA ?= $(CURDIR)/data

.PHONY: demo check test setup

# Without an NVIDIA GPU the CPU-only torch (about 200 MB, not the 5+ GB CUDA build) comes from PyTorch's
# CPU index when that index answers; when it does not, pip's default index serves the default build.
# .venv/torch-build records which one this venv got; `make demo` prints it.
TORCH_CPU_INDEX ?= https://download.pytorch.org/whl/cpu
TORCH_REQS := "torch>=2.2,<2.15" "torchvision>=0.17,<0.30"

$(PY):
	python3 -m venv $(VENV)
	$(PY) -m pip install --upgrade pip >/dev/null
	@if nvidia-smi -L >/dev/null 2>&1; then \
		echo "NVIDIA GPU found: the default (CUDA) torch" | tee $(VENV)/torch-build; \
	elif $(PY) -c "import urllib.request; urllib.request.urlopen('$(TORCH_CPU_INDEX)/torch/', timeout=15)" 2>/dev/null \
		&& $(PY) -m pip install --index-url $(TORCH_CPU_INDEX) $(TORCH_REQS); then \
		echo "no NVIDIA GPU: the CPU-only torch from $(TORCH_CPU_INDEX)" | tee $(VENV)/torch-build; \
	else \
		echo "no NVIDIA GPU, and $(TORCH_CPU_INDEX) did not answer: the default torch from pip's default index" \
			| tee $(VENV)/torch-build; \
	fi
	$(PY) -m pip install -e ".[dask,dev,instructor]"
	@# pip compiles what it installs, but not an editable project's own source: the kit's bytecode, written
	@# once here, is what every grader, sandbox and worker then loads (a sandbox cannot write its own, nor
	@# can any process where PYTHONDONTWRITEBYTECODE is set; compiling the kit costs each about 0.4 s of CPU).
	$(PY) -m compileall -q blitz

setup: $(PY)

# The main job: MNIST fetched if missing, then the reference solutions through the autograder, ending
# in a score table.
demo: $(PY)
	@$(PY) -c "import torch; print('torch', torch.__version__, '(CUDA build)' if torch.version.cuda else '(CPU-only build)')"
	@cat $(VENV)/torch-build 2>/dev/null || true
	$(VENV)/bin/blitz download
	$(VENV)/bin/pytest autograder --submission solutions

# The kit's own tests, on every core (pytest-xdist): one worker runs a whole test module (or a group of
# modules that must not overlap; none today), the longest first by the last measured run's module times
# (tests/conftest.py; kept in that order: --no-loadscope-reorder). WORKERS=1 runs them one after the other.
# `auto` is one worker more than the cores (tests/conftest.py: much of the full suite waits); the fast tier,
# all computation in process, takes one per core (`logical`).
WORKERS ?= auto
CHECK_WORKERS ?= logical
xdist = $(if $(filter 1,$(1)),,-n $(1) --maxprocesses 8 --dist loadgroup --no-loadscope-reorder)

# The fast tier: the in-process tests (tests/unit, not the slow ones) and the static checks (ruff,
# import-linter, mypy, module and function sizes).
check: $(PY)
	$(VENV)/bin/pytest $(call xdist,$(CHECK_WORKERS)) tests/unit tests/e2e -m "(unit and not slow) or check"

# Everything, what CI runs (.ci/run): tests/unit, tests/e2e, tests/corpora.
test: $(PY)
	$(VENV)/bin/pytest $(call xdist,$(WORKERS))
