// A kind added from outside probes/ is honoured everywhere through its traits alone: the loader
// checks rules against its phases and ratios, default profiles take it with its samples, the
// rules file reads its ratio gauge, and an on-demand kind is neither scheduled nor evaluated
// continuously. No central file names `echo`.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <stdexcept>

#include "config/loader.hpp"
#include "daemon/wiring.hpp"
#include "nfr/rules_file.hpp"
#include "probes/run_once.hpp"
#include "tests/kinds/echo/echo_probe.hpp"
#include "tests/support/probe_runs.hpp"

namespace reznet {
namespace {

using namespace std::chrono_literals;
using probes::echo::EchoProbe;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

// A second kind, declared as any kind is: the same runs, on demand only, in the load profile.
struct OnDemandEcho {
  static constexpr std::string_view kKind = "echo_on_demand";
  static config::KindTraits Traits() {
    config::KindTraits t = EchoProbe::Traits();
    t.name = std::string(kKind);
    t.default_samples = 1;
    t.profiles = {"load"};
    t.on_demand = true;
    return t;
  }
  static std::unique_ptr<probes::Probe> Create(const probes::CreateArgs& args) {
    return EchoProbe::Create(args);
  }
};

probes::ProbeRegistry Registry() {
  probes::ProbeRegistry registry;
  probes::RegisterBuiltinProbes(registry);
  registry.Add<EchoProbe>();
  registry.Add<OnDemandEcho>();
  return registry;
}

constexpr const char* kYaml = R"(daemon: { windows: [1m] }
probes:
  - { name: e, kind: echo, echo: { ratio: 75%, took: 5ms } }
  - { name: burst, kind: echo_on_demand, echo_on_demand: { ratio: 0.5 } }
nfrs:
  - { name: echo_ratio, probe: e, stat: ratio, phase: echoed, window: 1m, op: ">", threshold: 50% }
  - { name: burst_p95, probe: burst, phase: total, stat: p95, window: 1m, op: "<", threshold: 1s }
)";

std::vector<std::pair<std::string, int>> Entries(const config::SuiteProfile& p) {
  std::vector<std::pair<std::string, int>> out;
  for (const auto& e : p.probes) out.emplace_back(e.probe, e.samples);
  return out;
}

TEST(EchoKind, DefaultProfilesTakeItWithItsSamples) {
  const auto cfg = config::LoadString(kYaml, "echo.yaml", Registry().Kinds());
  EXPECT_EQ(cfg.probes[0].traits.name, "echo");
  auto profiles = config::ResolveProfiles(cfg);
  EXPECT_THAT(Entries(profiles["quick"]), ElementsAre(std::pair<std::string, int>("e", 7)));
  EXPECT_THAT(profiles["quick"].nfrs, ElementsAre("echo_ratio"));
  EXPECT_TRUE(profiles["standard"].probes.empty());
  EXPECT_THAT(Entries(profiles["load"]), ElementsAre(std::pair<std::string, int>("burst", 1)));
  EXPECT_THAT(Entries(profiles["full"]), ElementsAre(std::pair<std::string, int>("e", 7),
                                                     std::pair<std::string, int>("burst", 1)));
}

TEST(EchoKind, RulesAreCheckedAgainstItsPhasesAndRatios) {
  const std::string bad = std::string(kYaml) +
                          "  - { name: x, probe: e, phase: ttfb, stat: p95, window: 1m, op: \"<\", "
                          "threshold: 1s }\n"
                          "  - { name: y, probe: e, phase: hit_ratio, stat: ratio, window: 1m, "
                          "op: \">\", threshold: 50% }\n";
  try {
    config::LoadString(bad, "echo.yaml", Registry().Kinds());
    FAIL() << "expected ConfigError";
  } catch (const config::ConfigError& e) {
    EXPECT_THAT(e.errors(),
                ElementsAre(HasSubstr("nfrs[2].phase: probe \"e\" (kind echo) has no phase "
                                      "\"ttfb\"; it has: total"),
                            HasSubstr("nfrs[3].phase: probe \"e\" (kind echo) has no ratio "
                                      "\"hit_ratio\"; it has: echoed")));
  }
}

TEST(EchoKind, RulesFileReadsItsGaugeAndLeavesOnDemandRulesToSuites) {
  const auto cfg = config::LoadString(kYaml, "echo.yaml", Registry().Kinds());
  const std::string rules = nfr::PrometheusRules(cfg);
  EXPECT_THAT(rules, HasSubstr("alert: echo_ratio\n        expr: \"avg_over_time("
                               "reznet_perf_echo_ratio{probe=\\\"e\\\"}[1m]) <= 0.5\""));
  EXPECT_THAT(rules, HasSubstr("# burst_p95: judges echo_on_demand test burst, checked by suite"));
  EXPECT_THAT(rules, Not(HasSubstr("alert: burst_p95")));
}

TEST(EchoKind, OnDemandKindsAreNeitherScheduledNorEvaluatedContinuously) {
  const auto cfg = config::LoadString(kYaml, "echo.yaml", Registry().Kinds());
  EXPECT_TRUE(daemon::Scheduled(cfg.probes[0]));
  EXPECT_FALSE(daemon::Scheduled(cfg.probes[1]));
  std::vector<std::string> continuous;
  for (const auto& r : daemon::ContinuousRules(cfg, {})) continuous.push_back(r.name);
  EXPECT_THAT(continuous, ElementsAre("echo_ratio"));
}

TEST(EchoKind, RunsOnce) {
  const auto cfg = config::LoadString(kYaml, "echo.yaml", Registry().Kinds());
  boost::asio::io_context io;
  auto probe = Registry().Create({cfg.probes[0], nullptr, io.get_executor()});
  const probes::Outcome o = testing::Await(io, probes::RunOnce(*probe, 1s));
  ASSERT_TRUE(o.ok());
  ASSERT_NE(o.FindPhase("total"), nullptr);
  EXPECT_THAT(o.FindPhase("total")->samples, ElementsAre(5ms));
  EXPECT_EQ(o.Counter("echoed"), 0.75);
}

TEST(EchoKind, TheRegistryRefusesTraitsThatContradictThemselves) {
  probes::ProbeRegistry registry;
  registry.Add<EchoProbe>();
  EXPECT_THROW(registry.Add<EchoProbe>(), std::logic_error);  // added twice
  config::KindTraits t = EchoProbe::Traits();
  t.name = "echo2";
  t.chart_phase = "ttfb";
  EXPECT_THROW(registry.Add(t, &EchoProbe::Create), std::logic_error);
  t.chart_phase = "total";
  t.profiles = {"full"};
  EXPECT_THROW(registry.Add(t, &EchoProbe::Create), std::logic_error);
  t.profiles = {"nightly"};
  EXPECT_THROW(registry.Add(t, &EchoProbe::Create), std::logic_error);
  t.profiles = {"standard"};
  registry.Add(t, &EchoProbe::Create);
  EXPECT_EQ(registry.Kinds().at("echo2").profiles, std::vector<std::string>{"standard"});
}

}  // namespace
}  // namespace reznet
