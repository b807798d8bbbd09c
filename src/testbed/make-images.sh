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
log() { echo "[images] $*" >&2; }

# oci_image NAME ROOTFS CONFIG_JSON_FRAGMENT OUT_TAR
oci_image() {
  local name="$1" rootfs="$2" config="$3" tarball="$4"
  local dir; dir=$(mktemp -d)
  mkdir -p "$dir/blobs/sha256"
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$rootfs" -cf "$dir/layer.tar" .
  local layer; layer=$(sha256sum "$dir/layer.tar" | cut -d' ' -f1)
  local layer_size; layer_size=$(stat -c %s "$dir/layer.tar")
  mv "$dir/layer.tar" "$dir/blobs/sha256/$layer"
  printf '{"architecture":"amd64","os":"linux","config":%s,"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
    "$config" "$layer" > "$dir/config.json"
  local cfg; cfg=$(sha256sum "$dir/config.json" | cut -d' ' -f1)
  local cfg_size; cfg_size=$(stat -c %s "$dir/config.json")
  mv "$dir/config.json" "$dir/blobs/sha256/$cfg"
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:%s","size":%s}]}' \
    "$cfg" "$cfg_size" "$layer" "$layer_size" > "$dir/manifest.json"
  local man; man=$(sha256sum "$dir/manifest.json" | cut -d' ' -f1)
  local man_size; man_size=$(stat -c %s "$dir/manifest.json")
  mv "$dir/manifest.json" "$dir/blobs/sha256/$man"
  printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"io.containerd.image.name":"%s","org.opencontainers.image.ref.name":"%s"}}]}' \
    "$man" "$man_size" "$name" "${name##*:}" > "$dir/index.json"
  echo '{"imageLayoutVersion":"1.0.0"}' > "$dir/oci-layout"
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$dir" -cf "$tarball" oci-layout index.json blobs
  rm -rf "$dir"
  log "$name -> $tarball"
}

if [ ! -s "$out/pause.tar" ]; then
  root=$(mktemp -d)
  cp "$pause_bin" "$root/pause"
  oci_image "k8s.gcr.io/pause:3.2" "$root" '{"Entrypoint":["/pause"]}' "$out/pause.tar"
  rm -rf "$root"
fi
if [ ! -s "$out/busybox.tar" ]; then
  root=$(mktemp -d)
  mkdir -p "$root/bin" "$root/tmp" "$root/etc"
  cp /bin/busybox "$root/bin/busybox"
  for applet in $(/bin/busybox --list); do
    [ "$applet" = busybox ] || ln -s busybox "$root/bin/$applet"
  done
  echo 'root:x:0:0:root:/root:/bin/sh' > "$root/etc/passwd"
  oci_image "docker.io/library/busybox:1.35" "$root" '{"Cmd":["sh"],"Env":["PATH=/bin"]}' "$out/busybox.tar"
  rm -rf "$root"
fi
