#!/usr/bin/env bash
# Makes the operator image's base layer without a registry or Docker: a Debian bookworm rootfs
# (debootstrap --variant=minbase) with openjdk-17-jre-headless and no recommends, minus documentation,
# man pages, locales and apt's caches, with an unprivileged user `watchkeeper` (uid/gid 10001).
# Written as one deterministic layer tarball (sorted, mtime 0, numeric owners). make-operator-image.sh
# puts the application on top of it. Needs root (debootstrap chroots and mounts; the rootfs is root's): run as root, or
# as a user who may sudo, and every command that needs root runs through sudo. Needs Debian's mirror too
# (WATCHKEEPER_DEBIAN_MIRROR, default http://deb.debian.org/debian). See NODE.md, setting 12.
# Usage: make-jre-base.sh OUT_TAR
set -euo pipefail
out="$1"
log() { echo "[jre-base] $*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
[ -s "$out" ] && exit 0
PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin" # debootstrap is in /usr/sbin, often not on a user's PATH
command -v debootstrap >/dev/null || { log "installing debootstrap"; as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null; }

mirror="${WATCHKEEPER_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
root=$(mktemp -d /tmp/watchkeeper-jre-base.XXXXXX)
cleanup() {
  # debootstrap mounts proc and sys in the target while packages configure; never leave them behind
  for m in proc sys dev/pts dev; do as_root umount -l "$root/$m" 2>/dev/null || true; done
  as_root rm -rf "$root"
}
trap cleanup EXIT
log "debootstrap --variant=minbase bookworm with openjdk-17-jre-headless from $mirror (about 2-3 min, once)"
as_root debootstrap --variant=minbase --include=openjdk-17-jre-headless bookworm "$root" "$mirror" >&2
for m in proc sys dev/pts; do as_root umount -l "$root/$m" 2>/dev/null || true; done
# (the globs are expanded by root's shell: the rootfs is root's)
as_root sh -c 'cd "$1" && rm -rf usr/share/doc/* usr/share/man/* usr/share/info/* usr/share/locale/* \
  var/cache/apt/* var/lib/apt/lists/* var/log/* tmp/* debootstrap' sh "$root"
echo 'watchkeeper:x:10001:10001:Watchkeeper:/deployments:/usr/sbin/nologin' | as_root tee -a "$root/etc/passwd" >/dev/null
echo 'watchkeeper:x:10001:' | as_root tee -a "$root/etc/group" >/dev/null
mkdir -p "$(dirname "$out")"
. "$(dirname "$0")/oci.sh"
# the rootfs has files only root may read (/etc/shadow, say): tar reads as root, the layer is written as the caller
layer_tar "$root" "$out.tmp" as_root
mv "$out.tmp" "$out"
log "$(du -m "$out" | cut -f1) MiB -> $out"
