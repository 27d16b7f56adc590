// libFuzzer target: the SSE parser and every provider's event and body decoders on arbitrary
// bytes.
// The first input byte picks how the rest is split into reads; the events must be the same as
// when the rest is fed whole (a difference aborts: that is a finding). Limits are small so that
// "no unbounded memory" is exercised too.
//   scripts/test.sh builds it with clang (-fsanitize=fuzzer,address,undefined) and runs it for a
//   bounded time on tests/fuzz/corpus/.
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "clients/sse.hpp"
#include "probes/llm/wire.hpp"

using reznet::clients::SseEvent;
using reznet::clients::SseLimits;
using reznet::clients::SseParser;
using reznet::probes::llm::DecodeBody;
using reznet::probes::llm::DecodeEvent;
using reznet::probes::llm::DescribeErrorBody;
using reznet::probes::llm::Provider;

namespace {

std::vector<SseEvent> Parse(std::string_view input, std::size_t step) {
  SseParser parser(SseLimits{.max_line_bytes = 512, .max_stream_bytes = 1 << 16});
  std::vector<SseEvent> events;
  for (std::size_t i = 0; i < input.size(); i += step) {
    if (!parser.Push(input.substr(i, step), [&](const SseEvent& e) { events.push_back(e); })) break;
  }
  parser.Finish();
  return events;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t step = 1 + data[0] % 17;
  std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  const auto whole = Parse(input, input.size() ? input.size() : 1);
  const auto split = Parse(input, step);
  // Over-long lines stop the parser at a point that depends on the split; compare only when
  // no limit was hit (the input is then below both limits).
  if (input.size() < 512 && whole != split) std::abort();
  constexpr Provider kProviders[] = {Provider::kAnthropic, Provider::kOpenAI,
                                     Provider::kOpenAIResponses};
  for (const auto& e : whole) {
    for (Provider p : kProviders) (void)DecodeEvent(p, e);
  }
  for (Provider p : kProviders) (void)DecodeBody(p, input);
  (void)DescribeErrorBody(input);
  return 0;
}
