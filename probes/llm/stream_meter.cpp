#include "probes/llm/stream_meter.hpp"

#include <algorithm>

namespace reznet::probes::llm {

void StreamMeter::Content(TimePoint arrived) {
  if (!first_content_) {
    first_content_ = arrived;
  } else {
    gaps_.push_back(arrived - *last_content_);
  }
  last_content_ = arrived;
  ++chunks_;
}

void StreamMeter::Fill(Outcome& out) const {
  if (first_body_) out.Record("ttfb", *first_body_ - sent_);
  if (first_content_) out.Record("ttft", *first_content_ - sent_);
  for (auto gap : gaps_) out.Record("inter_chunk", gap);
  // Usage is trusted from a finished stream; a broken one may hold only message_start's
  // placeholder count, so the content events counted are the better floor there.
  const long tokens = end_ ? usage_.value_or(chunks_) : std::max(usage_.value_or(0), chunks_);
  if (end_) {
    const Duration total = *end_ - sent_;
    if (first_content_ && tokens > 1) {
      const Duration decode = total - (*first_content_ - sent_);
      out.Record("tpot", decode / (tokens - 1));
      const double seconds = std::chrono::duration<double>(decode).count();
      if (seconds > 0)
        out.SetCounter("tokens_per_second", static_cast<double>(tokens - 1) / seconds);
    }
    out.Record("total", total);
  }
  out.SetCounter("output_tokens", static_cast<double>(tokens));
  out.SetCounter("usage_reported", end_ && usage_ ? 1 : 0);
  out.SetCounter("chunks", static_cast<double>(chunks_));
}

}  // namespace reznet::probes::llm
