// What the rest of the daemon knows of the llm kind (its traits); its runs are tested through
// the wire decoders and the stream meter (wire_test.cpp, stream_meter_test.cpp) and end to end
// against the testbed (tests/integration).
#include "probes/llm/llm_probe.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace reznet::probes::llm {
namespace {

using ::testing::ElementsAre;

TEST(LlmKind, DeclaresItsSuiteDefaultsScheduleAndSeries) {
  const config::KindTraits t = LlmProbe::Traits();
  EXPECT_EQ(t.name, "llm");
  EXPECT_EQ(t.default_samples, 5);
  EXPECT_EQ(t.profiles, (std::vector<std::string>{"standard"}));
  EXPECT_FALSE(t.on_demand);
  EXPECT_EQ(t.chart_phase, "total");
  EXPECT_TRUE(t.ratios.empty());
  // Its token series, labelled with the provider and model.
  EXPECT_EQ(t.metrics.size(), 3u);
  EXPECT_THAT(t.labels, ElementsAre("provider", "model"));
}

}  // namespace
}  // namespace reznet::probes::llm
