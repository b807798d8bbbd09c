#!/usr/bin/env bash
# Makes the operator's container image without a registry or Docker, as an OCI archive of two layers:
#   1. the JRE base (make-jre-base.sh: Debian bookworm minbase + openjdk-17-jre-headless, user watchkeeper 10001),
#      made once and cached in ${WATCHKEEPER_CACHE:-~/.cache/watchkeeper}/images/jre-base.tar;
#   2. the Quarkus fast-jar (target/quarkus-app) in /deployments, owned by root and read-only to the operator.
# It runs as uid 10001; the JVM sizes its heap from the container's memory limit (JAVA_TOOL_OPTIONS, which the
# chart sets from jvm.options). Import it with `ctr -n k8s.io images import`, under the name pods use, normalised
# (docker.io/watchkeeper/watchkeeper:TAG for image watchkeeper/watchkeeper:TAG).
# Usage: make-operator-image.sh APP_DIR IMAGE_NAME OUT_TAR
set -euo pipefail
app="$1"
name="$2"
out="$3"
here="$(cd "$(dirname "$0")" && pwd)"
base="${WATCHKEEPER_CACHE:-$HOME/.cache/watchkeeper}/images/jre-base.tar"
[ -f "$app/quarkus-run.jar" ] || { echo "[images] no $app/quarkus-run.jar: run ./mvnw package first" >&2; exit 1; }
"$here/make-jre-base.sh" "$base"
. "$here/oci.sh"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/root/deployments"
cp -r "$app"/. "$work/root/deployments/"
chmod -R a+rX,go-w "$work/root/deployments"
layer_tar "$work/root" "$work/app.tar"
oci_image "$name" '{"User":"10001:10001","WorkingDir":"/deployments","ExposedPorts":{"8080/tcp":{}},"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","LANG=C.UTF-8","JAVA_TOOL_OPTIONS=-XX:MaxRAMPercentage=75.0 -XX:MinHeapFreeRatio=10 -XX:MaxHeapFreeRatio=30 -XX:TrimNativeHeapInterval=5000 -XX:+ExitOnOutOfMemoryError"],"Entrypoint":["java","-jar","/deployments/quarkus-run.jar"]}' \
  "$out" "$base" "$work/app.tar"
