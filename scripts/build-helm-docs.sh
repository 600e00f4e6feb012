#!/usr/bin/env bash
# Builds the pinned helm-docs (the chart README's values table) from the Go module proxy into the same cache as
# the test control plane (scripts/build-control-plane.sh), keyed by version. A warm cache makes this a no-op; the
# same lock stops two parallel runs from building twice. Prints the binary's path as its last line of stdout.
# helm-docs's go.mod has no replace directives, so, unlike Kubernetes, `go install pkg@version` works.
set -euo pipefail

HELM_DOCS=${SCIM_OPERATOR_HELM_DOCS_VERSION:-v1.14.2}
CACHE=${SCIM_OPERATOR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/scim-operator}
OUT="$CACHE/bin/helm-docs-$HELM_DOCS"
BIN="$OUT/helm-docs"

log() { echo "[helm-docs build] $*" >&2; }

if [ -x "$BIN" ]; then echo "$BIN"; exit 0; fi

if ! command -v go >/dev/null 2>&1; then
  log "Go is not installed. helm-docs is built from source: install Go >= 1.22 (https://go.dev/dl/) and run again."
  exit 3
fi

mkdir -p "$CACHE/bin"
exec 9>"$CACHE/bin/.build.lock"
if ! flock -n 9; then
  log "another run is building in the tool cache; waiting for it"
  flock 9
fi
if [ -x "$BIN" ]; then echo "$BIN"; exit 0; fi

export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=
STAGE="$OUT.partial"
rm -rf "$STAGE"
mkdir -p "$STAGE"
log "helm-docs $HELM_DOCS: compiling"
GOBIN="$STAGE" go install -trimpath -ldflags "-s -w -X main.version=${HELM_DOCS#v}" \
  "github.com/norwoodj/helm-docs/cmd/helm-docs@$HELM_DOCS" >&2
"$STAGE/helm-docs" --version >&2
rm -rf "$OUT"
mv "$STAGE" "$OUT"
log "done: $BIN"
echo "$BIN"
