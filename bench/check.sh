#!/usr/bin/env bash
# Benchmark of `ghfix check` and `ghfix apply --dry-run --unsafe` over ~10,000 workflows (the
# shared corpus repeated in a temp dir) on this machine's cores, beside their floors in the same
# run (a bare yaml-rust2 load for check, a bare tree-sitter parse for apply, both reading the files
# on all cores) and, when installed (`pip install zizmor`), `zizmor --offline`. Prints the ratios.
# Usage: bench/check.sh [copies]   (default 50 copies of the corpus's ~200 workflow files)
set -euo pipefail
cd "$(dirname "$0")/.."
copies=${1:-50}
cargo build --release --quiet --bin ghfix --example bare_parse
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/.github/workflows"
n=0
for i in $(seq 1 "$copies"); do
    for f in ../shared/corpus/workflows/*.yml ../shared/corpus/workflows/*/*.yml; do
        [ -f "$f" ] || continue
        cp "$f" "$work/.github/workflows/$i-$(basename "$f")"
        n=$((n + 1))
    done
done
bytes=$(cat "$work"/.github/workflows/*.yml | wc -c)
echo "files: $n, bytes: $bytes"
./target/release/examples/bare_parse "$work" >/dev/null # warm the page cache
floors=$(./target/release/examples/bare_parse "$work")
echo "$floors"
ts=$(echo "$floors" | awk '/tree-sitter/ {print $(NF-3)}')
yl=$(echo "$floors" | awk '/yaml-rust2/ {print $(NF-3)}')
timed() { # label, command...: the best wall time of three runs
    local label=$1 best=""
    shift
    for run in 1 2 3; do
        /usr/bin/time -o "$work/time" -f "%e %M" "$@" >/dev/null 2>&1 || true
        read -r secs kb < <(tail -n 1 "$work/time")
        if [ -z "$best" ] || [ "$(echo "$secs < $best" | bc -l)" = 1 ]; then best=$secs; fi
    done
    echo "$label: best of 3 $best s wall, $((kb / 1024)) MB peak RSS" >&2
    echo "$best"
}
check=$(timed "ghfix check" ./target/release/ghfix check "$work")
apply=$(timed "ghfix apply --dry-run --unsafe" ./target/release/ghfix apply --dry-run --unsafe "$work")
echo "check / bare yaml-rust2 load: $(echo "$check / $yl" | bc -l | cut -c1-4)x   (target 1.3x)"
echo "apply / bare tree-sitter parse: $(echo "$apply / $ts" | bc -l | cut -c1-4)x   (target 2x)"
if command -v zizmor >/dev/null 2>&1; then
    zz=$(timed "zizmor --offline" zizmor --offline "$work/.github/workflows")
    echo "zizmor --offline / ghfix check: $(echo "$zz / $check" | bc -l | cut -c1-4)x"
else
    echo "zizmor not installed (pip install zizmor) - comparison skipped"
fi
