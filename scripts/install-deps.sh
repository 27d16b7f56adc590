#!/usr/bin/env bash
# Installs every package the build, the tests, the demo and the benchmarks need (Debian 12).
# Idempotent: when everything is already installed it only checks and returns.
# Services are kept from auto-starting: the project starts its own throwaway instances.
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config ninja-build ccache git ca-certificates curl
  libboost1.81-dev libboost-json1.81-dev
  prometheus-cpp-dev libcpp-httplib-dev libhiredis-dev libpq-dev libyaml-cpp-dev
  libspdlog-dev libfmt-dev libcli11-dev libssl-dev libcrypt-dev zlib1g-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  postgresql postgresql-contrib redis-server redis-tools prometheus prometheus-alertmanager
  gcovr python3 python3-yaml openssl clang-14 clang-format libclang-rt-14-dev libxml2-utils
  chromium libsystemd-dev systemd
  wrk prometheus-blackbox-exporter
  dpkg-dev lintian help2man man-db
)

# `install-deps.sh --bench`: also the peers of bench/compare_load.py (nginx as the target; ab, hey,
# h2load beside wrk) and valgrind (its instruction counts).
if [ "${1:-}" = "--bench" ]; then
  PACKAGES+=(nginx-light apache2-utils hey nghttp2-client valgrind)
fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
# The CI workflow example's validator (tests/integration/test_package.py), from the npm registry
# with the machine's Node.js.
install_npm_tools() {
  if ! command -v action-validator >/dev/null 2>&1; then
    if command -v npm >/dev/null 2>&1; then
      npm install -g --silent @action-validator/cli@0.6.0
    else
      echo "install-deps: npm not found: the CI workflow example will not be validated" >&2
    fi
  fi
}
if [ ${#missing[@]} -eq 0 ]; then
  install_npm_tools
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

# Keep services from starting at install time (no systemd here, and we run our own instances).
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
  $SUDO chmod +x /usr/sbin/policy-rc.d
fi
$SUDO mkdir -p /etc/postgresql-common/createcluster.d
echo 'create_main_cluster = false' | $SUDO tee /etc/postgresql-common/createcluster.d/no-main.conf >/dev/null

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# libboost1.81-dev conflicts with the default libboost-dev (1.74); remove that one if present.
if dpkg-query -W -f='${Status}' libboost1.74-dev 2>/dev/null | grep -q "install ok installed"; then
  $SUDO apt-get remove -y -qq libboost1.74-dev >/dev/null || true
fi
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
install_npm_tools
echo "install-deps: done"
