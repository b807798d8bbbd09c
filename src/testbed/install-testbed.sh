#!/usr/bin/env bash
# Installs what the tests and the demo need, without Docker or downloads from outside Debian:
# a real Kubernetes control plane (etcd from Debian; kube-apiserver and kube-controller-manager
# 1.20.2 built from Debian's `kubernetes` source package) and Prometheus (Debian) for the metrics
# test, and Chromium with chromedriver for the page test. The control plane is cached outside the work tree, so a second run costs nothing:
#   ${WATCHKEEPER_CACHE:-~/.cache/watchkeeper}/k8s/1.20.2-linux-amd64/{kube-apiserver,kube-controller-manager,etcd,kubectl}
# With --node it also makes a node for the tests that need real pods: kubelet, kube-scheduler and kube-proxy built
# from the same source, containerd, runc and the CNI plugins from Debian, and two images made here (pause, compiled
# from Kubernetes' pause.c; busybox from busybox-static) as OCI archives in $CACHE/images, and the operator image's
# base layer (a Debian rootfs with a JRE, make-jre-base.sh) there too.
# Prints the binary folder on its last line.
set -euo pipefail

NODE=false
[ "${1:-}" = "--node" ] && NODE=true

VERSION=1.20.2
CACHE="${WATCHKEEPER_CACHE:-$HOME/.cache/watchkeeper}"
BIN="$CACHE/k8s/$VERSION-linux-amd64"
log() { echo "[control-plane] $*" >&2; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
# iptables, conntrack, runc and debootstrap are in /usr/sbin, which a user's PATH often lacks: find them there too
PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

need_pkgs=()
command -v etcd >/dev/null || need_pkgs+=(etcd-server)
command -v prometheus >/dev/null || need_pkgs+=(prometheus)
command -v kubectl >/dev/null || need_pkgs+=(kubernetes-client)
command -v chromium >/dev/null || need_pkgs+=(chromium)
command -v chromedriver >/dev/null || need_pkgs+=(chromium-driver)
control_plane_built() { [ -x "$BIN/kube-apiserver" ] && [ -x "$BIN/kube-controller-manager" ]; }
node_built() { [ -x "$BIN/kubelet" ] && [ -x "$BIN/kube-scheduler" ] && [ -x "$BIN/kube-proxy" ] && [ -x "$BIN/pause" ]; }
if $NODE; then
  command -v containerd >/dev/null || need_pkgs+=(containerd)
  command -v runc >/dev/null || need_pkgs+=(runc)
  [ -x /usr/lib/cni/bridge ] || need_pkgs+=(containernetworking-plugins)
  [ -x /bin/busybox ] || need_pkgs+=(busybox-static)
  command -v iptables >/dev/null || need_pkgs+=(iptables)
  command -v conntrack >/dev/null || need_pkgs+=(conntrack)
  command -v socat >/dev/null || need_pkgs+=(socat) # relays the pods' way to the API server, which listens on loopback
  command -v debootstrap >/dev/null || need_pkgs+=(debootstrap) # the operator image's JRE base
  command -v gcc >/dev/null || need_pkgs+=(gcc)
  [ -f /usr/lib/x86_64-linux-gnu/libc.a ] || need_pkgs+=(libc6-dev) # pause is linked statically
fi
if ! control_plane_built || { $NODE && ! node_built; }; then
  command -v go >/dev/null || need_pkgs+=(golang-go)
  command -v rsync >/dev/null || need_pkgs+=(rsync)
  command -v make >/dev/null || need_pkgs+=(make)
fi
if [ ${#need_pkgs[@]} -gt 0 ]; then
  log "installing Debian packages: ${need_pkgs[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
fi

mkdir -p "$BIN"
if ! control_plane_built || { $NODE && ! node_built; }; then
  work="$CACHE/build"
  rm -rf "$work"; mkdir -p "$work/apt/lists/partial" "$work/apt/cache/archives/partial" "$work/src"
  # A private apt configuration with only a deb-src line: the machine's apt setup stays untouched.
  echo "deb-src http://deb.debian.org/debian bookworm main" > "$work/apt/sources.list"
  apt_opts=(-o "Dir::Etc::SourceList=$work/apt/sources.list" -o "Dir::Etc::SourceParts=-"
            -o "Dir::State::Lists=$work/apt/lists" -o "Dir::Cache=$work/apt/cache")
  log "fetching Debian's kubernetes source package"
  apt-get "${apt_opts[@]}" update -qq
  (cd "$work/src" && apt-get "${apt_opts[@]}" source --download-only kubernetes >/dev/null)
  tarball=$(ls "$work"/src/kubernetes_*.orig.tar.* | head -n1)
  mkdir -p "$work/kubernetes"
  tar -xf "$tarball" -C "$work/kubernetes" --strip-components=1
  # The vendored reflect2 1.0.1 crashes under Go >= 1.18 on the first custom-resource watch;
  # Debian's reflect2 1.0.2 and json-iterator 1.1.12 replace it.
  log "replacing vendored reflect2 and json-iterator with Debian's fixed versions"
  (cd "$work" && apt-get download golang-github-modern-go-reflect2-dev golang-github-json-iterator-go-dev >/dev/null)
  for deb in "$work"/golang-github-modern-go-reflect2-dev_*.deb "$work"/golang-github-json-iterator-go-dev_*.deb; do
    dpkg-deb -x "$deb" "$work/gocode"
  done
  for pkg in github.com/modern-go/reflect2 github.com/json-iterator/go; do
    rm -rf "$work/kubernetes/vendor/$pkg"
    cp -r "$work/gocode/usr/share/gocode/src/$pkg" "$work/kubernetes/vendor/$pkg"
    find "$work/kubernetes/vendor/$pkg" -name '*_test.go' -delete
  done
  out="$work/kubernetes/_output/local/bin/linux/amd64"
  if ! control_plane_built; then
    log "building kube-apiserver and kube-controller-manager $VERSION (12-15 min on 2 cores, once)"
    (cd "$work/kubernetes" && CGO_ENABLED=0 GOFLAGS=-mod=vendor make WHAT="cmd/kube-apiserver cmd/kube-controller-manager" >&2)
    cp "$out/kube-apiserver" "$out/kube-controller-manager" "$BIN/"
  fi
  if $NODE && ! node_built; then
    # Static, without cgo: the kubelet then needs nothing from the host's libc (NODE.md, setting 2).
    log "building kubelet, kube-scheduler and kube-proxy $VERSION (about 15 min on 2 cores, once)"
    (cd "$work/kubernetes" && KUBE_STATIC_OVERRIDES="kubelet kube-proxy" CGO_ENABLED=0 GOFLAGS=-mod=vendor \
      make WHAT="cmd/kubelet cmd/kube-scheduler cmd/kube-proxy" >&2)
    gcc -static -O2 -DVERSION=3.2 -o "$out/pause" "$work/kubernetes/build/pause/linux/pause.c"
    cp "$out/kubelet" "$out/kube-scheduler" "$out/kube-proxy" "$out/pause" "$BIN/"
  fi
  rm -rf "$work"
fi
if $NODE; then
  "$(dirname "$0")/make-images.sh" "$BIN/pause" "$CACHE/images" >&2
  "$(dirname "$0")/make-jre-base.sh" "$CACHE/images/jre-base.tar" >&2
fi
ln -sf "$(command -v etcd)" "$BIN/etcd"
if command -v kubectl >/dev/null; then ln -sf "$(command -v kubectl)" "$BIN/kubectl"; fi
log "control plane binaries ready in $BIN"
echo "$BIN"
