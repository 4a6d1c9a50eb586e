#!/usr/bin/env bash
# Benchmark of `ghfix check` over ~10,000 workflows (the shared corpus repeated in a temp dir) on
# this machine's cores, against bare tree-sitter parsing of the same bytes (cargo bench --bench
# edit reports that rate) and, when installed (`pip install zizmor`), `zizmor --offline`.
# Usage: bench/check.sh [copies]   (default 25 copies of the corpus's ~400 workflows)
set -euo pipefail
cd "$(dirname "$0")/.."
copies=${1:-25}
cargo build --release --quiet
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
start=$(date +%s.%N)
/usr/bin/time -f "ghfix check: %e s wall, %M KB peak RSS" ./target/release/ghfix check "$work" >/dev/null || true
end=$(date +%s.%N)
echo "ghfix check: $(echo "$bytes / ($end - $start) / 1000000" | bc -l | cut -c1-6) MB/s"
if command -v zizmor >/dev/null 2>&1; then
    /usr/bin/time -f "zizmor --offline: %e s wall, %M KB peak RSS" zizmor --offline "$work/.github/workflows" >/dev/null 2>&1 || true
else
    echo "zizmor not installed (pip install zizmor) - comparison skipped"
fi
