#!/bin/sh
# Side by side: skelact's inference per window against PyTorch eager (Debian's
# python3-torch with OpenBLAS), one thread each, at DESIGN.md's reference
# shapes. Runs `skelact bench --json`, then bench/torch_infer.py, one after
# the other, and prints both medians and p99s and the speed-up.
#
#   bench/compare_torch.sh [--runs N] [--bin path/to/skelact]
# Needs: python3-torch and libopenblas0-openmp (apt-get install). The machine
# should be otherwise idle: both sides are timed on a shared core.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
bin=${SK_BIN:-$here/../build/skelact}
runs=2000
while [ $# -gt 0 ]; do
    case $1 in
    --runs) runs=$2; shift 2 ;;
    --bin) bin=$2; shift 2 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "compare_torch.sh: unknown argument '$1'" >&2; exit 2 ;;
    esac
done
py=/usr/bin/python3
[ -x "$bin" ] || { echo "compare_torch.sh: no skelact binary at $bin (make first, or --bin)" >&2; exit 2; }
$py -c 'import torch' 2>/dev/null || { echo "compare_torch.sh: $py cannot import torch (apt-get install python3-torch libopenblas0-openmp)" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
"$bin" bench --json --runs "$runs" > "$tmp/sk.json"
OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 \
    $py "$here/torch_infer.py" --json --runs "$runs" > "$tmp/torch.json"
echo "load average after:  $(cut -d' ' -f1-3 /proc/loadavg)" >&2

$py - "$tmp/sk.json" "$tmp/torch.json" <<'PY'
import json, sys
sk = json.load(open(sys.argv[1]))
th = json.load(open(sys.argv[2]))
key = lambda e: (e["arch"], e["input"], e["hidden"], e["layers"], e["window"], e["classes"])
ref = {key(e): e for e in sk["infer"] if e.get("shape") == "reference"}
print("one window, one thread, batch 1; skelact kernels %s (peak %.1f GFLOP/s), "
      "torch %s with %s; %d runs each" % (sk["kernels"], sk["peak_gflops"], th["torch"],
                                          th["blas"], th["runs"]))
print("%-5s %-16s | %25s | %25s | %14s | %7s" % (
    "arch", "C,H,L,W,K", "skelact median/p99/min us", "torch median/p99/min us",
    "speedup med/min", "x_limit"))
for t in th["infer"]:
    s = ref.get(key(t))
    if not s:
        continue
    shape = "%d,%d,%d,%d,%d" % key(t)[1:]
    print("%-5s %-16s | %8.1f %8.1f %7.1f | %8.1f %8.1f %7.1f | %6.1fx %6.1fx | %7.2f" % (
        t["arch"], shape, s["median_us"], s["p99_us"], s["min_us"], t["median_us"],
        t["p99_us"], t["min_us"], t["median_us"] / s["median_us"],
        t["min_us"] / s["min_us"], s["x_limit"]))
print("(speedup: torch / skelact, of the medians and of the fastest runs; x_limit:\n"
      " skelact's median over its multiply-adds at the measured peak)")
PY
