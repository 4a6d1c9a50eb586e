#!/usr/bin/env bash
# Rolls ghfix's safe fixes out to every active repository of an organisation: one branch and one
# pull request each, resumable. Usage: scripts/org-migrate.sh ORG [more ghfix migrate options]
# Needs GH_TOKEN (a GitHub App installation token, or a token that may push workflow changes and
# open pull requests). Results: ghfix-migrate-ORG/results.json; run it again to resume.
set -euo pipefail
org="${1:?usage: scripts/org-migrate.sh ORG [ghfix migrate options]}"
shift
: "${GH_TOKEN:?set GH_TOKEN}"
work="ghfix-migrate-$org"
resume=()
if [ -f "$work/results.json" ]; then
    resume=(--resume)
fi
exec ghfix migrate --org "$org" --work-dir "$work" --open-pr --label ghfix --pr-delay 5 \
    --concurrency 4 "${resume[@]}" "$@"
