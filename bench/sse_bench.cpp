// SSE parsing and provider decoding throughput (issue 3 target: parse ≥ 200 MB/s).
#include <benchmark/benchmark.h>

#include <string>

#include "clients/sse.hpp"
#include "probes/llm/wire.hpp"

namespace reznet::probes {
namespace {

// About 1 MiB of a realistic Anthropic stream: one content_block_delta per token.
std::string AnthropicStream() {
  std::string s;
  while (s.size() < (1 << 20)) {
    s += "event: content_block_delta\n"
         "data: "
         "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\","
         "\"text\":\" token\"}}\n\n";
  }
  return s + "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
}

void BM_SseParse(benchmark::State& state) {
  const std::string stream = AnthropicStream();
  const std::size_t piece = static_cast<std::size_t>(state.range(0));
  long events = 0;
  for (auto _ : state) {
    clients::SseParser parser({1 << 20, 1u << 30});
    for (std::size_t i = 0; i < stream.size(); i += piece) {
      (void)parser.Push(std::string_view(stream).substr(i, piece),
                        [&](const clients::SseEvent&) { ++events; });
    }
    parser.Finish();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * stream.size()));
  benchmark::DoNotOptimize(events);
}
BENCHMARK(BM_SseParse)->Arg(16384)->Arg(64)->Unit(benchmark::kMillisecond);

// Parse + decode every event as the llm probe does (JSON parse per event dominates).
void BM_SseParseAndDecodeAnthropic(benchmark::State& state) {
  const std::string stream = AnthropicStream();
  long content = 0;
  for (auto _ : state) {
    clients::SseParser parser({1 << 20, 1u << 30});
    for (std::size_t i = 0; i < stream.size(); i += 16384) {
      (void)parser.Push(std::string_view(stream).substr(i, 16384), [&](const clients::SseEvent& e) {
        content += llm::DecodeEvent(llm::Provider::kAnthropic, e).content ? 1 : 0;
      });
    }
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * stream.size()));
  benchmark::DoNotOptimize(content);
}
BENCHMARK(BM_SseParseAndDecodeAnthropic)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace reznet::probes
