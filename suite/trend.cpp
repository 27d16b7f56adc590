#include "suite/trend.hpp"

#include <algorithm>
#include <boost/json.hpp>

#include "common/escape.hpp"
#include "common/json.hpp"
#include "suite/compare.hpp"
#include "suite/report.hpp"

namespace reznet::suite {
namespace json = boost::json;

common::Result<std::vector<RunRecord>> FinishedRuns(const RunLister& list,
                                                    const std::string& profile, std::size_t count) {
  constexpr std::size_t kPage = 100, kMaxPages = 50;
  std::vector<RunRecord> out;
  for (std::size_t page = 0; page < kMaxPages && out.size() < count; ++page) {
    auto listed = list(page * kPage, kPage);
    if (!listed) return std::unexpected(listed.error());
    auto& runs = *listed;
    for (auto& r : runs) {
      if (out.size() >= count) break;
      if (r.finished() && (profile.empty() || r.profile == profile)) out.push_back(std::move(r));
    }
    if (runs.size() < kPage) break;
  }
  return out;
}

Trend BuildTrend(const std::vector<RunRecord>& newest_first, std::vector<std::string> nfrs,
                 std::size_t last, const stats::Criteria& criteria) {
  Trend t;
  if (nfrs.empty()) {
    for (const auto& r : newest_first) {
      for (const auto& v : r.nfrs) {
        if (std::find(nfrs.begin(), nfrs.end(), v.nfr) == nfrs.end()) nfrs.push_back(v.nfr);
      }
    }
  }
  t.nfrs = nfrs;
  const std::size_t shown = std::min(last, newest_first.size());
  for (std::size_t i = shown; i-- > 0;) {
    const RunRecord& run = newest_first[i];
    TrendRow row;
    auto commit = run.labels.find("commit");
    row.label = commit != run.labels.end() && !commit->second.empty() ? commit->second : run.id;
    row.id = run.id;
    row.state = run.state;
    row.started_at = run.started_at;
    for (const auto& name : nfrs) {
      TrendCell cell;
      if (const NfrVerdict* v = run.Nfr(name)) {
        cell.value = v->value;
        cell.latency = v->latency;
        cell.failed = v->verdict == Verdict::kFailed;
        // The previous (older) run that measured this NFR.
        for (std::size_t j = i + 1; j < newest_first.size() && cell.value; ++j) {
          if (auto c = CompareNfr(run, newest_first[j], name, criteria, false)) {
            cell.worse = c->verdict == RowVerdict::kRegressed || c->status == RowStatus::kWorse;
            cell.p_value = c->p_value;
            break;
          }
        }
      }
      row.cells.push_back(cell);
    }
    t.rows.push_back(std::move(row));
  }
  return t;
}

std::vector<std::string> ProfileNfrs(const config::Config& config, const std::string& profile) {
  if (profile.empty()) return {};
  const auto profiles = config::ResolveProfiles(config);
  auto it = profiles.find(profile);
  return it == profiles.end() ? std::vector<std::string>{} : it->second.nfrs;
}

common::Result<Trend> TrendOf(const config::Config& config, const RunLister& list,
                              const std::string& profile, std::vector<std::string> nfrs,
                              std::size_t last) {
  if (nfrs.empty()) nfrs = ProfileNfrs(config, profile);
  const auto runs = FinishedRuns(list, profile, last + 1);
  if (!runs) return std::unexpected(runs.error());
  Trend trend = BuildTrend(*runs, std::move(nfrs), last,
                           {config.history.significance, config.history.tolerance});
  trend.profile = profile;
  return trend;
}

std::string TrendCellText(const TrendCell& c) {
  std::string s = c.value ? FormatValue(*c.value, c.latency) : "–";
  if (c.worse) s += " ⚠";
  if (c.failed) s += " ❌";
  return s;
}

std::string TrendMarkdown(const Trend& t) {
  std::string md = "| Commit |";
  for (const auto& n : t.nfrs) md += " " + common::MarkdownText(n) + " |";
  md += "\n|---|";
  for (std::size_t i = 0; i < t.nfrs.size(); ++i) md += "---:|";
  md += "\n";
  for (const auto& r : t.rows) {
    md += "| " + common::MarkdownCode(r.label) + " |";
    for (const auto& c : r.cells) md += " " + TrendCellText(c) + " |";
    md += "\n";
  }
  if (t.rows.empty()) md += "\nNo finished run yet.\n";
  return md;
}

std::string TrendCsv(const Trend& t) {
  // Names, labels and ids are free text: every text field through CsvField (RFC 4180 quoting,
  // formula neutralising); numbers and flags are ours.
  using common::CsvField;
  std::string csv = "commit,run,state,started_at";
  for (const auto& n : t.nfrs) csv += "," + CsvField(n) + "," + CsvField(n + "_flags");
  csv += "\n";
  for (const auto& r : t.rows) {
    csv += CsvField(r.label) + "," + CsvField(r.id) + "," +
           CsvField(std::string(ToString(r.state))) + "," + common::JsonNumber(r.started_at);
    for (const auto& c : r.cells) {
      std::string flags = c.worse ? "worse" : "";
      if (c.failed) flags += flags.empty() ? "failed" : " failed";
      csv += "," + (c.value ? common::JsonNumber(*c.value) : "") + "," + flags;
    }
    csv += "\n";
  }
  return csv;
}

std::string TrendJson(const Trend& t) {
  json::array rows;
  for (const auto& r : t.rows) {
    json::array cells;
    for (std::size_t i = 0; i < r.cells.size(); ++i) {
      const TrendCell& c = r.cells[i];
      cells.push_back(
          json::object{{"nfr", t.nfrs[i]},
                       {"value", c.value ? json::value(*c.value) : json::value(nullptr)},
                       {"unit", c.latency ? "seconds" : "ratio"},
                       {"text", TrendCellText(c)},
                       {"worse", c.worse},
                       {"failed", c.failed},
                       {"p_value", c.p_value ? json::value(*c.p_value) : json::value(nullptr)}});
    }
    rows.push_back(json::object{{"label", r.label},
                                {"id", r.id},
                                {"state", ToString(r.state)},
                                {"started_at", r.started_at},
                                {"cells", std::move(cells)}});
  }
  return common::WriteJson(json::object{{"profile", t.profile},
                                        {"nfrs", json::array(t.nfrs.begin(), t.nfrs.end())},
                                        {"rows", std::move(rows)}},
                           common::JsonStyle::kPretty);
}

}  // namespace reznet::suite
