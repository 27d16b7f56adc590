#include "probes/llm/stream_meter.hpp"

#include <gtest/gtest.h>

namespace reznet::probes::llm {
namespace {

using namespace std::chrono_literals;
const auto T0 = std::chrono::steady_clock::time_point(10h);

TEST(StreamMeter, PhasesFollowTheDefinitions) {
  StreamMeter m(T0);
  m.Body(T0 + 20ms);
  m.Content(T0 + 120ms);  // ttft
  m.Content(T0 + 160ms);
  m.Content(T0 + 160ms);  // same read: gap 0
  m.Content(T0 + 220ms);
  m.Usage(1);
  m.Usage(4);  // running total: the last wins
  m.End(T0 + 250ms);
  Outcome o;
  m.Fill(o);
  EXPECT_EQ(o.FindPhase("ttfb")->samples, (std::vector<Duration>{20ms}));
  EXPECT_EQ(o.FindPhase("ttft")->samples, (std::vector<Duration>{120ms}));
  EXPECT_EQ(o.FindPhase("inter_chunk")->samples, (std::vector<Duration>{40ms, 0ms, 60ms}));
  EXPECT_EQ(o.FindPhase("total")->samples, (std::vector<Duration>{250ms}));
  EXPECT_EQ(o.FindPhase("tpot")->samples,
            (std::vector<Duration>{Duration(130ms) / 3}));  // (250-120)/(4-1)
  EXPECT_EQ(*o.Counter("output_tokens"), 4);
  EXPECT_EQ(*o.Counter("usage_reported"), 1);
  EXPECT_EQ(*o.Counter("chunks"), 4);
  EXPECT_NEAR(*o.Counter("tokens_per_second"), 3 / 0.130, 1e-9);
}

TEST(StreamMeter, WithoutUsageCountsContentEvents) {
  StreamMeter m(T0);
  m.Body(T0 + 1ms);
  m.Content(T0 + 2ms);
  m.Content(T0 + 3ms);
  m.End(T0 + 4ms);
  Outcome o;
  m.Fill(o);
  EXPECT_EQ(*o.Counter("output_tokens"), 2);
  EXPECT_EQ(*o.Counter("usage_reported"), 0);
}

TEST(StreamMeter, BrokenStreamHasNoTotalAndDistrustsPlaceholderUsage) {
  StreamMeter m(T0);
  m.Body(T0 + 1ms);
  m.Usage(1);  // message_start's placeholder
  for (int i = 0; i < 5; ++i) m.Content(T0 + std::chrono::milliseconds(10 + i));
  Outcome o;
  m.Fill(o);
  EXPECT_EQ(o.FindPhase("total"), nullptr);
  EXPECT_EQ(o.FindPhase("tpot"), nullptr);
  EXPECT_EQ(*o.Counter("output_tokens"), 5);
  EXPECT_EQ(*o.Counter("usage_reported"), 0);
}

}  // namespace
}  // namespace reznet::probes::llm
