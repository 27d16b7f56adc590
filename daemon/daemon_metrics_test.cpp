// The daemon room's own series (daemon/daemon_metrics.hpp) on the shared registry.
#include "daemon/daemon_metrics.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

#include "config/loader.hpp"
#include "daemon/discovery.hpp"
#include "probes/probe.hpp"

namespace reznet::daemon {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string Text(common::MetricsRegistry& registry) {
  std::string out;
  registry.Render(out, std::chrono::steady_clock::now());
  return out;
}

TEST(DaemonMetrics, BuildInfoAndAStartThatCountsAsAReload) {
  common::MetricsRegistry registry;
  DaemonMetrics m(registry, "1.2.3", "abc");
  const std::string text = Text(registry);
  EXPECT_THAT(text, HasSubstr("reznet_perf_build_info{revision=\"abc\",version=\"1.2.3\"} 1"));
  EXPECT_THAT(text, HasSubstr("reznet_perf_config_last_reload_successful 1\n"));
  const auto before = registry.Generation();
  m.RecordReload(false, std::chrono::system_clock::now());
  EXPECT_GT(registry.Generation(), before);  // a cached /metrics is rendered again
  EXPECT_THAT(Text(registry), HasSubstr("reznet_perf_config_last_reload_successful 0\n"));
}

TEST(DaemonMetrics, ShardInfoIsOneSeriesReplacedBySetShard) {
  common::MetricsRegistry registry;
  DaemonMetrics m(registry, "v", "r");
  EXPECT_THAT(Text(registry), HasSubstr("reznet_perf_shard_info{index=\"0\",of=\"1\"} 1"));
  m.SetShard(2, 3);
  const std::string text = Text(registry);
  EXPECT_THAT(text, HasSubstr("reznet_perf_shard_info{index=\"2\",of=\"3\"} 1"));
  EXPECT_THAT(text, Not(HasSubstr("of=\"1\"")));
}

// Discovery's own series: targets and skips per template, read errors counted, all gone with the
// template.
TEST(DiscoveryMetrics, CountsFollowTheirTemplate) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("reznet-discovery-metrics-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "web.json") << R"([{"targets": ["a:1", "b:2", "c:3"]}])";
  std::ofstream(dir / "broken.json") << "[{";
  probes::ProbeRegistry kinds;
  probes::RegisterBuiltinProbes(kinds);
  const std::string probe =
      "probes:\n  - { name: web, kind: http, http: { path: /x }, targets_from: { files: [\"" +
      (dir / "*.json").string() + "\"], max_targets: 1 } }\n";
  auto loaded =
      std::make_shared<const config::Config>(config::LoadString(probe, "d.yaml", kinds.Kinds()));
  common::MetricsRegistry registry;
  Discovery discovery;
  discovery.Attach(registry);
  discovery.Expand(loaded, false);
  std::string text = Text(registry);
  EXPECT_THAT(text, HasSubstr("reznet_perf_discovery_targets{probe=\"web\"} 1"));
  EXPECT_THAT(text, HasSubstr("reznet_perf_discovery_skipped_targets{probe=\"web\","
                              "reason=\"over_limit\"} 2"));
  EXPECT_THAT(text, HasSubstr("reznet_perf_discovery_errors_total{probe=\"web\"} 1"));
  // The template gone from the config: its series go.
  discovery.Expand(std::make_shared<const config::Config>(
                       config::LoadString("probes: []\n", "d.yaml", kinds.Kinds())),
                   false);
  text = Text(registry);
  EXPECT_THAT(text, Not(HasSubstr("probe=\"web\"")));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace reznet::daemon
