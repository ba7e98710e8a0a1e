#!/usr/bin/env bash
# On a CUDA machine, with --device cuda: the MNIST accuracy benchmark, the autograder, and the engine's
# benchmarks (bench_grading.py's target, bench_engine.py).
#
#   BLITZ_DATA=/path/holding/MNIST/raw OUT=/tmp/out bash benchmarks/gpu_check.sh
#
# Run from the repository root with a python3 that already has torch and torchvision (nothing is
# downloaded). MNIST must travel with the repository: BLITZ_DATA names the folder holding
# MNIST/raw/ (default: ./data). Everything it writes goes under $OUT (default: ./gpu-out):
# bench_cuda.txt/json, bench_cpu_same_box.txt/json (the CPU baseline on the same machine),
# autograder_cuda.txt, grading_cuda.txt/json, engine_cuda.txt/json, env.txt. Takes about 4-7 minutes.
# Without bubblewrap on that machine, bench_grading grades with --unsafe-no-sandbox and its JSON says so.
set -u -o pipefail
cd "$(dirname "$0")/.."
OUT="${OUT:-$PWD/gpu-out}"
PY="${PYTHON:-python3}"
export BLITZ_DATA="${BLITZ_DATA:-$PWD/data}"
export BLITZ_CACHE="${BLITZ_CACHE:-$OUT/cache}"
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"   # the kit without installing it
DEVICE="${GPU_CHECK_DEVICE:-cuda}"  # cpu only to try this script out on a machine without a GPU
mkdir -p "$OUT"

{
  echo "date: $(date -u +%FT%TZ)  host: $(hostname)  nproc: $(nproc)"
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>&1
  "$PY" -c "import torch, torchvision; print('torch', torch.__version__, 'torchvision', torchvision.__version__, 'cuda', torch.cuda.is_available())"
  "$PY" -c "import pytest; print('pytest', pytest.__version__)" 2>&1 || echo "pytest missing: the autograder falls back to run_check"
  ls -l "$BLITZ_DATA/MNIST/raw" 2>&1
} > "$OUT/env.txt" 2>&1
cat "$OUT/env.txt"

status=0
echo "== benchmark, $DEVICE"
timeout 600 "$PY" benchmarks/bench_accuracy.py --device "$DEVICE" --rounds 3 --ablate --out "$OUT/bench_cuda.json" 2>&1 \
  | tee "$OUT/bench_cuda.txt" || status=1
echo "== benchmark, cpu of the same machine (baseline)"
timeout 300 "$PY" benchmarks/bench_accuracy.py --device cpu --rounds 1 --out "$OUT/bench_cpu_same_box.json" 2>&1 \
  | tee "$OUT/bench_cpu_same_box.txt" || status=1

echo "== autograder, $DEVICE, reference solutions"
if "$PY" -c "import pytest" 2>/dev/null; then
  start=$(date +%s.%N)
  timeout 600 "$PY" -m pytest autograder --submission solutions --device "$DEVICE" -q -p no:cacheprovider --durations=5 2>&1 \
    | tee "$OUT/autograder_cuda.txt" || status=1
  end=$(date +%s.%N)
  echo "wall $("$PY" -c "print(round($end - $start, 1))") s" | tee -a "$OUT/autograder_cuda.txt"
else
  timeout 600 "$PY" - <<'PYEOF' 2>&1 | tee "$OUT/autograder_cuda.txt" || status=1
import os, time
from blitz.checks import Context, all_checks, run_check
from blitz.probes.local import LocalSubmission
started = time.perf_counter()
sub = LocalSubmission("solutions")
results = [run_check(c, sub, Context(device=os.environ.get("GPU_CHECK_DEVICE", "cuda"))) for c in all_checks()]
for r in results:
    print(f"{r.key:<40} {r.status:<8} {r.seconds:6.2f} s")
print(f"{sum(r.passed for r in results)}/{len(results)} passed; wall {time.perf_counter() - started:.1f} s (no pytest)")
PYEOF
fi
echo "== grading benchmark, $DEVICE (8 copies, --workers 2)"
unsafe=""
command -v bwrap >/dev/null 2>&1 || unsafe="--unsafe-no-sandbox"
timeout 600 "$PY" benchmarks/bench_grading.py --device "$DEVICE" $unsafe --out "$OUT/grading_cuda.json" 2>&1 \
  | tee "$OUT/grading_cuda.txt" || status=1

echo "== engine benchmark, $DEVICE (blitz check; list and watch)"
if "$PY" -c "import pexpect" 2>/dev/null; then
  timeout 300 "$PY" benchmarks/bench_engine.py --device "$DEVICE" --rounds 3 --out "$OUT/engine_cuda.json" 2>&1 \
    | tee "$OUT/engine_cuda.txt" || status=1
else
  echo "pexpect missing: the engine benchmark drives blitz watch through a pty" | tee "$OUT/engine_cuda.txt"
fi
exit $status
