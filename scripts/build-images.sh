#!/usr/bin/env bash
# Builds the local node's images without Docker or a registry, with buildah (chroot isolation, vfs storage, as root,
# no daemon), and saves each as a docker-archive under $CACHE/images/ for `ctr images import`:
#   - node-base: a Node 24 base made on this machine: the `node` binary that the `node` npm package installed under
#     node_modules, its shared libraries from the host, npm from the host, CA certificates, busybox as /bin/sh;
#   - scim-operator: the repository's Dockerfile, built with BASE_IMAGE=node-base (the Dockerfile's default stays the
#     public node:24-bookworm-slim for users with Docker);
#   - curl: the `helm test` image (sh and curl), from busybox-static and the host's curl;
#   - pause: the sandbox image, the static program scripts/build-node.sh compiles.
# Usage: build-images.sh <pause binary> [operator tag]. Prints "name=archive" lines, then the image directory.
set -euo pipefail
cd "$(dirname "$0")/.."
PAUSE_BIN=${1:?pause binary}
CACHE=${SCIM_OPERATOR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/scim-operator}
IMAGES="$CACHE/images"
STORE="$CACHE/buildah"
B=(buildah --root "$STORE/root" --runroot "$STORE/run" --storage-driver vfs)
log() { echo "[images] $*" >&2; }
mkdir -p "$IMAGES"
exec 8>"$IMAGES/.build.lock"
flock 8

NODE_BIN=$(readlink -f node_modules/node/bin/node)
NODE_VERSION=$("$NODE_BIN" --version)
NPM_DIR=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
# The operator image is keyed by everything the Dockerfile reads (the .dockerignore'd context) and by the base.
TAG=${2:-$( { cat Dockerfile .dockerignore package.json package-lock.json tsconfig.json tsconfig.build.json;
  find src crds -type f ! -name '*.test.ts' ! -name '*.test-support.ts' | sort | xargs cat; echo "$NODE_VERSION"; } | sha256sum | cut -c1-12)}

# Copies a dynamically linked executable and the libraries it loads into a root folder.
with_libraries() {
  local root=$1 bin=$2 dest=$3
  install -D -m 0755 "$bin" "$root$dest"
  for lib in $(ldd "$bin" | grep -o '/[^ ]*'); do install -D -m 0755 "$(readlink -f "$lib")" "$root$lib"; done
}

save() { # name tag: archive in $IMAGES, named localhost/scim-operator/<name>:<tag>
  local ref="localhost/scim-operator/$1:$2" out="$IMAGES/$1-$2.tar"
  rm -f "$out"
  "${B[@]}" push -q "$ref" "docker-archive:$out:$ref" >&2
  echo "$1=$out"
}

from_rootfs() { # name tag rootfs user entrypoint-json [env...]: an image of exactly that folder
  local name=$1 tag=$2 root=$3 user=$4 entrypoint=$5; shift 5
  local c
  c=$("${B[@]}" from scratch)
  "${B[@]}" copy -q "$c" "$root" / >/dev/null
  "${B[@]}" config --env PATH=/usr/local/bin:/usr/bin:/bin --user "$user" --cmd "" --entrypoint "$entrypoint" "${@/#/--env=}" "$c" >&2
  "${B[@]}" commit -q --rm "$c" "localhost/scim-operator/$name:$tag" >/dev/null
}

W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT

have() { [ -s "$IMAGES/$1-$2.tar" ]; }
T0=$(date +%s)

if ! have pause 1; then
  install -D -m 0755 "$PAUSE_BIN" "$W/pause/pause"
  from_rootfs pause 1 "$W/pause" 65535 '["/pause"]'
fi
have pause 1 || save pause 1 >/dev/null

if ! have curl 1; then
  R="$W/curl"
  install -D -m 0755 /bin/busybox "$R/bin/busybox"
  for a in sh cat echo ls; do ln -s busybox "$R/bin/$a"; done
  with_libraries "$R" "$(command -v curl)" /usr/bin/curl
  install -D -m 0644 /etc/ssl/certs/ca-certificates.crt "$R/etc/ssl/certs/ca-certificates.crt"
  mkdir -p "$R/tmp" && chmod 1777 "$R/tmp"
  from_rootfs curl 1 "$R" 65532 '["/bin/sh"]'
fi
have curl 1 || save curl 1 >/dev/null

BASE_TAG="${NODE_VERSION#v}"
if ! "${B[@]}" inspect --type image "localhost/scim-operator/node-base:$BASE_TAG" >/dev/null 2>&1; then
  t=$(date +%s)
  R="$W/base"
  with_libraries "$R" "$NODE_BIN" /usr/local/bin/node
  strip --strip-debug "$R/usr/local/bin/node" 2>/dev/null || true
  mkdir -p "$R/usr/local/lib/node_modules"
  cp -a "$NPM_DIR" "$R/usr/local/lib/node_modules/npm"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$R/usr/local/bin/npm"
  install -D -m 0755 /bin/busybox "$R/bin/busybox"
  ln -s busybox "$R/bin/sh"
  mkdir -p "$R/usr/bin" && ln -s ../../bin/busybox "$R/usr/bin/env"
  install -D -m 0644 /etc/ssl/certs/ca-certificates.crt "$R/etc/ssl/certs/ca-certificates.crt"
  printf 'root:x:0:0:root:/root:/bin/sh\nnonroot:x:65532:65532:nonroot:/home/nonroot:/bin/sh\n' >"$R/etc/passwd"
  printf 'root:x:0:\nnonroot:x:65532:\n' >"$R/etc/group"
  mkdir -p "$R/tmp" "$R/root" "$R/home/nonroot" && chmod 1777 "$R/tmp"
  # Node reads this machine's CA bundle (which may hold a proxy's CA) besides its own, as npm does on the host.
  from_rootfs node-base "$BASE_TAG" "$R" 0 '["node"]' NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
  log "node-base:$BASE_TAG made in $(( $(date +%s) - t ))s"
fi

if ! have scim-operator "$TAG"; then
  t=$(date +%s)
  log "scim-operator:$TAG: buildah bud of the Dockerfile on node-base:$BASE_TAG"
  "${B[@]}" bud --isolation chroot --layers=false -q --build-arg "BASE_IMAGE=localhost/scim-operator/node-base:$BASE_TAG" \
    -t "localhost/scim-operator/scim-operator:$TAG" -f Dockerfile . >&2
  save scim-operator "$TAG" >/dev/null
  log "scim-operator:$TAG built in $(( $(date +%s) - t ))s, $(du -m "$IMAGES/scim-operator-$TAG.tar" | cut -f1) MB as an archive"
fi
# Each source change makes a new operator image (about 230 MB): keep only the current one, in both places.
find "$IMAGES" -maxdepth 1 -name 'scim-operator-*.tar' ! -name "scim-operator-$TAG.tar" -delete
for old in $("${B[@]}" images --format '{{.Name}}:{{.Tag}}' | grep '/scim-operator/scim-operator:' | grep -v ":$TAG$" || true); do
  "${B[@]}" rmi -f "$old" >/dev/null 2>&1 || true
done
log "images ready in $(( $(date +%s) - T0 ))s"
echo "pause=$IMAGES/pause-1.tar"
echo "curl=$IMAGES/curl-1.tar"
echo "scim-operator=$IMAGES/scim-operator-$TAG.tar"
echo "operator-tag=$TAG"
echo "$IMAGES"
