#!/usr/bin/env bash
# Builds the pinned test control plane (kube-apiserver, kube-controller-manager, kubectl, etcd, helm) from the Go module proxy into a
# cache OUTSIDE the repository, keyed by version. A warm cache makes this a no-op; a lock stops two parallel
# runs from building twice. Prints the binary directory as its last line of stdout.
# Why a wrapper module: k8s.io/kubernetes is not consumable with `go install pkg@v` (replace directives);
# see docs/adr/0002-test-control-plane.md.
set -euo pipefail

K8S=${SCIM_OPERATOR_K8S_VERSION:-v1.37.2}
ETCD=${SCIM_OPERATOR_ETCD_VERSION:-v3.6.16}
HELM=${SCIM_OPERATOR_HELM_VERSION:-v3.21.4}
MINOR=$(echo "$K8S" | cut -d. -f2)
STG="v0.${K8S#v1.}" # v1.37.2 -> v0.37.2
CACHE=${SCIM_OPERATOR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/scim-operator}
OUT="$CACHE/bin/k8s-$K8S-etcd-$ETCD-helm-$HELM"

log() { echo "[control-plane build] $*" >&2; }
BINARIES="kube-apiserver kube-controller-manager kubectl etcd helm"
have_all() { [ -x "$OUT/kube-apiserver" ] && [ -x "$OUT/kube-controller-manager" ] && [ -x "$OUT/kubectl" ] && [ -x "$OUT/etcd" ] && [ -x "$OUT/helm" ]; }

if have_all; then echo "$OUT"; exit 0; fi

if ! command -v go >/dev/null 2>&1; then
  log "Go is not installed. The local control plane is built from source: install Go >= 1.26 (https://go.dev/dl/ or your package manager) and run again."
  exit 3
fi

mkdir -p "$CACHE/bin"
exec 9>"$CACHE/bin/.build.lock"
if ! flock -n 9; then
  log "another run is building the control plane; waiting for it"
  flock 9
fi
if have_all; then echo "$OUT"; exit 0; fi

export GOTOOLCHAIN=local GOFLAGS=-mod=mod CGO_ENABLED=0 GONOSUMDB=k8s.io,go.etcd.io,helm.sh GOSUMDB=${GOSUMDB:-sum.golang.org}
START=$(date +%s)
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
STAGE="$OUT.partial"
mkdir -p "$STAGE" "$W/kas" "$W/etcd"
# Keep what an earlier, smaller build of the same versions produced.
for b in $BINARIES; do [ -x "$OUT/$b" ] && [ ! -x "$STAGE/$b" ] && cp "$OUT/$b" "$STAGE/$b"; done

if [ ! -x "$STAGE/etcd" ]; then
  log "etcd $ETCD: resolving modules"
  (cd "$W/etcd" && go mod init local/etcd >/dev/null 2>&1 && go get "go.etcd.io/etcd/server/v3@$ETCD" >&2)
  log "etcd $ETCD: compiling"
  (cd "$W/etcd" && go build -trimpath -ldflags "-s -w" -o "$STAGE/etcd" go.etcd.io/etcd/server/v3 >&2)
fi

if [ ! -x "$STAGE/kube-apiserver" ] || [ ! -x "$STAGE/kubectl" ] || [ ! -x "$STAGE/kube-controller-manager" ]; then
  log "kubernetes $K8S: resolving modules (staging modules pinned to $STG)"
  cd "$W/kas"
  go mod init local/kas >/dev/null 2>&1
  GOMOD=$(go mod download -json "k8s.io/kubernetes@$K8S" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  for m in $(sed -n 's#^[[:space:]]*\(k8s\.io/[^ ]*\) => \./staging/.*#\1#p' "$GOMOD"); do
    go mod edit "-replace=$m=$m@$STG"
  done
  go get "k8s.io/kubernetes@$K8S" >&2
  V=k8s.io/component-base/version
  C=k8s.io/client-go/pkg/version
  LD="-s -w -X $V.gitVersion=$K8S -X $V.gitMajor=1 -X $V.gitMinor=$MINOR -X $V.gitTreeState=clean -X $C.gitVersion=$K8S -X $C.gitMajor=1 -X $C.gitMinor=$MINOR"
  # The controller manager aggregates the built-in ClusterRoles (view, edit, admin have no rules without it) and
  # garbage-collects by ownerReferences, both of which the RBAC tests rely on.
  for cmd in kube-apiserver kube-controller-manager kubectl; do
    [ -x "$STAGE/$cmd" ] && continue
    log "kubernetes $K8S: compiling $cmd (the first one is the long step: 5-20 minutes on 2 cores, once)"
    go build -trimpath -ldflags "$LD" -o "$STAGE/$cmd" "k8s.io/kubernetes/cmd/$cmd" >&2
  done
  cd - >/dev/null
fi

if [ ! -x "$STAGE/helm" ]; then
  log "helm $HELM: compiling"
  H=helm.sh/helm/v3
  GOFLAGS= GOBIN="$STAGE" go install -trimpath -ldflags "-s -w -X $H/internal/version.version=$HELM -X $H/pkg/chartutil.k8sVersionMajor=1 -X $H/pkg/chartutil.k8sVersionMinor=$MINOR" "$H/cmd/helm@$HELM" >&2
fi

"$STAGE/kube-apiserver" --version >&2
"$STAGE/etcd" --version | head -1 >&2
"$STAGE/helm" version --short >&2
rm -rf "$OUT"
mv "$STAGE" "$OUT"
log "done in $(( $(date +%s) - START ))s: $OUT"
echo "$OUT"
