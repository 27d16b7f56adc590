// The status page from a snapshot: key texts, escaping, charts, and no external assets.
#include "api/status_page.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <limits>

#include "common/escape.hpp"

namespace reznet::api {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

telemetry::StatusPageData Sample() {
  telemetry::StatusPageData d;
  d.version = "0.1.0";
  d.now_wall = 1795769400;
  d.started_wall = d.now_wall - 3600;
  d.nfrs.push_back({"api_p95", "api", "p95(total)", "<", "firing", "page", 1.25, 1.0, true, "1s"});
  d.nfrs.push_back(
      {"cache", "c", "ratio(query_reduction)", ">", "ok", "page", 0.97, 0.6, false, "60%"});
  d.nfrs.push_back(
      {"reg", "api", "p95(total)", "<=", "no_data", "warning", std::nullopt, 0, true, ""});
  telemetry::StatusPageData::Probe p;
  p.name = "api";
  p.kind = "http";
  p.ran = true;
  p.ok = false;
  p.error_kind = "http_5xx";
  p.error_detail = "status 503 <from proxy>";
  p.last_wall = d.now_wall - 5;
  p.next_wall = d.now_wall + 10;
  p.phase = "total";
  for (int i = 0; i < 30; ++i) p.points.emplace_back(d.now_wall - 300 + i * 10, 0.01 * (i % 7 + 1));
  d.probes.push_back(p);
  telemetry::StatusPageData::Probe idle;
  idle.name = "load_flow";
  idle.kind = "load";
  d.probes.push_back(idle);
  d.failures.push_back({d.now_wall - 5, "api", "http_5xx", "status 503 <from proxy>"});
  d.runs.push_back({"20261127T090000Z-abcdef", "quick", "failed", d.now_wall - 600, 7, 1, 0});
  d.trend = {"quick",
             {"api_p95", "db_p95"},
             {{"abc123", "20261127T080000Z-000001", {"100.0 ms", "12.0 ms"}},
              {"def456", "20261127T090000Z-abcdef", {"180.0 ms ⚠", "30.0 ms ⚠ ❌"}}}};
  return d;
}

TEST(StatusPage, ShowsTheProbersHealthAndMarksNfrsSuspectWhileItIsOverloaded) {
  using namespace std::chrono_literals;
  telemetry::StatusPageData d = Sample();
  EXPECT_THAT(RenderStatusPage(d), Not(HasSubstr("id=\"prober\"")));  // not measured
  d.prober.checked = true;
  d.prober.signals = {0.031, 412us, 120us};
  std::string html = RenderStatusPage(d);
  EXPECT_THAT(html, HasSubstr("<p class=\"muted\" id=\"prober\">prober ok · CPU pressure 3.1 % · "
                              "self-probe 412 µs · scheduler lateness 120 µs</p>"));
  EXPECT_THAT(html, Not(HasSubstr("badge suspect")));
  d.prober.overloaded = true;
  d.prober.overloaded_since = std::chrono::system_clock::time_point(1795769400s - 40s);
  d.prober.reasons = {"cpu pressure 62% > 50%", "self-probe <b>"};
  html = RenderStatusPage(d);
  EXPECT_THAT(html, HasSubstr("<strong>Prober overloaded</strong> since 08:49:20 UTC (cpu pressure "
                              "62% &gt; 50%, self-probe &lt;b&gt;): what it measures now, and so "
                              "the NFR states below, are suspect."));
  EXPECT_THAT(html, HasSubstr("<span class=\"badge firing\">firing</span> <span class=\"badge "
                              "suspect\">suspect</span>"));
  // After the overload, a row stays suspect while its window still holds samples of it.
  d.prober.overloaded = false;
  d.prober.overload_ended = std::chrono::system_clock::time_point(1795769400s - 100s);
  d.nfrs[0].evidence = 5min;  // api_p95
  d.nfrs[1].evidence = 1min;  // cache
  html = RenderStatusPage(d);
  EXPECT_THAT(html, HasSubstr("prober ok · CPU pressure 3.1 % · self-probe 412 µs · scheduler "
                              "lateness 120 µs · last overload ended 08:48:20 UTC</p>"));
  EXPECT_THAT(html, HasSubstr("<span class=\"badge firing\">firing</span> <span class=\"badge "
                              "suspect\">suspect</span>"));
  EXPECT_THAT(html, HasSubstr("<span class=\"badge ok\">ok</span></td>"));
}

// A measured value shows its 95 % interval under it; an open side says which way it is open.
TEST(StatusPage, ShowsEachNfrValuesInterval) {
  telemetry::StatusPageData d = Sample();
  d.nfrs[0].interval = stats::Interval{1.1, 1.4};
  d.nfrs[1].interval = stats::Interval{0.95, std::numeric_limits<double>::infinity()};
  const std::string html = RenderStatusPage(d);
  EXPECT_THAT(html, HasSubstr("<td class=\"num\">1.25 s<br><span class=\"muted ci\" title=\"95 % "
                              "interval\">95 %: 1.10 s … 1.40 s</span></td>"));
  EXPECT_THAT(html, HasSubstr("95 %: ≥ 95.0 %</span>"));
}

TEST(StatusPage, ShowsTheLastRunsTrend) {
  const std::string html = RenderStatusPage(Sample());
  EXPECT_THAT(html, HasSubstr("<h2>Trend (quick)</h2>"));
  EXPECT_THAT(html, HasSubstr("<th>commit</th><th>api_p95</th><th>db_p95</th>"));
  EXPECT_THAT(html, HasSubstr("<code>def456</code></a></td><td class=\"num\">180.0 ms ⚠</td>"
                              "<td class=\"num\">30.0 ms ⚠ ❌</td>"));
  telemetry::StatusPageData none = Sample();
  none.trend = {};
  EXPECT_THAT(RenderStatusPage(none), Not(HasSubstr("Trend (")));
}

TEST(StatusPage, ShowsNfrsProbesFailuresChartsAndRuns) {
  const std::string html = RenderStatusPage(Sample());
  EXPECT_THAT(html, HasSubstr("<title>reznet-perfd status</title>"));
  EXPECT_THAT(html, HasSubstr("3 NFRs, 1 firing, 0 pending"));
  EXPECT_THAT(html, HasSubstr("<span class=\"badge firing\">firing</span>"));
  EXPECT_THAT(html, HasSubstr("1.25 s"));
  EXPECT_THAT(html, HasSubstr("p95(total) &lt; 1s"));
  EXPECT_THAT(html, HasSubstr("97.0 %"));
  EXPECT_THAT(html, HasSubstr("(baseline pending)"));
  EXPECT_THAT(html, HasSubstr("status 503 &lt;from proxy&gt;"));
  EXPECT_THAT(html, Not(HasSubstr("<from proxy>")));
  EXPECT_THAT(html, HasSubstr("5 s ago"));
  EXPECT_THAT(html, HasSubstr("in 10 s"));
  EXPECT_THAT(html, HasSubstr("on demand"));  // a load probe is never scheduled
  EXPECT_THAT(html, HasSubstr("<polyline fill=\"none\" class=\"line\" points=\""));
  // A y-axis from 0 to a round top above the largest value (70 ms → 100 ms), labelled in units.
  EXPECT_THAT(html, HasSubstr("text-anchor=\"end\" class=\"label\">0</text>"));
  EXPECT_THAT(html, HasSubstr("text-anchor=\"end\" class=\"label\">50.0 ms</text>"));
  EXPECT_THAT(html, HasSubstr("text-anchor=\"end\" class=\"label\">100.0 ms</text>"));
  EXPECT_THAT(html, HasSubstr("total, last 30 runs, latest 20.0 ms"));
  // Wide tables scroll inside the page.
  EXPECT_THAT(html, HasSubstr("<div class=\"wide\"><table><tr><th>commit</th>"));
  EXPECT_THAT(html, Not(HasSubstr("<h2>NFRs</h2><table>")));
  EXPECT_THAT(html, HasSubstr("href=\"/runs/20261127T090000Z-abcdef?format=markdown\""));
  EXPECT_THAT(html, HasSubstr("href=\"/metrics\""));
  // Self-contained: no scripts, no external assets.
  EXPECT_THAT(html, Not(HasSubstr("<script")));
  EXPECT_THAT(html, Not(HasSubstr("src=")));
  EXPECT_THAT(html, Not(HasSubstr("http://")));
  EXPECT_THAT(html, Not(HasSubstr("https://")));
}

TEST(StatusPage, HostileNamesLabelsAndErrorsAreShownNotRun) {
  const std::string script = "<script>alert(1)</script>";
  telemetry::StatusPageData d = Sample();
  d.probes[0].name = script;
  d.probes[0].error_detail = "x\r\n\x01\xff\xEF\xBF\xBF\"onmouseover=\"alert(2)";
  d.failures[0].detail = d.probes[0].error_detail;
  d.nfrs[0].name = script;
  d.runs[0].id = "r?format=junit#\" x=\"";
  d.runs[0].profile = script;
  d.trend.profile = "quick&format=json";
  d.trend.columns[0] = "]]><img src=x onerror=alert(3)>";
  d.trend.rows[0].label = script;
  d.trend.rows[0].id = "../../metrics";
  const std::string html = RenderStatusPage(d);
  EXPECT_THAT(html, Not(HasSubstr("<script")));
  EXPECT_THAT(html, Not(HasSubstr("<img")));
  EXPECT_THAT(html, Not(HasSubstr("\"onmouseover")));
  EXPECT_THAT(html, HasSubstr("&lt;script&gt;alert(1)&lt;/script&gt;"));
  // Valid UTF-8 without control characters: nothing a browser or a proxy could misread.
  EXPECT_EQ(common::ValidUtf8(html), html);
  EXPECT_THAT(html, Not(HasSubstr("\x01")));
  EXPECT_THAT(html, Not(HasSubstr("\xEF\xBF\xBF")));
  EXPECT_THAT(html, HasSubstr("x&#13;&#10;\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD&quot;onmouseover"));
  // Values in links are URL-encoded: they cannot add a parameter, a fragment or a path step.
  EXPECT_THAT(html,
              HasSubstr("href=\"/runs/trend?format=markdown&amp;profile=quick%26format%3Djson\""));
  EXPECT_THAT(html, HasSubstr("href=\"/runs/r%3Fformat%3Djunit%23%22%20x%3D%22?format=markdown\""));
  EXPECT_THAT(html, HasSubstr("href=\"/runs/..%2F..%2Fmetrics?format=markdown\""));
}

TEST(StatusPage, ARuleStillCollectingSaysHowFarItIs) {
  telemetry::StatusPageData d = Sample();
  d.nfrs.push_back({"warm", "api", "p95(total)", "<", "no_data", "page", std::nullopt, 1.0, true,
                    "1s", "12 of 30 samples"});
  const std::string html = RenderStatusPage(d);
  EXPECT_THAT(html, HasSubstr("<span class=\"badge no_data\">collecting 12 of 30 samples</span>"));
  EXPECT_THAT(html,
              HasSubstr("<span class=\"badge no_data\">no_data</span>"));  // "reg": none asked
}

TEST(StatusPage, EmptyDaemonStillRenders) {
  telemetry::StatusPageData d;
  d.version = "x";
  const std::string html = RenderStatusPage(d);
  EXPECT_THAT(html, HasSubstr("no NFR rules configured"));
  EXPECT_THAT(html, HasSubstr("none since start"));
  EXPECT_THAT(html, HasSubstr("POST /run-suite"));
}

}  // namespace
}  // namespace reznet::api
