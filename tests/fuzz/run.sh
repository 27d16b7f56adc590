#!/usr/bin/env bash
# Builds the fuzz targets with clang's libFuzzer (+ASan+UBSan) and runs them for a bounded time.
#   tests/fuzz/run.sh [SECONDS] [TARGET...]   (default 20 seconds in all, split evenly between
#                                              the targets; targets: sse http1_head, default both)
#   sse         the SSE parser and the providers' decoders (clients/sse.cpp, probes/llm/wire.cpp),
#               seeds: the files of tests/fuzz/corpus/
#   http1_head  the load engine's response head parser (probes/load/http1_head.cpp),
#               seeds: tests/fuzz/corpus/http1_head/
# Each target keeps its own working corpus in build-fuzz/ (corpus/, corpus_http1_head/).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TOTAL_SECONDS="${1:-20}"
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(sse http1_head)
PER_TARGET=$((TOTAL_SECONDS / ${#TARGETS[@]}))
[ "$PER_TARGET" -ge 1 ] || PER_TARGET=1
OUT="$ROOT/build-fuzz"
CXX=clang++-14
command -v $CXX >/dev/null || CXX=clang++
FLAGS=(-std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
  -I"$ROOT")

# seeds DIR CORPUS: copies the seed files of DIR (not its sub-folders) into CORPUS.
seeds() {
  mkdir -p "$2"
  find "$1" -maxdepth 1 -type f -exec cp -n {} "$2/" \;
}

for target in "${TARGETS[@]}"; do
  case "$target" in
    sse)
      corpus="$OUT/corpus"
      seeds "$ROOT/tests/fuzz/corpus" "$corpus"
      $CXX "${FLAGS[@]}" -DBOOST_ASIO_HAS_CO_AWAIT=1 -DBOOST_ASIO_HAS_STD_COROUTINE=1 \
        "$ROOT/tests/fuzz/sse_fuzz.cpp" "$ROOT/clients/sse.cpp" "$ROOT/probes/llm/wire.cpp" \
        -lboost_json -o "$OUT/sse_fuzz"
      max_len=4096
      ;;
    http1_head)
      corpus="$OUT/corpus_http1_head"
      seeds "$ROOT/tests/fuzz/corpus/http1_head" "$corpus"
      $CXX "${FLAGS[@]}" "$ROOT/tests/fuzz/http1_head_fuzz.cpp" \
        "$ROOT/probes/load/http1_head.cpp" -o "$OUT/http1_head_fuzz"
      max_len=4096
      ;;
    *)
      echo "unknown fuzz target: $target (sse, http1_head)" >&2
      exit 2
      ;;
  esac
  echo "fuzz: $target for ${PER_TARGET}s"
  (cd "$OUT" && "./${target}_fuzz" -max_total_time="$PER_TARGET" -rss_limit_mb=2048 \
    -malloc_limit_mb=64 -max_len="$max_len" -print_final_stats=1 "$corpus" 2>&1 | tail -n 15)
  echo "fuzz: $target: no crash, no sanitizer finding in ${PER_TARGET}s"
done
