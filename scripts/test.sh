#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs dependencies, checks formatting, builds once,
# starts the real services, runs unit + integration tests, then the unit tests again under
# ASan+UBSan and under ThreadSanitizer.
#
#   scripts/test.sh              everything (what CI runs)
#   scripts/test.sh --coverage   also an instrumented build + gcovr report in coverage/
#
# Exits non-zero on any failure. Builds land in build/ (and build-asan/, build-tsan/, build-cov/).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
COVERAGE=0
for arg in "$@"; do
  case "$arg" in
    --coverage) COVERAGE=1 ;;
    *) echo "usage: $0 [--coverage]" >&2; exit 2 ;;
  esac
done
JOBS="${REZNET_JOBS:-$(nproc)}"

step() { printf '\n=== %s (%ss)\n' "$*" "$SECONDS"; }

step "install dependencies"
"$ROOT/scripts/install-deps.sh"

step "format: clang-format --dry-run --Werror over every C++ file"
git ls-files -z '*.cpp' '*.hpp' | xargs -0 clang-format --dry-run --Werror

step "configure + build, Release (build/)"
# Release, as a packager builds it: this one build serves the tests, the benchmarks and the .deb.
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DREZNET_WERROR=ON -DCMAKE_INSTALL_PREFIX=/usr >/dev/null
cmake --build build -j "$JOBS"

RUN_DIR="$ROOT/.run/test-services"
"$ROOT/scripts/services.sh" stop "$RUN_DIR" >/dev/null 2>&1 || true
cleanup() { "$ROOT/scripts/services.sh" stop "$RUN_DIR" >/dev/null 2>&1 || true; }
trap cleanup EXIT

step "start services (PostgreSQL, Redis, Prometheus, Alertmanager)"
"$ROOT/scripts/services.sh" start "$RUN_DIR"
export REZNET_SERVICES_ENV="$RUN_DIR/services.env"

step "unit tests"
ctest --test-dir build -L unit --output-on-failure -j "$JOBS"

step "integration tests"
# Two at a time; those that measure time or stop the shared services run alone (RUN_SERIAL,
# tests/integration/CMakeLists.txt).
ctest --test-dir build -L integration --output-on-failure -j "$JOBS"

step "sanitizer build (ASan+UBSan) + unit tests (build-asan/)"
# -g1 (line tables, enough for the sanitizers' stack traces) instead of -g: the debug info of
# Asio/Beast templates is most of the compile time. TSan at -O1 -g1 builds 40 % faster than -O2 -g
# (api/api_server.cpp: 50 s -> 29 s) and still runs the unit tests in seconds.
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug "-DCMAKE_CXX_FLAGS_DEBUG=-O0 -g1" -DREZNET_SANITIZE=ON -DREZNET_UNIT_ONLY=ON -DREZNET_WERROR=ON >/dev/null
cmake --build build-asan -j "$JOBS"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan -L unit --output-on-failure -j "$JOBS"

step "ThreadSanitizer build + unit tests (build-tsan/)"
# Without the precompiled headers: this build also shows a missing #include of an Asio, JSON or
# yaml-cpp header (the PCH is force-included elsewhere) and the -Wstringop-* warnings the PCH
# builds turn off (cmake/ReznetTarget.cmake).
cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG" -DREZNET_TSAN=ON -DREZNET_UNIT_ONLY=ON -DREZNET_PCH=OFF -DREZNET_WERROR=ON >/dev/null
cmake --build build-tsan -j "$JOBS"
TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$ROOT/tests/tsan.supp" \
  ctest --test-dir build-tsan -L unit --output-on-failure -j "$JOBS"

step "fuzz: SSE parser + provider decoders, load engine response heads; REZNET_FUZZ_SECONDS in all (build-fuzz/)"
"$ROOT/tests/fuzz/run.sh" "${REZNET_FUZZ_SECONDS:-20}"

if [ "$COVERAGE" -eq 1 ]; then
  step "coverage build + tests (build-cov/, report in coverage/)"
  cmake -S . -B build-cov -G Ninja -DCMAKE_BUILD_TYPE=Debug -DREZNET_COVERAGE=ON -DREZNET_BENCH=OFF >/dev/null
  cmake --build build-cov -j "$JOBS"
  find build-cov -name '*.gcda' -delete
  ctest --test-dir build-cov -L 'unit|integration' --output-on-failure
  mkdir -p coverage
  # Every room (each top-level folder with code), tests and test fixtures left out.
  rooms=()
  for room in common config stats clients probes nfr telemetry suite api daemon testbed; do
    rooms+=(--filter "$room/")
  done
  # Counters of the multi-threaded parts can come out negative (gcov's counters are not atomic);
  # gcovr 5.2 stops at such a line unless told to skip it.
  gcovr -r . build-cov "${rooms[@]}" --exclude '.*_test\.cpp' --gcov-ignore-parse-errors \
    --html-details coverage/index.html --txt coverage/summary.txt --json-summary coverage/summary.json \
    --print-summary
  python3 "$ROOT/scripts/coverage_rooms.py" coverage/summary.json | tee coverage/rooms.md
fi

step "all tests passed"
