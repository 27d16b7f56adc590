// What the rest of the daemon knows of the agent kind (its traits); its runs are tested end to
// end against the testbed's agent endpoint (tests/integration).
#include "probes/agent/agent_probe.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "probes/llm/llm_probe.hpp"

namespace reznet::probes::agent {
namespace {

using ::testing::ElementsAre;

TEST(AgentKind, DeclaresItsSuiteDefaultsScheduleAndSeries) {
  const config::KindTraits t = AgentProbe::Traits();
  EXPECT_EQ(t.name, "agent");
  EXPECT_EQ(t.default_samples, 10);
  EXPECT_EQ(t.profiles, (std::vector<std::string>{"standard"}));
  EXPECT_FALSE(t.on_demand);
  EXPECT_EQ(t.chart_phase, "total");
  // A stream like the llm kind's: the same phases, token series and labels.
  const config::KindTraits llm = llm::LlmProbe::Traits();
  EXPECT_EQ(t.phases, llm.phases);
  EXPECT_EQ(t.metrics, llm.metrics);
  EXPECT_THAT(t.labels, ElementsAre("provider", "model"));
}

}  // namespace
}  // namespace reznet::probes::agent
