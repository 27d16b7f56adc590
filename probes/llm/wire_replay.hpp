#pragma once
// For the wire tests: decodes raw stream bytes as the probe does (SSE parser, then the provider's
// event decoder), whole, one byte at a time and split at every byte boundary, and expects the
// same result each way. Header-only; test code only.

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "clients/sse.hpp"
#include "probes/llm/wire.hpp"

namespace reznet::probes::llm::wire_replay {

struct Replay {
  long events = 0;
  std::optional<long> first_content;  // index of the first event carrying output: ttft's event
  long content = 0;
  bool end = false;
  std::optional<long> tokens;
  std::optional<std::string> error;
  std::optional<std::string> bad_json;
  bool half = false;
  bool operator==(const Replay&) const = default;
};

inline Replay Feed(Provider p, const std::vector<std::string_view>& pieces) {
  clients::SseParser parser;
  Replay r;
  for (auto piece : pieces) {
    (void)parser.Push(piece, [&](const clients::SseEvent& e) {
      if (r.end || r.error) return;
      WireStep s = DecodeEvent(p, e);
      if (s.content && !r.first_content) r.first_content = r.events;
      ++r.events;
      r.content += s.content ? 1 : 0;
      if (s.output_tokens) r.tokens = s.output_tokens;
      if (s.end) r.end = true;
      if (s.error) r.error = s.error;
      if (s.bad_json) r.bad_json = s.bad_json;
    });
  }
  r.half = parser.Finish();
  return r;
}

inline Replay Decode(Provider p, std::string_view stream) {
  const Replay whole = Feed(p, {stream});
  std::vector<std::string_view> bytes;
  for (std::size_t i = 0; i < stream.size(); ++i) bytes.push_back(stream.substr(i, 1));
  EXPECT_EQ(Feed(p, bytes), whole) << "one byte at a time";
  for (std::size_t cut = 1; cut < stream.size(); ++cut) {
    EXPECT_EQ(Feed(p, {stream.substr(0, cut), stream.substr(cut)}), whole) << "split at " << cut;
  }
  return whole;
}

}  // namespace reznet::probes::llm::wire_replay
