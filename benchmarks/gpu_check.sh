#!/usr/bin/env bash
# GPU check (about 10 minutes at most on one GPU machine): the CUDA tests, the forward benchmark
# on CUDA, the paper presets of `reproduce transition` and `reproduce teacher`, and a default
# search on 1,000,000 rows, timed. Prints one summary table at the end. Each step has its own
# time limit (600 s in all), so a slow step is reported as timed out instead of running past the
# budget.
#
#   bash benchmarks/gpu_check.sh [OUT_DIR]      (default: a new temporary folder)
#
# Run from the repository root with the project installed (pip install -e ".[dev]") or with
# PYTHONPATH=src. Needs a CUDA device; stops at once without one.
set -uo pipefail
cd "$(dirname "$0")/.."

OUT=${1:-$(mktemp -d -t sparcs-gpu-check.XXXXXX)}
mkdir -p "$OUT"
PY=${PYTHON:-python}
export PYTHONPATH="src${PYTHONPATH:+:$PYTHONPATH}"

if ! "$PY" -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)"; then
    echo "gpu_check: no CUDA device is visible to torch; nothing to check" >&2
    exit 2
fi
DEVICE=$("$PY" -c "import torch; print(torch.cuda.get_device_name(0))")
echo "gpu_check: $DEVICE; outputs in $OUT"

declare -a NAMES STATUS SECONDS_TAKEN NOTES

# step NAME LIMIT_SECONDS COMMAND...: run with a time limit, log to $OUT/NAME.log, record.
step() {
    local name=$1 limit=$2
    shift 2
    echo "== $name (limit ${limit}s): $*"
    local start end rc status
    start=$(date +%s%N)
    timeout --signal=INT --kill-after=15 "$limit" "$@" >"$OUT/$name.log" 2>&1
    rc=$?
    end=$(date +%s%N)
    case $rc in
        0) status=ok ;;
        124|130|137) status="timed out" ;;
        *) status="failed (rc $rc)" ;;
    esac
    NAMES+=("$name")
    STATUS+=("$status")
    local tenths=$(( (end - start) / 100000000 ))
    SECONDS_TAKEN+=("$((tenths / 10)).$((tenths % 10))")
    NOTES+=("$(tail -n 1 "$OUT/$name.log" | cut -c1-70)")
    echo "   $status"
}

# The CUDA tests: every test whose name mentions cuda or gpu (the others run in CI).
step cuda-tests 120 "$PY" -m pytest -q -p no:cacheprovider -k "cuda or gpu" tests
step bench-forward 60 "$PY" benchmarks/bench_forward.py --device cuda --rounds 3 \
    --json "$OUT/bench_forward.json"
step transition-paper 180 "$PY" -m sparcs.cli.main reproduce transition --preset paper \
    --device cuda --no-progress --out "$OUT/transition-paper"
step teacher-paper 120 "$PY" -m sparcs.cli.main reproduce teacher --preset paper \
    --device cuda --no-progress --out "$OUT/teacher-paper"
# A default search (SparcsRegressor with device="cuda") on 1,000,000 rows of Friedman 1 with 20
# features: time, memory rise and test R² (benchmarks/scale.py; its table is in $OUT/scale-cuda).
step search-1m-cuda 120 "$PY" benchmarks/scale.py --rows 1000000 --models sparcs \
    --device cuda --threads 4 --out "$OUT/scale-cuda"

echo
echo "gpu_check summary ($DEVICE)"
printf '| %-17s | %-14s | %9s | %-70s |\n' step status seconds "last line of the log"
printf '|%s|%s|%s|%s|\n' "-------------------" "----------------" "-----------" \
    "------------------------------------------------------------------------"
failed=0
for i in "${!NAMES[@]}"; do
    printf '| %-17s | %-14s | %9s | %-70s |\n' "${NAMES[$i]}" "${STATUS[$i]}" \
        "${SECONDS_TAKEN[$i]}" "${NOTES[$i]}"
    [[ ${STATUS[$i]} == ok ]] || failed=1
done
echo "logs and results: $OUT"
exit $failed
