#include "suite/report.hpp"

#include <cstdio>

#include "common/format.hpp"
#include "common/time.hpp"
#include "probes/outcome.hpp"

namespace reznet::suite {
namespace {

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
  }
  return "–";
}

// Markdown table cells must not break the table.
std::string Cell(std::string s) {
  std::string out;
  for (char c : s) {
    if (c == '|')
      out += "\\|";
    else if (c == '\n' || c == '\r')
      out += ' ';
    else
      out += c;
  }
  return out;
}

std::string XmlEscapeImpl(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        // XML 1.0 forbids most control characters even escaped.
        if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
          out += ' ';
        else
          out += static_cast<char>(c);
    }
  }
  return out;
}

std::string Promise(const NfrVerdict& v) {
  std::string what = v.probe + (v.phase.empty() ? "" : " " + v.phase) + " " + v.stat;
  return what + " " + v.op + " " + FormatValue(v.threshold, v.latency);
}

std::string Duration(const RunRecord& r) {
  return r.finished_at > 0 ? Fmt("%.1f s", r.finished_at - r.started_at) : "running";
}

}  // namespace

std::string XmlEscape(const std::string& s) { return XmlEscapeImpl(s); }

std::string FormatValue(double value, bool latency) {
  return latency ? common::FormatSeconds(value) : Fmt("%.1f %%", value * 100);
}

std::string FormatTime(double unix_seconds) {
  return common::FormatUtc(unix_seconds, common::kReadable);
}

std::string ToMarkdown(const RunRecord& r) {
  std::string md;
  md += "# Performance test results — " + r.profile + "\n\n";
  md += "| | |\n|---|---|\n";
  md += "| Run | `" + r.id + "` |\n";
  md += "| Result | **" + r.state + "**" + (r.error.empty() ? "" : " — " + Cell(r.error)) + " |\n";
  md += "| Started | " + FormatTime(r.started_at) + " |\n";
  md += "| Duration | " + Duration(r) + " |\n";
  md += "| NFRs | " + std::to_string(r.Count(Verdict::kPassed)) + " met, " +
        std::to_string(r.Count(Verdict::kFailed)) + " failed, " +
        std::to_string(r.Count(Verdict::kSkipped)) + " skipped |\n";
  for (const auto& [k, v] : r.labels) md += "| " + Cell(k) + " | " + Cell(v) + " |\n";
  if (!r.version.empty()) md += "| reznet-perfd | " + r.version + " |\n";

  md += "\n## NFR checklist\n\n";
  if (r.nfrs.empty()) md += "No NFR is judged by this profile.\n";
  for (const auto& v : r.nfrs) {
    md += "- " + std::string(v.verdict == Verdict::kPassed ? "[x] " : "[ ] ") + Mark(v.verdict) +
          " **" + v.nfr + "**: " + Promise(v);
    if (v.verdict == Verdict::kSkipped) {
      md += " — skipped: " + v.reason;
    } else if (v.value) {
      md += " — measured " + FormatValue(*v.value, v.latency) + " over " +
            std::to_string(v.samples) + " samples";
      if (v.verdict == Verdict::kFailed) md += " — **FAILED**";
    } else {
      md += " — **FAILED**: " + v.reason;
    }
    md += "\n";
  }

  md += "\n## Results per probe\n";
  for (const auto& p : r.probes) {
    md += "\n### " + p.name + " (" + p.kind + ")\n\n";
    if (p.skipped) {
      md += "Skipped: " + p.skip_reason + "\n";
      continue;
    }
    md += std::to_string(p.runs) + " of " + std::to_string(p.planned) + " runs, " +
          std::to_string(p.failures) + " failed, " + FormatValue(p.seconds, true) + ".\n\n";
    if (!p.phases.empty()) {
      md += "| phase | samples | min | p50 | p90 | p95 | p99 | max | mean |\n";
      md += "|---|---:|---:|---:|---:|---:|---:|---:|---:|\n";
      for (const auto& s : p.phases) {
        md += "| " + s.name + " | " + std::to_string(s.count) + " | " + FormatValue(s.min, true) +
              " | " + FormatValue(s.p50, true) + " | " + FormatValue(s.p90, true) + " | " +
              FormatValue(s.p95, true) + " | " + FormatValue(s.p99, true) + " | " +
              FormatValue(s.max, true) + " | " + FormatValue(s.mean, true) + " |\n";
      }
    }
    if (!p.counters.empty()) {
      md += "\n| counter | mean |\n|---|---:|\n";
      for (const auto& [k, v] : p.counters) md += "| " + k + " | " + Fmt("%.4g", v) + " |\n";
    }
    if (!p.errors.empty()) {
      md += "\nErrors:";
      for (const auto& [k, n] : p.errors) md += " " + k + " ×" + std::to_string(n);
      md += ". Last: " + Cell(p.last_error) + "\n";
    }
  }

  md += "\n## Comparison with the baseline\n\n";
  if (r.baseline_id.empty()) {
    md += "No baseline set (`reznet-perfd baseline set RUN_ID`).\n";
  } else if (r.baseline.empty()) {
    md += "Baseline `" + r.baseline_id + "` has no NFR value in common with this run.\n";
  } else {
    md += "Baseline run `" + r.baseline_id + "`; ⚠ marks a change worse than " +
          Fmt("%.0f", r.tolerance * 100) + " %, ✗ an NFR that fails.\n\n";
    md += "| NFR | baseline | this run | change | |\n|---|---:|---:|---:|---|\n";
    for (const auto& b : r.baseline) {
      const char* flag = b.status == "violated" ? "✗" : b.status == "worse" ? "⚠" : "✓";
      md += "| " + b.nfr + " | " + FormatValue(b.baseline, b.latency) + " | " +
            FormatValue(b.value, b.latency) + " | " + Fmt("%+.1f %%", b.change_pct) + " | " + flag +
            " |\n";
    }
  }
  return md;
}

