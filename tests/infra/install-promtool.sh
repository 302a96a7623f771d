#!/usr/bin/env bash
# Installs promtool (Prometheus's rule checker) from Debian's `prometheus` package, for
# PromtoolRulesTest (deploy/prometheus). Idempotent: does nothing when promtool is on the PATH.
# Run as root; .ci/run calls it before the tests.
set -euo pipefail
if command -v promtool >/dev/null 2>&1; then
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2 || true
apt-get install -y -qq --no-install-recommends prometheus >&2
command -v promtool >/dev/null 2>&1 || { echo "install-promtool: promtool still missing" >&2; exit 1; }
