#!/usr/bin/env bash
# Benchmark of `ghfix migrate` over N local repositories (default 200), each a bare remote holding
# one workflow of the shared corpus: a dry run, then a run that commits and pushes to the local
# remotes, beside its floor in the same run: a bare `git clone` of the same repositories. Prints
# seconds and the cost per repository. A migration's per-repository total includes its own clone
# (git2, in process), so the ratio to the bare clone bounds ghfix's own work: at or under 1.2x,
# ghfix adds at most 20% to what cloning alone costs. Usage: bench/migrate.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-200}
cargo build --release --quiet --bin ghfix
ghfix=$PWD/target/release/ghfix
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
files=(../shared/corpus/workflows/*.yml)
list="$work/repos.txt"
for i in $(seq 1 "$n"); do
    src="$work/src/r$i"
    mkdir -p "$src/.github/workflows"
    cp "${files[$(( (i - 1) % ${#files[@]} ))]}" "$src/.github/workflows/ci.yml"
    git -C "$src" init -q -b main
    git -C "$src" add -A
    git -C "$src" -c user.name=bench -c user.email=bench@example.com commit -qm init
    git clone -q --bare "$src" "$work/remotes/bench/r$i"
    echo "file://$work/remotes/bench/r$i" >> "$list"
done
seconds() { local start=$(date +%s.%N); "$@" >/dev/null 2>&1 || true; echo "$(date +%s.%N) - $start" | bc; }
clone() { mkdir -p "$work/clones"; while read -r url; do git clone -q "$url" "$work/clones/$(basename "$url")"; done < "$list"; }
floor=$(seconds clone)
dry=$(seconds "$ghfix" migrate --repos "$list" --work-dir "$work/dry" --dry-run --concurrency 1)
push=$(seconds "$ghfix" migrate --repos "$list" --work-dir "$work/push" --concurrency 1)
per() { echo "scale=2; $1 * 1000 / $n" | bc; }
ratio() { echo "scale=2; $1 / $floor" | bc; }
echo "repositories: $n (one at a time: --concurrency 1, against a loop of git clone)"
echo "git clone (floor):        ${floor}s  $(per "$floor") ms/repository"
echo "migrate --dry-run:        ${dry}s  $(per "$dry") ms/repository  $(ratio "$dry")x the floor"
echo "migrate (commit + push):  ${push}s  $(per "$push") ms/repository  $(ratio "$push")x the floor"