std::string ToJUnit(const RunRecord& r) {
  const double seconds = r.finished_at > 0 ? r.finished_at - r.started_at : 0;
  std::string x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  const std::size_t tests = r.nfrs.size() + (r.state == "error" ? 1 : 0);
  const std::string counts = " tests=\"" + std::to_string(tests) + "\" failures=\"" +
                             std::to_string(r.Count(Verdict::kFailed)) + "\" errors=\"" +
                             (r.state == "error" ? "1" : "0") + "\" skipped=\"" +
                             std::to_string(r.Count(Verdict::kSkipped)) + "\" time=\"" +
                             Fmt("%.3f", seconds) + "\"";
  x += "<testsuites name=\"reznet-perfd\"" + counts + ">\n";
  x += "  <testsuite name=\"reznet-perfd." + XmlEscape(r.profile) + "\"" + counts +
       " timestamp=\"" + XmlEscape(FormatTime(r.started_at)) + "\" id=\"" + XmlEscape(r.id) +
       "\">\n";
  x += "    <properties>\n";
  x += "      <property name=\"run_id\" value=\"" + XmlEscape(r.id) + "\"/>\n";
  for (const auto& [k, v] : r.labels)
    x += "      <property name=\"" + XmlEscape(k) + "\" value=\"" + XmlEscape(v) + "\"/>\n";
  x += "    </properties>\n";
  for (const auto& v : r.nfrs) {
    x += "    <testcase classname=\"nfr." + XmlEscape(v.probe) + "\" name=\"" + XmlEscape(v.nfr) +
         "\">\n";
    const std::string measured = v.value ? "measured " + FormatValue(*v.value, v.latency) +
                                               " over " + std::to_string(v.samples) + " samples"
                                         : "no value";
    if (v.verdict == Verdict::kFailed) {
      x += "      <failure message=\"" +
           XmlEscape(v.nfr + ": " + (v.reason.empty() ? measured : v.reason)) + "\" type=\"nfr\">" +
           XmlEscape(Promise(v) + "; " + measured) + "</failure>\n";
    } else if (v.verdict == Verdict::kSkipped) {
      x += "      <skipped message=\"" + XmlEscape(v.reason) + "\"/>\n";
    } else {
      x += "      <system-out>" + XmlEscape(Promise(v) + "; " + measured) + "</system-out>\n";
    }
    x += "    </testcase>\n";
  }
  if (r.state == "error") {
    x += "    <testcase classname=\"suite\" name=\"run\">\n      <error message=\"" +
         XmlEscape(r.error) + "\"/>\n    </testcase>\n";
  }
  x += "  </testsuite>\n</testsuites>\n";
  return x;
}

}  // namespace reznet::suite
