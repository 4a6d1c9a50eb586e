#!/usr/bin/env bash
# Benchmark of `ghfix check` over ~10,000 workflows (the shared corpus repeated in a temp dir) on
# this machine's cores, against bare tree-sitter parsing of the same bytes (cargo bench --bench
# edit reports that rate) and, when installed (`pip install zizmor`), `zizmor --offline`.
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
./target/release/examples/bare_parse "$work"
./target/release/examples/bare_parse "$work"
for run in 1 2 3; do
    /usr/bin/time -o "$work/time" -f "%e %M" ./target/release/ghfix check "$work" >/dev/null || true
    read -r secs kb < <(tail -n 1 "$work/time")
    echo "ghfix check (run $run): $secs s wall, $(echo "$bytes / $secs / 1000000" | bc -l | cut -c1-5) MB/s, $((kb / 1024)) MB peak RSS"
done
if command -v zizmor >/dev/null 2>&1; then
    /usr/bin/time -o "$work/time" -f "%e %M" zizmor --offline "$work/.github/workflows" >/dev/null 2>&1 || true
    read -r secs kb < <(tail -n 1 "$work/time")
    echo "zizmor --offline: $secs s wall, $((kb / 1024)) MB peak RSS"
else
    echo "zizmor not installed (pip install zizmor) - comparison skipped"
fi
