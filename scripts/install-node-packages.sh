#!/usr/bin/env bash
# Installs the Debian packages the local node needs (docs/local-node.md), only those missing, saying which.
set -euo pipefail
need=()
have() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
for p in containerd runc umoci buildah skopeo busybox-static containernetworking-plugins iptables iproute2 conntrack curl; do
  have "$p" || need+=("$p")
done
if [ ${#need[@]} -eq 0 ]; then
  echo "[node packages] all present" >&2
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "[node packages] missing: ${need[*]}; install them as root (apt-get install ${need[*]})" >&2
  exit 1
fi
echo "[node packages] installing with apt-get: ${need[*]}" >&2
apt-get update -q >&2
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}" >&2
