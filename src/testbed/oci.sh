# Sourced by the image scripts: writes an OCI image-layout archive without a registry or Docker.
# oci_image NAME CONFIG_JSON OUT_TAR LAYER_TAR...
#   NAME         the io.containerd.image.name annotation, so that `ctr -n k8s.io images import` names the image
#                (the CRI finds it only under its normalised name: docker.io/library/busybox:1.35)
#   CONFIG_JSON  the image config's "config" object, e.g. {"Entrypoint":["/pause"]}
#   LAYER_TAR    uncompressed layer tarballs, bottom first (made deterministic by the caller: sorted, mtime 0)
oci_image() {
  local name="$1" config="$2" tarball="$3"; shift 3
  local dir; dir=$(mktemp -d)
  mkdir -p "$dir/blobs/sha256"
  local diff_ids="" layers="" layer digest size
  for layer in "$@"; do
    digest=$(sha256sum "$layer" | cut -d' ' -f1)
    size=$(stat -c %s "$layer")
    cp "$layer" "$dir/blobs/sha256/$digest"
    diff_ids="$diff_ids${diff_ids:+,}\"sha256:$digest\""
    layers="$layers${layers:+,}{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"sha256:$digest\",\"size\":$size}"
  done
  printf '{"architecture":"amd64","os":"linux","config":%s,"rootfs":{"type":"layers","diff_ids":[%s]}}' \
    "$config" "$diff_ids" > "$dir/config.json"
  local cfg; cfg=$(sha256sum "$dir/config.json" | cut -d' ' -f1)
  local cfg_size; cfg_size=$(stat -c %s "$dir/config.json")
  mv "$dir/config.json" "$dir/blobs/sha256/$cfg"
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[%s]}' \
    "$cfg" "$cfg_size" "$layers" > "$dir/manifest.json"
  local man; man=$(sha256sum "$dir/manifest.json" | cut -d' ' -f1)
  local man_size; man_size=$(stat -c %s "$dir/manifest.json")
  mv "$dir/manifest.json" "$dir/blobs/sha256/$man"
  printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"io.containerd.image.name":"%s","org.opencontainers.image.ref.name":"%s"}}]}' \
    "$man" "$man_size" "$name" "${name##*:}" > "$dir/index.json"
  echo '{"imageLayoutVersion":"1.0.0"}' > "$dir/oci-layout"
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$dir" -cf "$tarball" oci-layout index.json blobs
  rm -rf "$dir"
  echo "[images] $name -> $tarball" >&2
}

# layer_tar ROOTFS OUT_TAR [RUNNER...]: a deterministic layer (sorted, mtime 0, owned by root). With RUNNER (as_root,
# say), tar runs through it to read the rootfs, while OUT_TAR is still written by the caller (and owned by it).
layer_tar() {
  local rootfs="$1" tarball="$2"; shift 2
  "$@" tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$rootfs" -cf - . > "$tarball"
}
