#!/usr/bin/env bash
# Builds the fuzz target with clang's libFuzzer (+ASan+UBSan) and runs it for a bounded time.
#   tests/fuzz/run.sh [SECONDS]   (default 20)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SECONDS_TO_RUN="${1:-20}"
OUT="$ROOT/build-fuzz"
mkdir -p "$OUT/corpus"
cp -n "$ROOT"/tests/fuzz/corpus/* "$OUT/corpus/" 2>/dev/null || true
CXX=clang++-14
command -v $CXX >/dev/null || CXX=clang++
$CXX -std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -DBOOST_ASIO_HAS_CO_AWAIT=1 -DBOOST_ASIO_HAS_STD_COROUTINE=1 -I"$ROOT" \
  "$ROOT/tests/fuzz/sse_fuzz.cpp" "$ROOT/clients/sse.cpp" "$ROOT/probes/llm/wire.cpp" \
  -lboost_json -o "$OUT/sse_fuzz"
cd "$OUT"
./sse_fuzz -max_total_time="$SECONDS_TO_RUN" -rss_limit_mb=2048 -malloc_limit_mb=64 -max_len=4096 -print_final_stats=1 corpus \
  2>&1 | tail -n 15
echo "fuzz: no crash, no sanitizer finding in ${SECONDS_TO_RUN}s"
