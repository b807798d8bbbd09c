#!/usr/bin/env bash
# Makes the operator image's base layer without a registry or Docker: a Debian bookworm rootfs
# (debootstrap --variant=minbase) with openjdk-17-jre-headless and no recommends, minus documentation,
# man pages, locales and apt's caches, with an unprivileged user `watchkeeper` (uid/gid 10001).
# Written as one deterministic layer tarball (sorted, mtime 0, numeric owners). make-operator-image.sh
# puts the application on top of it. Needs root (debootstrap chroots) and Debian's mirror
# (WATCHKEEPER_DEBIAN_MIRROR, default http://deb.debian.org/debian).
# Usage: make-jre-base.sh OUT_TAR
set -euo pipefail
out="$1"
log() { echo "[jre-base] $*" >&2; }
[ -s "$out" ] && exit 0
command -v debootstrap >/dev/null || { log "installing debootstrap"; apt-get install -y -qq debootstrap >/dev/null; }

mirror="${WATCHKEEPER_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
root=$(mktemp -d /tmp/watchkeeper-jre-base.XXXXXX)
cleanup() {
  # debootstrap mounts proc and sys in the target while packages configure; never leave them behind
  for m in proc sys dev/pts dev; do umount -l "$root/$m" 2>/dev/null || true; done
  rm -rf "$root"
}
trap cleanup EXIT
log "debootstrap --variant=minbase bookworm with openjdk-17-jre-headless from $mirror (about 2-3 min, once)"
debootstrap --variant=minbase --include=openjdk-17-jre-headless bookworm "$root" "$mirror" >&2
for m in proc sys dev/pts; do umount -l "$root/$m" 2>/dev/null || true; done
rm -rf "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/usr/share/locale/* \
  "$root"/var/cache/apt/* "$root"/var/lib/apt/lists/* "$root"/var/log/* "$root"/tmp/* "$root"/debootstrap
echo 'watchkeeper:x:10001:10001:Watchkeeper:/deployments:/usr/sbin/nologin' >> "$root/etc/passwd"
echo 'watchkeeper:x:10001:' >> "$root/etc/group"
mkdir -p "$(dirname "$out")"
. "$(dirname "$0")/oci.sh"
layer_tar "$root" "$out.tmp"
mv "$out.tmp" "$out"
log "$(du -m "$out" | cut -f1) MiB -> $out"
