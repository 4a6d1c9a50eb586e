#!/usr/bin/env bash
# Collects the action metadata of the repositories named in LIST (one `owner/name` a line, `#`
# comments) into OUT, laid out as ../shared/actions-meta/ is: for every action.yml in the
# repository (the root one and those under sub-folders), `OUT/owner/name[/path]/action.yml` at
# HEAD and `action@v<N>.yml` at the newest tag of each of the three most recent major versions,
# `OUT/SOURCES.tsv` naming the commit each was read at, and `OUT/COMMITS.tsv` the commit of every
# version tag. Only git is needed.
#
# Repositories come from `$GIT_MIRROR/owner+name/repo` when that folder exists (a directory of
# bare snapshots), else they are cloned (blobless, bare) from https://github.com into a temporary
# folder. The index is then generated from OUT:
#   scripts/action-meta.sh scripts/action-meta.list META_DIR
#   cargo run --example action_index -- --fetched META_DIR > rules/knowledge/action-index-fetched.yml
#   scripts/action-meta.sh scripts/action-tags.list TAGS_DIR
#   cargo run --example action_index -- --commits META_DIR TAGS_DIR > rules/knowledge/action-commits.txt
set -euo pipefail

list=${1:?usage: action-meta.sh LIST OUT}
out=${2:?usage: action-meta.sh LIST OUT}
mirror=${GIT_MIRROR:-}
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf 'action\trepo\tcommit\n' >"$out/SOURCES.tsv"
printf 'repo\ttag\tcommit\n' >"$out/COMMITS.tsv"

while read -r repo _; do
  [[ -z "$repo" || "$repo" == \#* ]] && continue
  git_dir=""
  if [[ -n "$mirror" && -d "$mirror/${repo/\//+}/repo" ]]; then
    git_dir="$mirror/${repo/\//+}/repo"
    [[ -d "$git_dir/.git" ]] && git_dir="$git_dir/.git"
  elif git clone --quiet --bare --filter=blob:none "https://github.com/$repo" "$tmp/${repo/\//+}" 2>/dev/null; then
    git_dir="$tmp/${repo/\//+}"
  fi
  if [[ -z "$git_dir" ]] || ! commit=$(git --git-dir="$git_dir" rev-parse --verify -q HEAD); then
    echo "skipped $repo: no repository" >&2
    continue
  fi
  g() { git --git-dir="$git_dir" "$@"; }
  # Every version tag and the commit it names (what a `uses: owner/repo@<sha>` pin holds).
  g for-each-ref --format='%(refname:short)%09%(objectname)%09%(*objectname)' refs/tags |
    awk -F'\t' -v repo="$repo" '$1 ~ /^v?[0-9]+(\.[0-9]+)*$/ { print repo "\t" $1 "\t" ($3 != "" ? $3 : $2) }' \
      >>"$out/COMMITS.tsv" || true
  # The newest tag of each of the three most recent majors, as `vN TAG` lines.
  majors=$(g tag -l | grep -E '^v?[0-9]+(\.[0-9]+)*$' | awk '{ k = $0; sub(/^v/, "", k); print k "\t" $0 }' |
    sort -V -r -k1,1 | cut -f2 |
    awk '{ m = $0; sub(/^v/, "", m); sub(/\..*/, "", m); if (!(m in seen)) { seen[m] = 1; print "v" m, $0 } }' |
    head -3 || true)
  g ls-tree -r --name-only HEAD | grep -E '(^|/)action\.ya?ml$' | grep -v -E '(^|/)node_modules/' | head -60 |
    while read -r file; do
      sub=$(dirname "$file")
      name=$repo
      [[ "$sub" != "." ]] && name="$repo/$sub"
      dest="$out/$name"
      mkdir -p "$dest"
      g show "HEAD:$file" >"$dest/action.yml"
      while read -r major tag; do
        [[ -z "$major" ]] && continue
        g show "$tag:$file" >"$dest/action@$major.yml" 2>/dev/null || rm -f "$dest/action@$major.yml"
      done <<<"$majors"
      printf '%s\t%s\t%s\n' "$name" "$repo" "$commit" >>"$out/SOURCES.tsv"
    done || true
done <"$list"
