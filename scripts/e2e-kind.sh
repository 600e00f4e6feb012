#!/usr/bin/env bash
# The end-to-end path for machines with Docker: a kind cluster, the operator image built and loaded into it, the
# chart installed, and the same end-to-end scenario the test suite runs against the local control plane
# (test/e2e/provisioning-scenario.ts), now against the real Deployment through a port-forward.
# Needs: docker, kind, kubectl, helm (the ones built by scripts/build-control-plane.sh work for kubectl and helm).
set -euo pipefail
cd "$(dirname "$0")/.."

CLUSTER=${KIND_CLUSTER:-scim-operator-e2e}
IMAGE=${E2E_IMAGE:-scim-operator:e2e}
NAMESPACE=${E2E_NAMESPACE:-scim-operator}
RELEASE=scim-operator
PORT=${E2E_PORT:-18080}

for tool in docker kind kubectl helm; do
  command -v "$tool" >/dev/null || { echo "e2e-kind: $tool is required on PATH" >&2; exit 2; }
done

if ! kind get clusters | grep -qx "$CLUSTER"; then
  kind create cluster --name "$CLUSTER" --wait 120s
fi
KUBECONFIG_FILE=$(mktemp)
trap 'rm -f "$KUBECONFIG_FILE"; [ -n "${PF_PID:-}" ] && kill "$PF_PID" 2>/dev/null || true' EXIT
kind get kubeconfig --name "$CLUSTER" > "$KUBECONFIG_FILE"
export KUBECONFIG=$KUBECONFIG_FILE

docker build -t "$IMAGE" .
kind load docker-image "$IMAGE" --name "$CLUSTER"

helm upgrade --install "$RELEASE" charts/scim-operator -n "$NAMESPACE" --create-namespace \
  --set image.repository="${IMAGE%%:*}" --set image.tag="${IMAGE##*:}" --set image.pullPolicy=IfNotPresent \
  --wait --timeout 5m
helm test "$RELEASE" -n "$NAMESPACE" --timeout 2m

kubectl -n "$NAMESPACE" port-forward "svc/$RELEASE" "$PORT:80" >/dev/null &
PF_PID=$!
for _ in $(seq 1 50); do curl -s -o /dev/null "http://127.0.0.1:$PORT/scim/v2/ServiceProviderConfig" && break; sleep 0.2; done

E2E_SCIM_URL="http://127.0.0.1:$PORT/scim/v2" \
E2E_TOKEN=$(kubectl -n "$NAMESPACE" get secret "$RELEASE-tokens" -o jsonpath='{.data.entra}' | base64 -d) \
E2E_KUBECONFIG="$KUBECONFIG_FILE" \
  npx vitest run --project e2e
