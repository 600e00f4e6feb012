#!/usr/bin/env bash
# Builds the local node's Kubernetes binaries (kubelet, kube-scheduler, kube-proxy) and a static `pause` program into
# the same versioned cache as scripts/build-control-plane.sh, with the same wrapper-module recipe
# (docs/adr/0002-test-control-plane.md). A warm cache makes this a no-op; a lock stops two parallel runs from building
# twice. Prints the binary directory as its last line of stdout.
set -euo pipefail

K8S=${SCIM_OPERATOR_K8S_VERSION:-v1.37.2}
MINOR=$(echo "$K8S" | cut -d. -f2)
STG="v0.${K8S#v1.}"
CACHE=${SCIM_OPERATOR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/scim-operator}
OUT="$CACHE/bin/node-k8s-$K8S"
BINARIES="kubelet kube-scheduler kube-proxy pause"

log() { echo "[node build] $*" >&2; }
have_all() { for b in $BINARIES; do [ -x "$OUT/$b" ] || return 1; done; }

if have_all; then echo "$OUT"; exit 0; fi
if ! command -v go >/dev/null 2>&1; then
  log "Go is not installed. The local node is built from source: install Go >= 1.26 and run again."
  exit 3
fi

mkdir -p "$CACHE/bin"
exec 9>"$CACHE/bin/.build-node.lock"
if ! flock -n 9; then
  log "another run is building the node binaries; waiting for it"
  flock 9
fi
if have_all; then echo "$OUT"; exit 0; fi

export GOTOOLCHAIN=local GOFLAGS=-mod=mod CGO_ENABLED=0 GONOSUMDB=k8s.io GOSUMDB=${GOSUMDB:-sum.golang.org}
START=$(date +%s)
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
STAGE="$OUT.partial"
mkdir -p "$STAGE" "$W/k8s" "$W/pause"

if [ ! -x "$STAGE/pause" ]; then
  # The sandbox's PID 1: holds the pod's namespaces and exits on SIGTERM/SIGINT. Static, so the image needs no libc.
  cat >"$W/pause/main.go" <<'GO'
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGTERM, syscall.SIGINT)
	<-c
}
GO
  (cd "$W/pause" && go mod init local/pause >/dev/null 2>&1 && go build -trimpath -ldflags "-s -w" -o "$STAGE/pause" . >&2)
fi

if ! { [ -x "$STAGE/kubelet" ] && [ -x "$STAGE/kube-scheduler" ] && [ -x "$STAGE/kube-proxy" ]; }; then
  log "kubernetes $K8S: resolving modules (staging modules pinned to $STG)"
  cd "$W/k8s"
  go mod init local/k8s >/dev/null 2>&1
  GOMOD=$(go mod download -json "k8s.io/kubernetes@$K8S" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  for m in $(sed -n 's#^[[:space:]]*\(k8s\.io/[^ ]*\) => \./staging/.*#\1#p' "$GOMOD"); do
    go mod edit "-replace=$m=$m@$STG"
  done
  go get "k8s.io/kubernetes@$K8S" >&2
  V=k8s.io/component-base/version
  C=k8s.io/client-go/pkg/version
  LD="-s -w -X $V.gitVersion=$K8S -X $V.gitMajor=1 -X $V.gitMinor=$MINOR -X $V.gitTreeState=clean -X $C.gitVersion=$K8S -X $C.gitMajor=1 -X $C.gitMinor=$MINOR"
  for cmd in kubelet kube-scheduler kube-proxy; do
    [ -x "$STAGE/$cmd" ] && continue
    t=$(date +%s)
    log "kubernetes $K8S: compiling $cmd"
    go build -trimpath -ldflags "$LD" -o "$STAGE/$cmd" "k8s.io/kubernetes/cmd/$cmd" >&2
    log "kubernetes $K8S: $cmd took $(( $(date +%s) - t ))s"
  done
  cd - >/dev/null
fi

"$STAGE/kubelet" --version >&2
rm -rf "$OUT"
mv "$STAGE" "$OUT"
log "done in $(( $(date +%s) - START ))s: $OUT"
echo "$OUT"
