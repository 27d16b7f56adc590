// Reports of a run whose labels, names and errors are hostile: every format stays well-formed
// and shows the text instead of running it (issue #24, break 10).
#include "suite/report.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <regex>
#include <sstream>

#include "common/escape.hpp"
#include "suite/test_runs.hpp"
#include "suite/trend.hpp"

namespace reznet::suite {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// What users may write in a label, a name or an error.
const std::vector<std::string> kHostile = {"<script>alert(1)</script>",
                                           "a|b",
                                           "x\r\n| injected | row |",
                                           "=cmd()",
                                           "\x01",
                                           "]]>",
                                           "\xff\xfe",
                                           "a\\|b",
                                           "`tick`",
                                           "\xEF\xBF\xBF",
                                           "![img](http://t.test/p.png)"};

RunRecord HostileRun() {
  RunRecord r;
  r.id = "20261127T084512Z-00beef";
  r.profile = "quick<b>";
  r.state = RunState::kError;
  r.error = kHostile[2] + kHostile[0];
  r.version = "0.1.0";
  r.started_at = 1795769112.25;
  r.finished_at = 1795769120.5;
  for (std::size_t i = 0; i < kHostile.size(); ++i) {
    r.labels["k" + std::to_string(i)] = kHostile[i];
    r.labels[kHostile[i]] = "v";
  }
  r.labels["commit"] = "=HYPERLINK(\"http://t.test\")\r\n|x|";
  for (std::size_t i = 0; i < kHostile.size(); ++i) {
    ProbeResult p;
    p.name = kHostile[i];
    p.kind = kHostile[(i + 1) % kHostile.size()];
    p.runs = p.planned = 3;
    p.failures = 1;
    p.errors[kHostile[i]] = 1;
    p.last_error = kHostile[i] + ": " + kHostile[(i + 2) % kHostile.size()];
    PhaseStats phase;
    phase.name = kHostile[i];
    phase.count = 3;
    phase.p50 = 0.01;
    p.phases.push_back(phase);
    p.counters.emplace_back(kHostile[i], 1.5);
    r.probes.push_back(p);
    NfrVerdict v;
    v.nfr = kHostile[i];
    v.probe = kHostile[i];
    v.phase = kHostile[(i + 3) % kHostile.size()];
    v.stat = "p95";
    v.op = i % 2 ? "<" : kHostile[i];
    v.threshold = 0.2;
    v.verdict = i % 3 == 0 ? Verdict::kFailed : i % 3 == 1 ? Verdict::kSkipped : Verdict::kPassed;
    v.reason = kHostile[(i + 4) % kHostile.size()];
    if (i % 3 == 2) v.value = 0.1;
    r.nfrs.push_back(v);
    ComparisonRow b;
    b.nfr = b.probe = b.phase = b.stat = kHostile[i];
    b.status = RowStatus::kWorse;
    r.comparison.push_back(b);
    r.phase_comparison.push_back(b);
  }
  r.compared_with = "base|`id`";
  return r;
}

TrendRow Row(std::string label, std::string id, RunState state,
             std::vector<std::optional<double>> values) {
  TrendRow row;
  row.label = std::move(label);
  row.id = std::move(id);
  row.state = state;
  for (const auto& v : values) {
    TrendCell cell;
    cell.value = v;
    row.cells.push_back(cell);
  }
  return row;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// Pipes that split a GitHub table row: not escaped by an odd run of backslashes.
int CellSeparators(const std::string& row) {
  int n = 0;
  for (std::size_t i = 0; i < row.size(); ++i) {
    if (row[i] == '\\') {
      ++i;  // an escape pair, whatever it escapes
    } else if (row[i] == '|') {
      ++n;
    }
  }
  return n;
}

// A Markdown document whose tables keep their shape and whose text runs nothing.
void ExpectSafeMarkdown(const std::string& md) {
  EXPECT_EQ(common::ValidUtf8(md), md);
  EXPECT_EQ(md.find('\r'), std::string::npos);
  for (unsigned char c : md) EXPECT_TRUE(c >= 0x20 || c == '\n') << "control " << int(c);
  EXPECT_THAT(md, Not(HasSubstr("\xC2\x85")));
  EXPECT_THAT(md, Not(HasSubstr("<script")));
  // No link or image from a name: every "](" has its "]" escaped.
  EXPECT_FALSE(std::regex_search(md, std::regex(R"((^|[^\\])\]\()"))) << md;
  EXPECT_FALSE(std::regex_search(md, std::regex("<[A-Za-z/!?]"))) << "an HTML tag in:\n" << md;
  int header = -1;
  for (const auto& line : Lines(md)) {
    if (!line.starts_with("|")) {
      header = -1;
      continue;
    }
    EXPECT_FALSE(line.starts_with("| injected")) << line;
    EXPECT_TRUE(line.ends_with("|")) << line;
    if (header < 0)
      header = CellSeparators(line);
    else
      EXPECT_EQ(CellSeparators(line), header) << "a row with another count of cells: " << line;
    int ticks = 0;
    for (std::size_t i = 0; i < line.size(); ++i) {
      if (line[i] == '\\')
        ++i;
      else if (line[i] == '`')
        ++ticks;
    }
    EXPECT_EQ(ticks % 2, 0) << "an unbalanced code span: " << line;
  }
}

TEST(ReportEscaping, MarkdownTablesKeepTheirShapeWithHostileText) {
  const std::string md = ToMarkdown(HostileRun());
  ExpectSafeMarkdown(md);
  EXPECT_THAT(md, HasSubstr("| k0 | &lt;script&gt;alert(1)&lt;/script&gt; |"));
  EXPECT_THAT(md, HasSubstr("| k1 | a\\|b |"));
  EXPECT_THAT(md, HasSubstr("| k2 | x  \\| injected \\| row \\| |"));
  EXPECT_THAT(md, HasSubstr("| k7 | a\\\\\\|b |"));
}

TEST(ReportEscaping, ResultsDocumentEscapesTheEnvironmentAndTheTrend) {
  const RunRecord run = HostileRun();
  Trend t;
  t.nfrs = {kHostile[0], kHostile[2]};
  t.rows.push_back(Row(run.labels.at("commit"), run.id, RunState::kPassed, {0.1, 0.2}));
  t.rows.push_back(Row(kHostile[8], run.id, RunState::kFailed, {0.1, std::nullopt}));
  const std::string md = ResultsDocument(run, TrendMarkdown(t), {{kHostile[0], kHostile[2]}});
  ExpectSafeMarkdown(md);
  ExpectSafeMarkdown(TrendMarkdown(t));
}

TEST(ReportEscaping, ComparisonMarkdownKeepsItsShape) {
  const RunRecord run = HostileRun();
  ExpectSafeMarkdown(
      ComparisonMarkdown(run.compared_with, 0.05, 0.1, run.comparison, run.phase_comparison));
}

// Well-formed XML 1.0 as far as characters go: valid UTF-8 without a character XML 1.0 forbids,
// every '<' one of our tags and every '&' a reference.
void ExpectWellFormedXmlText(const std::string& x) {
  EXPECT_EQ(common::ValidUtf8(x), x);
  for (unsigned char c : x) EXPECT_TRUE(c >= 0x20 || c == '\n') << "control " << int(c);
  EXPECT_THAT(x, Not(HasSubstr("\xEF\xBF\xBE")));
  EXPECT_THAT(x, Not(HasSubstr("\xEF\xBF\xBF")));
  const std::regex tag(
      "<(\\?xml |/?(testsuites|testsuite|properties|property|testcase|failure|skipped|system-out|"
      "error)[ >/])");
  for (std::size_t at = x.find('<'); at != std::string::npos; at = x.find('<', at + 1))
    EXPECT_TRUE(std::regex_search(x.substr(at, 16), tag, std::regex_constants::match_continuous))
        << x.substr(at, 40);
  const std::regex ref("&(amp|lt|gt|quot|#39|#9|#10|#13);");
  for (std::size_t at = x.find('&'); at != std::string::npos; at = x.find('&', at + 1))
    EXPECT_TRUE(std::regex_search(x.substr(at, 8), ref, std::regex_constants::match_continuous))
        << x.substr(at, 20);
}

TEST(ReportEscaping, JUnitStaysWellFormedXml) {
  const std::string x = ToJUnit(HostileRun());
  ExpectWellFormedXmlText(x);
  EXPECT_THAT(x,
              HasSubstr("<property name=\"k0\" value=\"&lt;script&gt;alert(1)&lt;/script&gt;\"/>"));
  EXPECT_THAT(x, HasSubstr("value=\"x&#13;&#10;| injected | row |\""));
  EXPECT_THAT(x, HasSubstr("value=\"]]&gt;\""));
  EXPECT_THAT(x, HasSubstr("value=\"\xEF\xBF\xBD\""));  // \x01, which not even &#1; can carry
}

// The fields of one CSV line (RFC 4180, no newline inside a field).
std::vector<std::string> CsvFields(const std::string& line) {
  std::vector<std::string> out(1);
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted && c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
      out.back() += '"';
      ++i;
    } else if (c == '"') {
      quoted = !quoted;
    } else if (c == ',' && !quoted) {
      out.emplace_back();
    } else {
      out.back() += c;
    }
  }
  return out;
}

