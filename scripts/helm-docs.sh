#!/usr/bin/env bash
# Regenerates charts/scim-operator/README.md from README.md.gotmpl and the `# --` comments of values.yaml, with the
# pinned helm-docs (scripts/build-helm-docs.sh). With a directory argument, generates the README of the chart copy
# there instead (the staleness test does that in a temporary directory).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
CHART=${1:-$HERE/../charts/scim-operator}
BIN=$(bash "$HERE/build-helm-docs.sh" | tail -1)
"$BIN" --chart-search-root "$CHART" --template-files README.md.gotmpl --sort-values-order file --log-level warning
