#pragma once
// Turns a stream of decoded events, each with the time its bytes arrived, into the LLM phases of
// docs/design.md §3 (all measured from the moment the request was handed to the socket):
//   ttfb         → first body byte
//   ttft         → first event carrying model output (text, thinking, a tool call's name or
//                  arguments)
//   inter_chunk  every gap between consecutive content events (pooled; events that arrived in
//                the same read have a gap of 0 — they did arrive together)
//   tpot         (total − ttft) / (output_tokens − 1), when output_tokens > 1
//   total        → the end marker
// Counters: output_tokens (provider usage when reported — the last value, since Anthropic's is a
// running total — else the number of content events; for a stream that broke off, the larger of
// the two), usage_reported (1/0), chunks (content
// events), tokens_per_second = (output_tokens − 1) / (total − ttft), i.e. 1 / tpot.

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "probes/outcome.hpp"

namespace reznet::probes::llm {

class StreamMeter {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  explicit StreamMeter(TimePoint sent) : sent_(sent) {}
  void Body(TimePoint arrived) {
    if (!first_body_) first_body_ = arrived;
  }
  void Content(TimePoint arrived);
  void Usage(long output_tokens) { usage_ = output_tokens; }
  void End(TimePoint arrived) {
    if (!end_) end_ = arrived;
  }

  bool ended() const { return end_.has_value(); }
  bool any_content() const { return chunks_ > 0; }
  long chunks() const { return chunks_; }
  // Writes phases and counters into `out`. Without an end marker only ttfb/ttft/inter_chunk.
  void Fill(Outcome& out) const;

 private:
  TimePoint sent_;
  std::optional<TimePoint> first_body_, first_content_, last_content_, end_;
  std::vector<Duration> gaps_;
  long chunks_ = 0;
  std::optional<long> usage_;
};

}  // namespace reznet::probes::llm