TEST(ReportEscaping, TrendCsvHasOneRowPerRunAndNoFormula) {
  Trend t;
  t.nfrs = {"=nfr()", "a,b"};
  for (const auto& label : kHostile)
    t.rows.push_back(Row(label, "id,1", RunState::kPassed, {0.1, {}}));
  t.rows.push_back(Row("@SUM(A1)", "+1", RunState::kFailed, {0.1, {}}));
  const auto lines = Lines(TrendCsv(t));
  ASSERT_EQ(lines.size(), t.rows.size() + 1);
  for (const auto& line : lines) {
    const auto fields = CsvFields(line);
    ASSERT_EQ(fields.size(), 8u) << line;
    for (const auto& f : fields) {
      EXPECT_TRUE(f.empty() || std::string_view("=+-@").find(f.front()) == std::string_view::npos)
          << "a formula: " << line;
      EXPECT_EQ(common::ValidUtf8(f), f);
    }
  }
  EXPECT_EQ(CsvFields(lines[0])[4], "'=nfr()");
  EXPECT_EQ(CsvFields(lines[0])[6], "a,b");
  EXPECT_EQ(CsvFields(lines[4])[0], "'=cmd()");
  EXPECT_EQ(CsvFields(lines[3])[0], "x  | injected | row |");
}

