#include "suite/report.hpp"

#include <cstdio>

#include "common/escape.hpp"
#include "common/format.hpp"
#include "common/time.hpp"
#include "probes/outcome.hpp"

namespace reznet::suite {
namespace {

// Everything users wrote (labels, names, errors) goes through these; see common/escape.hpp.
using common::MarkdownCode;
using common::XmlEscape;
std::string Md(std::string_view s) { return common::MarkdownText(s); }

std::string Fmt(const char* format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

const char* Mark(Verdict v) {
  switch (v) {
    case Verdict::kPassed:
      return "✓";
    case Verdict::kFailed:
      return "✗";
    case Verdict::kSkipped:
      return "–";
    case Verdict::kInconclusive:
      return "?";
  }
  return "–";
}

// "12.3 ms (95 % interval 10.1 ms … 14.2 ms)"; an open side is ∞.
std::string Measured(const NfrVerdict& v) {
  std::string out = FormatValue(*v.value, v.latency);
  if (v.interval) {
    const auto side = [&](const std::optional<double>& x, const char* open) {
      return x ? FormatValue(*x, v.latency) : std::string(open);
    };
    out += " (95 % interval " + side(v.interval->low, "-∞") + " … " + side(v.interval->high, "∞") +
           ")";
  }
  return out;
}

std::string Promise(const NfrVerdict& v) {
  std::string what = v.probe + (v.phase.empty() ? "" : " " + v.phase) + " " + v.stat;
  return what + " " + v.op + " " + FormatValue(v.threshold, v.latency);
}

// The promise in Markdown: the names escaped; a comparison of the config's (<, <=, >, >=) shown
// as written, since `<` before a space or `=` starts no HTML tag.
std::string MdPromise(const NfrVerdict& v) {
  const bool plain_op = v.op == "<" || v.op == "<=" || v.op == ">" || v.op == ">=";
  return Md(v.probe) + (v.phase.empty() ? "" : " " + Md(v.phase)) + " " + Md(v.stat) + " " +
         (plain_op ? v.op : Md(v.op)) + " " + FormatValue(v.threshold, v.latency);
}

std::string Duration(const RunRecord& r) {
  return r.finished_at > 0 ? Fmt("%.1f s", r.finished_at - r.started_at) : "running";
}

std::string Pct(const std::optional<double>& v) { return v ? Fmt("%+.1f %%", *v) : "–"; }

std::string Interval(const ComparisonRow& b) {
  if (!b.ci_low_pct || !b.ci_high_pct) return "–";
  return Fmt("%+.1f", *b.ci_low_pct) + " … " + Fmt("%+.1f %%", *b.ci_high_pct);
}

std::string PValue(const ComparisonRow& b) {
  if (!b.p_value) return "–";
  return *b.p_value < 0.0001 ? "<0.0001" : Fmt("%.4f", *b.p_value);
}

const char* Flag(const ComparisonRow& b) {
  return b.status == RowStatus::kViolated ? "✗" : b.status == RowStatus::kWorse ? "⚠" : "✓";
}

std::string Samples(const ComparisonRow& b) {
  if (b.verdict == RowVerdict::kNone) return "–";
  return std::to_string(b.samples_before) + " / " + std::to_string(b.samples_run);
}

}  // namespace

std::string ComparisonMarkdown(const std::string& compared_with, double significance,
                               double tolerance, const std::vector<ComparisonRow>& nfrs,
                               const std::vector<ComparisonRow>& phases) {
  std::string md =
      "Compared with run " + MarkdownCode(compared_with) + ". ⚠ *regressed*: a rank test " +
      "(Mann–Whitney) finds the samples significantly worse (p < " + Fmt("%g", significance) +
      ") and the statistic is worse by more than " + Fmt("%.0f", tolerance * 100) +
      " %; ✗ the NFR fails. Intervals: 95 % bootstrap of the change; fewer than 8 "
      "samples a side: *too few samples*.\n\n";
  if (!nfrs.empty()) {
    md +=
        "| NFR | stat | baseline | this run | change | 95 % interval | p | samples | verdict | "
        "|\n|---|---|---:|---:|---:|---|---:|---:|---|---|\n";
    for (const auto& b : nfrs) {
      md += "| " + Md(b.nfr) + " | " + (b.stat.empty() ? "–" : Md(b.stat)) + " | " +
            FormatValue(b.before, b.latency) + " | " + FormatValue(b.value, b.latency) + " | " +
            Pct(b.change_pct) + " | " + Interval(b) + " | " + PValue(b) + " | " + Samples(b) +
            " | " + (b.verdict == RowVerdict::kNone ? "–" : Md(ToString(b.verdict))) + " | " +
            Flag(b) + " |\n";
    }
  }
  if (!phases.empty()) {
    md +=
        "\nPer probe phase (median, p50):\n\n| probe | phase | baseline | this run | change | "
        "95 % interval | p | samples | verdict | |\n"
        "|---|---|---:|---:|---:|---|---:|---:|---|---|\n";
    for (const auto& b : phases) {
      md += "| " + Md(b.probe) + " | " + Md(b.phase) + " | " + FormatValue(b.before, true) + " | " +
            FormatValue(b.value, true) + " | " + Pct(b.change_pct) + " | " + Interval(b) + " | " +
            PValue(b) + " | " + Samples(b) + " | " + Md(ToString(b.verdict)) + " | " + Flag(b) +
            " |\n";
    }
  }
  return md;
}

std::string FormatValue(double value, bool latency) {
  return latency ? common::FormatSeconds(value) : Fmt("%.1f %%", value * 100);
}

std::string FormatTime(double unix_seconds) {
  return common::FormatUtc(unix_seconds, common::kReadable);
}

namespace {

// One probe's part of "Results per probe": runs, the phases' statistics, counters, errors.
std::string ProbeMarkdown(const ProbeResult& p) {
  std::string md;
  md += "\n### " + Md(p.name) + " (" + Md(p.kind) + ")\n\n";
  if (p.skipped) {
    md += "Skipped: " + Md(p.skip_reason) + "\n";
    return md;
  }
  if (p.runs > p.planned) {
    md += std::to_string(p.runs) + " runs (" + std::to_string(p.planned) +
          " planned, the rest until its verdicts were conclusive or its max_samples or "
          "max_time), " +
          std::to_string(p.failures) + " failed, " + FormatValue(p.seconds, true) + ".";
  } else {
    md += std::to_string(p.runs) + " of " + std::to_string(p.planned) + " runs, " +
          std::to_string(p.failures) + " failed, " + FormatValue(p.seconds, true) + ".";
  }
  md += "\n\n";
  if (!p.phases.empty()) {
    md += "| phase | samples | min | p50 | p90 | p95 | p99 | max | mean |\n";
    md += "|---|---:|---:|---:|---:|---:|---:|---:|---:|\n";
    for (const auto& s : p.phases) {
      md += "| " + Md(s.name) + " | " + std::to_string(s.count) + " | " + FormatValue(s.min, true) +
            " | " + FormatValue(s.p50, true) + " | " + FormatValue(s.p90, true) + " | " +
            FormatValue(s.p95, true) + " | " + FormatValue(s.p99, true) + " | " +
            FormatValue(s.max, true) + " | " + FormatValue(s.mean, true) + " |\n";
    }
  }
  if (!p.counters.empty()) {
    md += "\n| counter | mean |\n|---|---:|\n";
    for (const auto& [k, v] : p.counters) md += "| " + Md(k) + " | " + Fmt("%.4g", v) + " |\n";
  }
  if (!p.errors.empty()) {
    md += "\nErrors:";
    for (const auto& [k, n] : p.errors) md += " " + Md(k) + " ×" + std::to_string(n);
    md += ". Last: " + Md(p.last_error) + "\n";
  }
  return md;
}

}  // namespace

std::string ToMarkdown(const RunRecord& r) {
  std::string md;
  md += "# Performance test results — " + Md(r.profile) + "\n\n";
  md += "| | |\n|---|---|\n";
  md += "| Run | " + MarkdownCode(r.id) + " |\n";
  md += "| Result | **" + Md(ToString(r.state)) + "**" +
        (r.error.empty() ? "" : " — " + Md(r.error)) + " |\n";
  md += "| Started | " + FormatTime(r.started_at) + " |\n";
  md += "| Duration | " + Duration(r) + " |\n";
  md += "| NFRs | " + std::to_string(r.Count(Verdict::kPassed)) + " met, " +
        std::to_string(r.Count(Verdict::kFailed)) + " failed, " +
        std::to_string(r.Count(Verdict::kInconclusive)) +
        " inconclusive (on_inconclusive: " + (r.inconclusive_fails ? "fail" : "pass") + "), " +
        std::to_string(r.Count(Verdict::kSkipped)) + " skipped |\n";
  if (r.cpu_pressure) {
    md += "| CPU pressure | " + Fmt("%.0f %%", *r.cpu_pressure * 100) +
          " of the run some task waited for a CPU" +
          (*r.cpu_pressure > 0.5 ? " — **a busy machine: the verdicts are suspect**" : "") + " |\n";
  }
  for (const auto& [k, v] : r.labels) md += "| " + Md(k) + " | " + Md(v) + " |\n";
  if (!r.version.empty()) md += "| reznet-perfd | " + Md(r.version) + " |\n";

  md += "\n## NFR checklist\n\n";
  if (r.nfrs.empty()) md += "No NFR is judged by this profile.\n";
  for (const auto& v : r.nfrs) {
    md += "- " + std::string(v.verdict == Verdict::kPassed ? "[x] " : "[ ] ") + Mark(v.verdict) +
          " **" + Md(v.nfr) + "**: " + MdPromise(v);
    if (v.verdict == Verdict::kSkipped) {
      md += " — skipped: " + Md(v.reason);
    } else if (v.value) {
      md += " — measured " + Measured(v) + " over " + std::to_string(v.samples) + " samples";
      if (v.verdict == Verdict::kFailed) md += " — **FAILED**";
      if (v.verdict == Verdict::kInconclusive) md += " — *inconclusive*: " + Md(v.reason);
    } else {
      md += " — **FAILED**: " + Md(v.reason);
    }
    md += "\n";
  }

  md += "\n## Results per probe\n";
  for (const auto& p : r.probes) md += ProbeMarkdown(p);

  md += "\n## Comparison with the baseline\n\n";
  if (r.compared_with.empty()) {
    md += "No baseline set (`reznet-perfd baseline set RUN_ID`).\n";
  } else if (r.comparison.empty() && r.phase_comparison.empty()) {
    md += "Baseline " + MarkdownCode(r.compared_with) +
          " has no NFR value in common with this run.\n";
  } else {
    md += ComparisonMarkdown(r.compared_with, r.significance, r.tolerance, r.comparison,
                             r.phase_comparison);
  }
  return md;
}

std::string ResultsDocument(const RunRecord& run, const std::string& trend_markdown,
                            const std::vector<std::pair<std::string, std::string>>& environment) {
  std::string md = ToMarkdown(run);
  md += "\n## Trend of the last runs\n\n";
  md += "One row per finished " + MarkdownCode(run.profile) +
        " run, oldest first; ⚠ significantly worse than the run before, ❌ the NFR failed.\n\n";
  md += trend_markdown;
  md += "\n## Environment\n\n| | |\n|---|---|\n";
  for (const auto& [k, v] : environment) md += "| " + Md(k) + " | " + Md(v) + " |\n";
  return md;
}

std::string ToJUnit(const RunRecord& r) {
  const double seconds = r.finished_at > 0 ? r.finished_at - r.started_at : 0;
  std::string x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  const std::size_t tests = r.nfrs.size() + (r.state == RunState::kError ? 1 : 0);
  const std::string counts =
      " tests=\"" + std::to_string(tests) + "\" failures=\"" +
      std::to_string(r.Count(Verdict::kFailed) +
                     (r.inconclusive_fails ? r.Count(Verdict::kInconclusive) : 0)) +
      "\" errors=\"" + (r.state == RunState::kError ? "1" : "0") + "\" skipped=\"" +
      std::to_string(r.Count(Verdict::kSkipped)) + "\" time=\"" + Fmt("%.3f", seconds) + "\"";
  x += "<testsuites name=\"reznet-perfd\"" + counts + ">\n";
  x += "  <testsuite name=\"reznet-perfd." + XmlEscape(r.profile) + "\"" + counts +
       " timestamp=\"" + XmlEscape(FormatTime(r.started_at)) + "\" id=\"" + XmlEscape(r.id) +
       "\">\n";
  x += "    <properties>\n";
  x += "      <property name=\"run_id\" value=\"" + XmlEscape(r.id) + "\"/>\n";
  if (r.cpu_pressure)
    x += "      <property name=\"cpu_pressure\" value=\"" + Fmt("%.3f", *r.cpu_pressure) + "\"/>\n";
  for (const auto& [k, v] : r.labels)
    x += "      <property name=\"" + XmlEscape(k) + "\" value=\"" + XmlEscape(v) + "\"/>\n";
  x += "    </properties>\n";
  for (const auto& v : r.nfrs) {
    x += "    <testcase classname=\"nfr." + XmlEscape(v.probe) + "\" name=\"" + XmlEscape(v.nfr) +
         "\">\n";
    const std::string measured =
        v.value ? "measured " + Measured(v) + " over " + std::to_string(v.samples) + " samples"
                : "no value";
    const bool failed = v.verdict == Verdict::kFailed ||
                        (v.verdict == Verdict::kInconclusive && r.inconclusive_fails);
    if (failed) {
      x += "      <failure message=\"" +
           XmlEscape(v.nfr + ": " + (v.reason.empty() ? measured : v.reason)) + "\" type=\"nfr\">" +
           XmlEscape(Promise(v) + "; " + measured) + "</failure>\n";
    } else if (v.verdict == Verdict::kSkipped) {
      x += "      <skipped message=\"" + XmlEscape(v.reason) + "\"/>\n";
    } else {
      x += "      <system-out>" + XmlEscape(Promise(v) + "; " + measured) + "</system-out>\n";
      if (v.verdict == Verdict::kInconclusive)
        x += "      <system-err>" + XmlEscape("warning: inconclusive: " + v.reason) +
             "</system-err>\n";
    }
    x += "    </testcase>\n";
  }
  if (r.state == RunState::kError) {
    x += "    <testcase classname=\"suite\" name=\"run\">\n      <error message=\"" +
         XmlEscape(r.error) + "\"/>\n    </testcase>\n";
  }
  x += "  </testsuite>\n</testsuites>\n";
  return x;
}

}  // namespace reznet::suite
