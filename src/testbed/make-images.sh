#!/usr/bin/env bash
# Makes the node's images without a registry or Docker: OCI image-layout archives, one layer each, written with
# tar and sha256sum (deterministic: sorted, owned by root, mtime 0), named by the io.containerd.image.name annotation
# so that `ctr -n k8s.io images import` gives them the names pods use:
#   k8s.gcr.io/pause:3.2                (the sandbox image: Kubernetes' pause.c, compiled statically)
#   docker.io/library/busybox:1.35      (Debian's busybox-static and its applet links)
# Usage: make-images.sh PAUSE_BINARY OUT_DIR
set -euo pipefail
pause_bin="$1"
out="$2"
mkdir -p "$out"
. "$(dirname "$0")/oci.sh"

if [ ! -s "$out/pause.tar" ]; then
  root=$(mktemp -d)
  cp "$pause_bin" "$root/pause"
  layer_tar "$root" "$out/pause.layer.tar"
  oci_image "k8s.gcr.io/pause:3.2" '{"Entrypoint":["/pause"]}' "$out/pause.tar" "$out/pause.layer.tar"
  rm -rf "$root" "$out/pause.layer.tar"
fi
if [ ! -s "$out/busybox.tar" ]; then
  root=$(mktemp -d)
  mkdir -p "$root/bin" "$root/tmp" "$root/etc"
  cp /bin/busybox "$root/bin/busybox"
  for applet in $(/bin/busybox --list); do
    [ "$applet" = busybox ] || ln -s busybox "$root/bin/$applet"
  done
  echo 'root:x:0:0:root:/root:/bin/sh' > "$root/etc/passwd"
  layer_tar "$root" "$out/busybox.layer.tar"
  oci_image "docker.io/library/busybox:1.35" '{"Cmd":["sh"],"Env":["PATH=/bin"]}' "$out/busybox.tar" "$out/busybox.layer.tar"
  rm -rf "$root" "$out/busybox.layer.tar"
fi
