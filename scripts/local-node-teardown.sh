#!/usr/bin/env bash
# Tears down one local node from its state file (written by src/control-plane/node/local-node.ts), idempotently:
# the same steps run on a normal stop, from the janitor after the owner died (Ctrl-C, a crashed test runner), and
# from the next start's reaper. It removes only what the state file names or what lives under the node's folder:
# never another cgroup, mount, bridge or chain.
set -uo pipefail
STATE=${1:?state file}
[ -f "$STATE" ] || exit 0
# shellcheck disable=SC1090
. "$STATE"
log() { echo "[node teardown] $*" >&2; }

# 1. Processes: the supervised groups (kubelet, kube-proxy, scheduler, containerd), then the shims of our containerd
#    (they leave containerd's process group), then whatever still runs in our pod cgroups.
for f in "$RUN_DIR"/*.pgid; do
  [ -f "$f" ] || continue
  case "$(basename "$f")" in node-*) kill -KILL -- "-$(cat "$f")" 2>/dev/null; rm -f "$f" ;; esac
done
for pid in $(pgrep -f -- "containerd-shim-runc-v2 .*-address $CONTAINERD_SOCKET" || true); do kill -KILL "$pid" 2>/dev/null; done
for sub in $CGROUP_SUBSYSTEMS; do
  root="/sys/fs/cgroup/$sub$CGROUP_ROOT"
  [ -d "$root" ] || continue
  find "$root" -name cgroup.procs -exec cat {} + 2>/dev/null | xargs -r kill -KILL 2>/dev/null
done
sleep 0.5
# The shims' sockets: containerd 1.6 puts them in /run/containerd/s/ whatever its state folder, named by
# sha256(<containerd address>/<namespace>/<id>); remove exactly those of the tasks our containerd knew.
for task in "$DIR"/containerd/state/io.containerd.runtime.v2.task/*/*; do
  [ -d "$task" ] || continue
  id=$(basename "$task")
  ns=$(basename "$(dirname "$task")")
  rm -f "/run/containerd/s/$(printf '%s' "$CONTAINERD_SOCKET/$ns/$id" | sha256sum | cut -d' ' -f1)"
done

# 2. Pod network namespaces that our containerd created (their names are in its metadata), then mounts under the folder.
for ns in /var/run/netns/cni-*; do
  [ -e "$ns" ] || continue
  if grep -qs "$(basename "$ns")" "$DIR/containerd/root/io.containerd.metadata.v1.bolt/meta.db"; then
    umount "$ns" 2>/dev/null; rm -f "$ns"
  fi
done
# CNI's result cache of our sandboxes (containerd's loopback and our network), by the sandbox ids our containerd knows.
for f in /var/lib/cni/results/cni-loopback-* /var/lib/cni/results/scimop-*; do
  [ -e "$f" ] || continue
  id=$(basename "$f" | sed -E 's/^(cni-loopback|scimop)-([0-9a-f]+)-.*/\2/')
  grep -qs "$id" "$DIR/containerd/root/io.containerd.metadata.v1.bolt/meta.db" && rm -f "$f"
done
awk -v d="$DIR/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r | while read -r m; do
  umount -l "$m" 2>/dev/null || log "could not unmount $m"
done

# 3. Our cgroup tree, deepest first.
for sub in $CGROUP_SUBSYSTEMS; do
  root="/sys/fs/cgroup/$sub$CGROUP_ROOT"
  [ -d "$root" ] && find "$root" -depth -type d -exec rmdir {} \; 2>/dev/null
  [ -d "$root" ] && log "cgroup $root is still busy"
done

# 4. Forwarding back to its old value first (the guard chain below drops what the bridge would forward), then
#    kube-proxy's rules, the kubelet's chains, our guard chains, and the bridge.
[ -n "${OLD_IP_FORWARD:-}" ] && echo "$OLD_IP_FORWARD" >/proc/sys/net/ipv4/ip_forward
if [ -x "${KUBE_PROXY:-}" ]; then "$KUBE_PROXY" --cleanup >/dev/null 2>&1 || true; fi
for ipt in iptables ip6tables; do
  for table in filter nat mangle; do
    for chain in $KUBELET_CHAINS $GUARD_CHAIN; do
      $ipt -t "$table" -S 2>/dev/null | grep -E -- "-j $chain( |$)" | grep -v "^-N" | sed 's/^-A /-D /' |
        while read -r rule; do eval "$ipt -t $table $rule" 2>/dev/null; done
      $ipt -t "$table" -F "$chain" 2>/dev/null && $ipt -t "$table" -X "$chain" 2>/dev/null
    done
  done
done
ip link del "$BRIDGE" 2>/dev/null
rm -f "$STATE"
log "done: $DIR"