TEST(ReportEscaping, TrendJsonIsValidWhateverTheLabels) {
  Trend t;
  t.nfrs = {kHostile[6]};
  t.rows.push_back(Row(kHostile[6] + kHostile[2], "id", RunState::kPassed, {0.1}));
  const std::string j = TrendJson(t);
  EXPECT_EQ(common::ValidUtf8(j), j);
  EXPECT_THAT(j, HasSubstr(R"("label": ")"
                           "\xEF\xBF\xBD\xEF\xBF\xBD"
                           R"(x\r\n| injected | row |")"));
}

// Markdown and JUnit of a judged run (formerly in suite_test).
using test_runs::SampleRun;

TEST(Report, MarkdownHasChecklistTablesAndBaseline) {
  const std::string md = ToMarkdown(SampleRun());
  EXPECT_THAT(md, HasSubstr("## NFR checklist"));
  // The p95 of 10 samples is their maximum: inconclusive, with its interval and what it needs.
  EXPECT_THAT(md, HasSubstr("- [ ] ? **api_p95**: api total p95 < 200.0 ms — measured 100.0 ms "
                            "(95 % interval 80.0 ms … ∞) over 10 samples — *inconclusive*: "));
  EXPECT_THAT(md, HasSubstr("an upper bound needs 59 samples"));
  EXPECT_THAT(md, HasSubstr("| NFRs | 0 met, 1 failed, 1 inconclusive (on_inconclusive: pass), "
                            "1 skipped |"));
  EXPECT_THAT(md, HasSubstr("- [ ] ✗ **db_p95**"));
  EXPECT_THAT(md, HasSubstr("**FAILED**"));
  EXPECT_THAT(md, HasSubstr("- [ ] – **llm_ttfb**: llm ttfb mean < 500.0 ms — skipped: probe llm "
                            "skipped: no API key"));
  EXPECT_THAT(md, HasSubstr("| total | 10 | 10.0 ms | 50.0 ms |"));
  // A row of a record written before significance was tested: no interval, p or verdict.
  EXPECT_THAT(md, HasSubstr("| api_p95 | – | 80.0 ms | 100.0 ms | +25.0 % | – | – | – | – | ⚠ |"));
  EXPECT_THAT(md, HasSubstr("| commit | abc&lt;123&gt; |"));
}

TEST(Report, JUnitHasOneTestcasePerNfrAndEscapes) {
  const std::string x = ToJUnit(SampleRun());
  EXPECT_THAT(x, HasSubstr("tests=\"3\" failures=\"1\" errors=\"0\" skipped=\"1\""));
  EXPECT_THAT(x, HasSubstr("<testcase classname=\"nfr.api\" name=\"api_p95\">"));
  EXPECT_THAT(x, HasSubstr("<failure message=\"db_p95: no query sample"));
  EXPECT_THAT(x, HasSubstr("<skipped message=\"probe llm skipped: no API key\"/>"));
  EXPECT_THAT(x, HasSubstr("value=\"abc&lt;123&gt;\""));
  EXPECT_THAT(x, Not(HasSubstr("abc<123>")));
}

}  // namespace
}  // namespace reznet::suite
