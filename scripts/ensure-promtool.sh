#!/usr/bin/env bash
# Puts Prometheus's promtool (Debian's prometheus package, unpacked, not installed: no service is set up) under
# .tools/prometheus/ when no promtool is on PATH. deployment-check's PrometheusRulesTest runs it on the alerting
# rules in k8s/monitoring (syntax and unit tests). Prints the promtool path.
set -euo pipefail
cd "$(dirname "$0")/.."
if command -v promtool >/dev/null 2>&1; then
  command -v promtool
  exit 0
fi
dest=.tools/prometheus
if [ ! -x "$dest/usr/bin/promtool" ]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  if ! (cd "$tmp" && apt-get download -qq prometheus >/dev/null 2>&1); then
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    $SUDO apt-get update -qq
    (cd "$tmp" && apt-get download -qq prometheus >/dev/null)
  fi
  mkdir -p "$dest"
  dpkg-deb -x "$tmp"/prometheus_*.deb "$dest"
fi
echo "$PWD/$dest/usr/bin/promtool"
