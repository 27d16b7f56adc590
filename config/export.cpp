#include "config/export.hpp"

#include <algorithm>
#include <map>

#include "common/format.hpp"
#include "config/config.hpp"
#include "config/reader.hpp"

namespace reznet::config {
namespace {

using namespace std::chrono_literals;

constexpr NfrStat kLatencyStats[] = {NfrStat::kP50, NfrStat::kP90,  NfrStat::kP95,
                                     NfrStat::kP99, NfrStat::kMean, NfrStat::kMax};

bool IsLatency(NfrStat s) { return s != NfrStat::kErrorRate && s != NfrStat::kRatio; }

// Keeps the order of `all` and drops duplicates.
template <typename T>
std::vector<T> InOrder(const std::vector<T>& all, const std::vector<T>& chosen) {
  std::vector<T> out;
  for (const auto& x : all) {
    if (std::find(chosen.begin(), chosen.end(), x) != chosen.end()) out.push_back(x);
  }
  return out;
}

std::vector<Duration> ReadWindows(MapReader& r, const std::vector<Duration>& windows) {
  std::vector<Duration> chosen;
  const YAML::Node list = r.Node("windows");
  if (!IsSequence(list, r.PathOf("windows"), r.diag())) return chosen;
  std::vector<std::string> known;
  for (auto w : windows) known.push_back(FormatDuration(w));
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string path = r.PathOf("windows") + "[" + std::to_string(i) + "]";
    auto text = r.Scalar(list[i], path);
    if (!text) continue;
    auto d = ParseDuration(*text);
    if (!d) {
      r.diag().Error(list[i].Mark(), path, d.error().detail);
    } else if (std::find(windows.begin(), windows.end(), *d) == windows.end()) {
      r.diag().Error(
          list[i].Mark(), path,
          FormatDuration(*d) + " is not one of daemon.windows (" + common::Join(known, ", ") + ")");
    } else {
      chosen.push_back(*d);
    }
  }
  return InOrder(windows, chosen);
}

std::vector<NfrStat> ReadStats(MapReader& r) {
  std::vector<NfrStat> chosen;
  const YAML::Node list = r.Node("stats");
  if (!IsSequence(list, r.PathOf("stats"), r.diag())) return chosen;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string path = r.PathOf("stats") + "[" + std::to_string(i) + "]";
    auto text = r.Scalar(list[i], path);
    if (!text) continue;
    auto it = std::find_if(std::begin(kLatencyStats), std::end(kLatencyStats),
                           [&](NfrStat s) { return *text == StatName(s); });
    if (it == std::end(kLatencyStats)) {
      r.diag().Error(list[i].Mark(), path,
                     "\"" + *text +
                         "\" is not a window statistic; write p50, p90, p95, p99, "
                         "mean or max");
    } else {
      chosen.push_back(*it);
    }
  }
  return InOrder(std::vector<NfrStat>(std::begin(kLatencyStats), std::end(kLatencyStats)), chosen);
}

}  // namespace

const char* StatName(NfrStat stat) {
  switch (stat) {
    case NfrStat::kP50:
      return "p50";
    case NfrStat::kP90:
      return "p90";
    case NfrStat::kP95:
      return "p95";
    case NfrStat::kP99:
      return "p99";
    case NfrStat::kMean:
      return "mean";
    case NfrStat::kMax:
      return "max";
    case NfrStat::kErrorRate:
      return "error_rate";
    case NfrStat::kRatio:
      return "ratio";
  }
  return "";
}

ExportBudget DefaultExportBudget(const std::vector<Duration>& windows) {
  ExportBudget b;
  // 5m is the window the shipped dashboard and rules read; without it the shortest stands in.
  if (std::find(windows.begin(), windows.end(), Duration(5min)) != windows.end()) {
    b.windows = {5min};
  } else if (!windows.empty()) {
    b.windows = {*std::min_element(windows.begin(), windows.end())};
  }
  b.stats = {NfrStat::kP50, NfrStat::kP95, NfrStat::kP99};
  return b;
}

ExportBudget ParseExportBudget(MapReader r, const std::vector<Duration>& windows,
                               const ExportBudget& base) {
  ExportBudget b = base;
  r.Known("windows");  // `windows:` left empty (null) keeps the base
  r.Known("stats");
  if (r.Has("windows")) b.windows = ReadWindows(r, windows);
  if (r.Has("stats")) b.stats = ReadStats(r);
  r.Finish();
  return b;
}

void AddNfrExports(Config& cfg) {
  for (const auto& rule : cfg.nfrs) {
    // A burn-rate rule reads its own counters (reznet_perf_nfr_slo_*), not window gauges.
    if (!IsLatency(rule.stat) || rule.burn_rate()) continue;
    auto it = cfg.probe_index.find(rule.probe);
    if (it == cfg.probe_index.end() || it->second >= cfg.probes.size()) continue;
    ExportBudget& b = cfg.probes[it->second].exported;
    b.windows.push_back(rule.window);
    b.stats.push_back(rule.stat);
    b.windows = InOrder(cfg.daemon.windows, b.windows);
    b.stats =
        InOrder(std::vector<NfrStat>(std::begin(kLatencyStats), std::end(kLatencyStats)), b.stats);
  }
}

}  // namespace reznet::config
