#!/usr/bin/env bash
# Cleans up after a node (io.watchkeeper.demo.Node) whose processes were stopped: the pods' containers (runc keeps them
# running without containerd), the containerd shims, mounts, the CNI bridge and its NAT rules, kube-proxy's rules and
# the pods' logs. Node refuses to start where another node's state could be mistaken for its own (Node.cannotRunHere:
# a system containerd; Node.occupied: another bridge wk0, kube-proxy rules), so what is removed here is this node's.
# src/testbed/NODE.md says what is left. Usage: stop-node.sh NODE_DIR
set -uo pipefail
dir="$1"
root="$dir/runc/k8s.io"
ids=()
if [ -d "$root" ]; then
  mapfile -t ids < <(runc --root "$root" list -q 2>/dev/null)
  for id in "${ids[@]}"; do
    runc --root "$root" kill "$id" KILL 2>/dev/null
    runc --root "$root" delete --force "$id" 2>/dev/null
  done
fi
pkill -KILL -f "containerd-shim.*$dir" 2>/dev/null
# deepest first, lazily: a pod's network namespace and rootfs mounts, containerd's snapshots, and the shims' task
# folders, which containerd hard-codes under /run/containerd (this node's containers only)
{
  awk -v d="$dir" '$5 ~ "^" d { print $5 }' /proc/self/mountinfo
  for id in "${ids[@]}"; do
    awk -v t="/run/containerd/io.containerd.runtime.v2.task/k8s.io/$id/" 'index($5, t) == 1 { print $5 }' /proc/self/mountinfo
  done
} | sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
ip link del wk0 2>/dev/null
# the bridge plugin's masquerading: one POSTROUTING jump per pod, commented with the network's name, to a CNI-… chain
chains=$(iptables -t nat -S POSTROUTING 2>/dev/null | awk '/name: \\"watchkeeper\\"/ && / -j CNI-/ { print $NF }')
iptables -t nat -S POSTROUTING 2>/dev/null | awk '/name: \\"watchkeeper\\"/ && / -j CNI-/' \
  | while read -r rule; do eval "iptables -t nat -D ${rule#-A }"; done
for chain in $chains; do
  iptables -t nat -F "$chain" && iptables -t nat -X "$chain"
done
# kube-proxy's chains (its own --cleanup tries IPVS and exits here: src/testbed/NODE.md, setting 10): first the jumps to them
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
