// daemon.export and a probe's export: (config/export.hpp).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/loader.hpp"

namespace reznet::config {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;

KindTraitsMap Kinds() {
  KindTraits k;
  k.name = "noop";
  k.parse = [](MapReader&, const TargetConfig*, const ProbeConfig&) {
    return std::shared_ptr<const KindSettings>(std::make_shared<KindSettings>());
  };
  k.phases = {"total"};
  return {{"noop", k}};
}

Config Load(const std::string& yaml) { return LoadString(yaml, "t.yaml", Kinds()); }

TEST(ExportBudget, DefaultIsFiveMinutesWhenConfiguredElseTheShortest) {
  EXPECT_EQ(Load("probes: []\n").daemon.exported,
            (ExportBudget{{5min}, {NfrStat::kP50, NfrStat::kP95, NfrStat::kP99}}));
  const Config c = Load("daemon: { windows: [1h, 30s] }\nprobes: [{ name: a, kind: noop }]\n");
  EXPECT_EQ(c.daemon.exported.windows, std::vector<Duration>{30s});
  EXPECT_EQ(c.probes[0].exported, c.daemon.exported);
}

TEST(ExportBudget, DaemonExportAndPerProbeOverrides) {
  const Config c = Load(R"(daemon:
  export: { windows: [1h, 1m], stats: [max, p50] }
probes:
  - { name: a, kind: noop }
  - { name: b, kind: noop, export: { stats: [p99] } }
  - { name: c, kind: noop, export: { windows: [], stats: [] } }
)");
  EXPECT_EQ(c.daemon.exported, (ExportBudget{{1min, 1h}, {NfrStat::kP50, NfrStat::kMax}}));
  EXPECT_EQ(c.probes[0].exported, c.daemon.exported);
  EXPECT_EQ(c.probes[1].exported, (ExportBudget{{1min, 1h}, {NfrStat::kP99}}));
  EXPECT_EQ(c.probes[2].exported, ExportBudget{});
}

TEST(ExportBudget, LatencyNfrsAddTheirWindowAndStat) {
  const Config c = Load(R"(probes:
  - { name: a, kind: noop }
nfrs:
  - { name: a_mean, probe: a, phase: total, stat: mean, window: 1h, op: "<", threshold: 1s }
  - { name: a_errors, probe: a, stat: error_rate, window: 1m, op: "<", threshold: 1% }
)");
  EXPECT_EQ(
      c.probes[0].exported,
      (ExportBudget{{5min, 1h}, {NfrStat::kP50, NfrStat::kP95, NfrStat::kP99, NfrStat::kMean}}));
}

TEST(ExportBudget, UnknownWindowsAndStatsAreErrorsWithFileLine) {
  std::vector<std::string> errors;
  try {
    Load(R"(daemon:
  export: { windows: [5m, 2m], stats: [p95, p42] }
probes:
  - { name: a, kind: noop, export: { windows: [1h], statz: [p50] } }
)");
  } catch (const ConfigError& e) {
    errors = e.errors();
  }
  EXPECT_THAT(errors,
              ElementsAre("t.yaml:2:27: daemon.export.windows[1]: 2m is not one of daemon.windows "
                          "(1m, 5m, 1h)",
                          "t.yaml:2:45: daemon.export.stats[1]: \"p42\" is not a window statistic; "
                          "write p50, p90, p95, p99, mean or max",
                          "t.yaml:4:53: probes[0].export.statz: unknown key \"statz\"; did you "
                          "mean \"stats\"?"));
}

}  // namespace
}  // namespace reznet::config
