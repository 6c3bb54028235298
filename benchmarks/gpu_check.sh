#!/usr/bin/env bash
# The one prepared GPU check: every `gpu`-marked test and the GPU timings of the Graph R-Learner.
# Run from the repository root on a machine with CUDA, torch and torch-geometric:
#   bash benchmarks/gpu_check.sh [OUTDIR]
# Results (device info, test log, the graph_rlearner table with its GPU section) go to OUTDIR.
set -u
out=${1:-${OUT:-/tmp/causalkit-gpu}}
mkdir -p "$out"
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1 OMP_NUM_THREADS=1
py=${PYTHON:-python3}

nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$out/gpu.txt"
$py -c "import sys, torch, torch_geometric; print('python', sys.version.split()[0], 'torch', torch.__version__,
  'pyg', torch_geometric.__version__, 'cuda', torch.cuda.is_available())" | tee -a "$out/gpu.txt"

# gpu-marked tests only (collection of the rest needs no peer libraries)
timeout "${GPU_TEST_TIMEOUT:-240}" $py -m pytest -m gpu -o addopts="" -p no:cacheprovider -v -rs \
  tests/network tests/rep4ex tests/solvers 2>&1 | tee "$out/gpu_tests.log"
test_rc=${PIPESTATUS[0]}

# GPU timings: 1e3 / 1e5 / 1e6 nodes full batch and 1e6 mini-batch (CPU 1e3 row as same-machine baseline)
cp benchmarks/results/graph_rlearner.md "$out/graph_rlearner.md"
timeout "${GPU_BENCH_TIMEOUT:-300}" $py benchmarks/graph_rlearner.py --gpu-only --out "$out/graph_rlearner.md" \
  2>&1 | tee "$out/gpu_bench.log"
echo "gpu tests exit code: $test_rc"
exit "$test_rc"
