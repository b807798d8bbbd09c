#!/usr/bin/env bash
# Cleans up after a test node (io.watchkeeper.testing.Node) whose kubelet, scheduler and containerd were stopped:
# the pods' containers (runc keeps them running without containerd), the containerd shims, mounts, the CNI bridge
# and its NAT rules, kube-proxy's rules. Usage: stop-node.sh NODE_DIR
set -uo pipefail
dir="$1"
root="$dir/runc/k8s.io"
if [ -d "$root" ]; then
  for id in $(runc --root "$root" list -q 2>/dev/null); do
    runc --root "$root" kill "$id" KILL 2>/dev/null
    runc --root "$root" delete --force "$id" 2>/dev/null
  done
fi
pkill -KILL -f "containerd-shim.*$dir" 2>/dev/null
# deepest first, lazily: a pod's network namespace and rootfs mounts, containerd's snapshots
awk -v d="$dir" '$5 ~ "^" d || $5 ~ "^/run/containerd/io.containerd.runtime.v2.task/k8s.io/" { print $5 }' /proc/self/mountinfo \
  | sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
ip link del wk0 2>/dev/null
# the bridge plugin's masquerading: one POSTROUTING jump to a CNI-… chain per pod (deleted by number, last first)
iptables -t nat -L POSTROUTING -n --line-numbers 2>/dev/null | awk '$2 ~ /^CNI-/ { print $1 }' | sort -rn \
  | while read -r n; do iptables -t nat -D POSTROUTING "$n"; done
for chain in $(iptables -t nat -S 2>/dev/null | awk '/^-N CNI-/ { print $2 }'); do
  iptables -t nat -F "$chain" && iptables -t nat -X "$chain"
done
# kube-proxy's chains (its own --cleanup tries IPVS and exits here, node-recipe setting 10): first the jumps to them
# from the built-in chains, then the chains themselves
for table in nat filter mangle; do
  iptables -t "$table" -S 2>/dev/null | awk '/^-A (PREROUTING|INPUT|FORWARD|OUTPUT|POSTROUTING) .*-j KUBE-/' \
    | while read -r rule; do eval "iptables -t $table -D ${rule#-A }"; done
  for chain in $(iptables -t "$table" -S 2>/dev/null | awk '/^-N KUBE-/ { print $2 }'); do iptables -t "$table" -F "$chain"; done
  for chain in $(iptables -t "$table" -S 2>/dev/null | awk '/^-N KUBE-/ { print $2 }'); do iptables -t "$table" -X "$chain"; done
done
# the kubelet's hard-coded log folders: what this node wrote there (newer than its configuration)
if [ -f "$dir/kubelet.yaml" ]; then
  find /var/log/containers /var/log/pods -mindepth 1 -maxdepth 1 -newer "$dir/kubelet.yaml" -exec rm -rf {} + 2>/dev/null
fi
exit 0
