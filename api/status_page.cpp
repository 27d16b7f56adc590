#include "api/status_page.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>

#include "common/clock.hpp"
#include "common/escape.hpp"
#include "common/format.hpp"
#include "common/time.hpp"
#include "probes/outcome.hpp"
#include "suite/report.hpp"

namespace reznet::api {
namespace {

// Everything users wrote goes through HtmlEscape (text and attribute values alike), and through
// UrlEncode first when it is part of a link. The page has no script and no inline JSON.
using common::HtmlEscape;
using common::UrlEncode;

std::string Fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

std::string Seconds(double s) { return common::FormatSeconds(s); }

std::string Value(double v, bool latency) { return suite::FormatValue(v, latency); }

std::string Span(double d) {
  if (d < 90) return Fmt("%.0f s", d);
  if (d < 5400) return Fmt("%.0f min", d / 60);
  if (d < 172800) return Fmt("%.1f h", d / 3600);
  return Fmt("%.1f days", d / 86400);
}

std::string Ago(double now, double then) {
  if (then <= 0) return "never";
  return Span(std::max(0.0, now - then)) + " ago";
}

std::string In(double now, double then) {
  if (then <= 0) return "on demand";
  const double d = then - now;
  if (d <= 0) return "now";
  if (d < 90) return Fmt("in %.0f s", d);
  return Fmt("in %.0f min", d / 60);
}

std::string TimeOfDay(double unix) { return common::FormatUtc(unix, common::kClock); }

// The smallest 1, 2 or 5 × 10^k at or above `v` (> 0): the top of a chart's y-axis, so that its
// ticks (0, half, top) read as round values.
double NiceCeiling(double v) {
  const double decade = std::pow(10.0, std::floor(std::log10(v)));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * decade >= v * (1 - 1e-9)) return m * decade;
  return 10 * decade;
}

// A line chart of one probe's runs: 360×100, a y-axis from 0 to a round top with three labelled
// ticks in seconds' units, gridlines, and the first and last run's time under the x-axis.
std::string Chart(const telemetry::StatusPageData::Probe& p) {
  if (p.points.size() < 2) {
    return "<svg class=\"chart\" viewBox=\"0 0 360 100\" role=\"img\" aria-label=\"no data\">"
           "<text x=\"180\" y=\"55\" text-anchor=\"middle\">not enough runs yet</text></svg>";
  }
  const double t0 = p.points.front().first, t1 = p.points.back().first;
  double ymax = 0;
  for (const auto& [t, v] : p.points) ymax = std::max(ymax, v);
  ymax = NiceCeiling(ymax > 0 ? ymax : 1e-6);
  // The plot: x from 52 to 350, y from 8 (top) to 82 (zero); labels left of it and under it.
  const double x0 = 52, w = 298, y0 = 8, h = 74;
  std::string pts;
  for (const auto& [t, v] : p.points) {
    const double x = x0 + (t1 > t0 ? (t - t0) / (t1 - t0) : 1) * w;
    const double y = y0 + h - v / ymax * h;
    pts += Fmt("%.1f", x) + "," + Fmt("%.1f", y) + " ";
  }
  std::string axes;
  for (double share : {0.0, 0.5, 1.0}) {
    const std::string y = Fmt("%.1f", y0 + h - share * h);
    axes += "<line x1=\"52\" y1=\"" + y + "\" x2=\"350\" y2=\"" + y + "\" class=\"" +
            (share == 0 ? "axis" : "grid") + "\"/><text x=\"48\" y=\"" +
            Fmt("%.1f", y0 + h - share * h + 3) + "\" text-anchor=\"end\" class=\"label\">" +
            HtmlEscape(share == 0 ? std::string("0") : Seconds(share * ymax)) + "</text>";
  }
  return "<svg class=\"chart\" viewBox=\"0 0 360 100\" role=\"img\" aria-label=\"" +
         HtmlEscape(p.name + " " + p.phase) + " latency, seconds\">" + axes +
         "<line x1=\"52\" y1=\"8\" x2=\"52\" y2=\"82\" class=\"axis\"/>"
         "<polyline fill=\"none\" class=\"line\" points=\"" +
         pts + "\"/><text x=\"52\" y=\"96\" class=\"label\">" + TimeOfDay(t0) +
         "</text><text x=\"350\" y=\"96\" text-anchor=\"end\" class=\"label\">" + TimeOfDay(t1) +
         " UTC</text></svg>";
}

const char* kStyle =
    R"(body{font:14px/1.4 system-ui,sans-serif;margin:1.5rem;color:#1d2330;background:#fafbfc}
h1{font-size:1.4rem;margin:0 0 .2rem}h2{font-size:1.1rem;margin:1.6rem 0 .5rem}
table{border-collapse:collapse;width:100%;background:#fff}td,th{padding:.35rem .6rem;border-bottom:1px solid #e3e6ea;text-align:left;vertical-align:top}
th{background:#f0f2f5;font-weight:600}.num{text-align:right;font-variant-numeric:tabular-nums}
.badge{display:inline-block;padding:.05rem .45rem;border-radius:.6rem;font-size:.8rem;font-weight:600}
.ok,.passed{background:#d7f5dd;color:#135c25}.pending{background:#fff1c2;color:#6b4d00}
.firing,.failed,.error{background:#ffd9d6;color:#8a1c12}.no_data,.skipped,.running,.queued{background:#e6e9ee;color:#3b4452}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(380px,1fr));gap:.8rem}
.card{background:#fff;border:1px solid #e3e6ea;border-radius:.4rem;padding:.6rem}
.chart{width:100%;height:110px}.chart .line{stroke:#2f6fdd;stroke-width:1.5}.chart .axis{stroke:#9aa3b0}
.chart .grid{stroke:#eceef2}.chart .label{font-size:9px;fill:#5b6472}.wide{overflow-x:auto;max-width:100%}.muted{color:#5b6472}code{font-size:.85rem}
.ci{font-size:.75rem}
.suspect{background:#fff1c2;color:#6b4d00}p.suspect{padding:.4rem .6rem;border-radius:.4rem}
nav a{margin-right:1rem})";

// One line on the prober's own health; while it is overloaded, why, and that the NFR states are
// suspect.
void Prober(const telemetry::ProberHealthSnapshot& p, std::string& h) {
  if (!p.checked) return;
  if (p.overloaded) {
    h += "<p class=\"suspect\" id=\"prober\"><strong>Prober overloaded</strong> since " +
         TimeOfDay(std::chrono::duration<double>(p.overloaded_since.time_since_epoch()).count()) +
         " UTC (" + HtmlEscape(common::Join(p.reasons, ", ")) +
         "): what it measures now, and so the NFR states below, are suspect.</p>";
    return;
  }
  std::vector<std::string> parts = {"prober ok"};
  if (p.signals.cpu_pressure)
    parts.push_back("CPU pressure " + Fmt("%.1f %%", *p.signals.cpu_pressure * 100));
  if (p.signals.self_probe)
    parts.push_back("self-probe " +
                    Seconds(std::chrono::duration<double>(*p.signals.self_probe).count()));
  if (p.signals.lateness)
    parts.push_back("scheduler lateness " +
                    Seconds(std::chrono::duration<double>(*p.signals.lateness).count()));
  // NFRs whose windows still hold samples of it stay badged suspect.
  if (p.overload_ended != common::WallTime{})
    parts.push_back(
        "last overload ended " +
        TimeOfDay(std::chrono::duration<double>(p.overload_ended.time_since_epoch()).count()) +
        " UTC");
  h += "<p class=\"muted\" id=\"prober\">" + HtmlEscape(common::Join(parts, " · ")) + "</p>";
}

// The 95 % interval under a measured value: "100 ms … 140 ms"; an open side says so: "≥ 100 ms"
// (the p99 of 20 samples has no upper bound), "≤ 140 ms".
std::string IntervalText(const stats::Interval& i, bool latency) {
  const bool low = std::isfinite(i.low), high = std::isfinite(i.high);
  if (low && high) return Value(i.low, latency) + " … " + Value(i.high, latency);
  if (low) return "≥ " + Value(i.low, latency);
  if (high) return "≤ " + Value(i.high, latency);
  return "any";
}

void NfrTable(const telemetry::StatusPageData& d, std::string& h) {
  h += "<h2>NFRs</h2><div "
       "class=\"wide\"><table><tr><th>NFR</th><th>state</th><th>measured</th><th>promise</th>"
       "<th>probe</th><th>severity</th></tr>";
  for (const auto& n : d.nfrs) {
    // A rule still gathering its samples says how far it is, not "no_data".
    const std::string state = n.collecting.empty() ? n.state : "collecting " + n.collecting;
    // Suspect while the rule's window still holds samples taken on an overloaded prober.
    const bool suspect =
        telemetry::Suspect(d.prober, n.evidence,
                           std::chrono::system_clock::time_point(
                               std::chrono::duration_cast<std::chrono::system_clock::duration>(
                                   std::chrono::duration<double>(d.now_wall))));
    std::string measured = n.value ? HtmlEscape(Value(*n.value, n.latency)) : "–";
    if (n.interval) {
      measured += "<br><span class=\"muted ci\" title=\"95 % interval\">95 %: " +
                  HtmlEscape(IntervalText(*n.interval, n.latency)) + "</span>";
    }
    h += "<tr><td>" + HtmlEscape(n.name) + "</td><td><span class=\"badge " + HtmlEscape(n.state) +
         "\">" + HtmlEscape(state) + "</span>" +
         (suspect ? " <span class=\"badge suspect\">suspect</span>" : "") +
         "</td><td class=\"num\">" + measured + "</td><td>" +
         HtmlEscape(n.stat + " " + n.op + " " +
                    (n.threshold_text.empty() ? "(baseline pending)" : n.threshold_text)) +
         "</td><td>" + HtmlEscape(n.probe) + "</td><td>" + HtmlEscape(n.severity) + "</td></tr>";
  }
  if (d.nfrs.empty())
    h += "<tr><td colspan=\"6\" class=\"muted\">no NFR rules configured</td></tr>";
  h += "</table></div>";
}

void ProbeTable(const telemetry::StatusPageData& d, std::string& h) {
  h += "<h2>Probes</h2><div class=\"wide\"><table><tr><th>probe</th><th>kind</th><th>last "
       "result</th><th>last run</th>"
       "<th>next run</th></tr>";
  for (const auto& p : d.probes) {
    std::string result;
    if (!p.ran) {
      result = "<span class=\"badge no_data\">not run yet</span>";
    } else if (p.skipped) {
      result = "<span class=\"badge skipped\">skipped</span> " + HtmlEscape(p.skip_reason);
    } else if (p.ok) {
      result = "<span class=\"badge ok\">ok</span>";
    } else {
      result = "<span class=\"badge failed\">" + HtmlEscape(p.error_kind) + "</span> " +
               HtmlEscape(p.error_detail);
    }
    h += "<tr><td>" + HtmlEscape(p.name) + "</td><td>" + HtmlEscape(p.kind) + "</td><td>" + result +
         "</td><td>" + HtmlEscape(Ago(d.now_wall, p.last_wall)) + "</td><td>" +
         HtmlEscape(In(d.now_wall, p.next_wall)) + "</td></tr>";
  }
  h += "</table></div>";
}

void Failures(const telemetry::StatusPageData& d, std::string& h) {
  h += "<h2>Recent failures</h2>";
  if (d.failures.empty()) {
    h += "<p class=\"muted\">none since start</p>";
  } else {
    h += "<div class=\"wide\"><table><tr><th>when "
         "(UTC)</th><th>probe</th><th>error</th><th>detail</th></tr>";
    for (const auto& f : d.failures) {
      h += "<tr><td>" + TimeOfDay(f.wall) + "</td><td>" + HtmlEscape(f.probe) + "</td><td>" +
           HtmlEscape(f.kind) + "</td><td><code>" + HtmlEscape(f.detail) + "</code></td></tr>";
    }
    h += "</table></div>";
  }
}

void Charts(const telemetry::StatusPageData& d, std::string& h) {
  h += "<h2>Latency per probe</h2><div class=\"grid\">";
  for (const auto& p : d.probes) {
    if (p.phase.empty()) continue;
    // The latest value beside the title, not in the plot, where it would cover the line.
    const std::string last = p.points.empty() ? "" : ", latest " + Seconds(p.points.back().second);
    h += "<div class=\"card\"><strong>" + HtmlEscape(p.name) + "</strong> <span class=\"muted\">" +
         HtmlEscape(p.phase) + ", last " + std::to_string(p.points.size()) + " runs" +
         HtmlEscape(last) + "</span>" + Chart(p) + "</div>";
  }
  h += "</div>";
}

void TrendTable(const telemetry::StatusPageData::Trend& t, std::string& h) {
  if (t.rows.empty()) return;
  h += "<h2>Trend (" + HtmlEscape(t.profile) +
       ")</h2><p class=\"muted\">⚠ significantly worse than the run before · ❌ NFR failed · "
       "<a href=\"/runs/trend?format=markdown&amp;profile=" +
       HtmlEscape(UrlEncode(t.profile)) +
       "\">more</a></p><div class=\"wide\"><table><tr><th>commit</th>";
  for (const auto& c : t.columns) h += "<th>" + HtmlEscape(c) + "</th>";
  h += "</tr>";
  for (const auto& r : t.rows) {
    h += "<tr><td><a href=\"/runs/" + HtmlEscape(UrlEncode(r.id)) + "?format=markdown\"><code>" +
         HtmlEscape(r.label) + "</code></a></td>";
    for (const auto& c : r.cells) h += "<td class=\"num\">" + HtmlEscape(c) + "</td>";
    h += "</tr>";
  }
  h += "</table></div>";
}

void Runs(const telemetry::StatusPageData& d, std::string& h) {
  h += "<h2>Suite runs</h2>";
  if (!d.runs_error.empty())
    h += "<p class=\"muted\">run history unavailable: " + HtmlEscape(d.runs_error) + "</p>";
  if (d.runs.empty() && d.runs_error.empty()) {
    h += "<p class=\"muted\">none yet — <code>POST /run-suite {\"profile\": \"quick\"}</code> or "
         "<code>reznet-perfd run</code></p>";
  } else if (!d.runs.empty()) {
    h += "<div class=\"wide\"><table><tr><th>run</th><th>profile</th><th>result</th><th>NFRs met / "
         "failed / skipped"
         "</th><th>report</th></tr>";
    for (const auto& r : d.runs) {
      const std::string href = "/runs/" + HtmlEscape(UrlEncode(r.id));
      h += "<tr><td><code>" + HtmlEscape(r.id) + "</code></td><td>" + HtmlEscape(r.profile) +
           "</td><td><span class=\"badge " + HtmlEscape(r.state) + "\">" + HtmlEscape(r.state) +
           "</span></td><td>" + std::to_string(r.passed) + " / " + std::to_string(r.failed) +
           " / " + std::to_string(r.skipped) + "</td><td><a href=\"" + href +
           "?format=markdown\">markdown</a> · <a href=\"" + href + "\">json</a> · <a href=\"" +
           href + "?format=junit\">junit</a></td></tr>";
    }
    h += "</table></div>";
  }
  TrendTable(d.trend, h);
}

}  // namespace

std::string RenderStatusPage(const telemetry::StatusPageData& d) {
  std::string h =
      "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
      "<meta http-equiv=\"refresh\" content=\"15\">"
      "<title>reznet-perfd status</title><style>";
  h += kStyle;
  h += "</style></head><body>";
  int firing = 0, pending = 0;
  for (const auto& n : d.nfrs) {
    firing += n.state == "firing";
    pending += n.state == "pending";
  }
  h += "<h1>reznet-perfd</h1><p class=\"muted\">version " + HtmlEscape(d.version) + " · up " +
       HtmlEscape(Span(std::max(0.0, d.now_wall - d.started_wall))) + " · " +
       std::to_string(d.nfrs.size()) + " NFRs, " + std::to_string(firing) + " firing, " +
       std::to_string(pending) + " pending · refreshes every 15 s</p>";
  h += "<nav><a href=\"/metrics\">/metrics</a><a href=\"/api/v1/status\">/api/v1/status</a>"
       "<a href=\"/runs?format=markdown\">suite runs</a><a href=\"/runs/baseline?format=markdown\">"
       "baseline</a><a href=\"/healthz\">/healthz</a></nav>";

  Prober(d.prober, h);
  NfrTable(d, h);
  ProbeTable(d, h);
  Failures(d, h);
  Charts(d, h);
  Runs(d, h);
  h += "</body></html>\n";
  return h;
}

}  // namespace reznet::api
