// Our exposition writer (common/exposition.hpp) against prometheus-cpp's TextSerializer: the
// same samples, in the same order, with the same values.
#include "common/exposition.hpp"

#include <gtest/gtest.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/summary.h>
#include <prometheus/text_serializer.h>

#include <cmath>
#include <map>
#include <sstream>
#include <string>

namespace reznet::common {
namespace {

// Every sample line as series -> value read back as a double (the two writers spell numbers
// differently: 0.1 vs 0.10000000000000001), in order; # lines as they are.
std::vector<std::pair<std::string, double>> Samples(const std::string& text,
                                                    std::vector<std::string>& comments) {
  std::vector<std::pair<std::string, double>> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with("#")) {
      comments.push_back(line);
      continue;
    }
    auto space = line.rfind(' ');
    std::string series = line.substr(0, space);
    // le="…" values are numbers too.
    if (auto le = series.find("le=\""); le != std::string::npos) {
      auto end = series.find('"', le + 4);
      const std::string v = series.substr(le + 4, end - le - 4);
      const double d = v == "+Inf" ? INFINITY : std::stod(v);
      series = series.substr(0, le + 4) + std::to_string(d) + series.substr(end);
    }
    std::string value = line.substr(space + 1);
    out.emplace_back(series, value == "Nan" || value == "NaN" ? NAN : std::stod(value));
  }
  return out;
}

TEST(Exposition, SameSamplesAsPrometheusCppTextSerializer) {
  prometheus::Registry registry;
  auto& counters = prometheus::BuildCounter()
                       .Name("t_requests_total")
                       .Help("Requests with \"quotes\".")
                       .Register(registry);
  counters.Add({{"path", "/a\"b\\c\nd"}, {"code", "200"}}).Increment(3);
  counters.Add({}).Increment(0.1);
  auto& gauges = prometheus::BuildGauge().Name("t_value").Help("A gauge.").Register(registry);
  gauges.Add({{"k", "nan"}}).Set(NAN);
  gauges.Add({{"k", "inf"}}).Set(INFINITY);
  gauges.Add({{"k", "-inf"}}).Set(-INFINITY);
  gauges.Add({{"k", "small"}}).Set(1.25e-7);
  gauges.Add({{"k", "big"}}).Set(123456789012.5);
  auto& hist =
      prometheus::BuildHistogram().Name("t_seconds").Help("A histogram.").Register(registry);
  auto& h = hist.Add({{"phase", "total"}}, prometheus::Histogram::BucketBoundaries{0.001, 0.5, 2});
  for (double v : {0.0005, 0.2, 0.3, 5.0}) h.Observe(v);
  auto& sums = prometheus::BuildSummary().Name("t_summary").Help("A summary.").Register(registry);
  sums.Add({}, prometheus::Summary::Quantiles{{0.5, 0.05}}).Observe(2);
  prometheus::BuildGauge().Name("t_empty").Help("No series.").Register(registry);

  const auto families = registry.Collect();
  const std::string theirs = prometheus::TextSerializer().Serialize(families);
  std::string ours;
  AppendExposition(ours, families);

  std::vector<std::string> their_comments, our_comments;
  const auto want = Samples(theirs, their_comments);
  const auto got = Samples(ours, our_comments);
  EXPECT_EQ(our_comments, their_comments);
  ASSERT_EQ(got.size(), want.size()) << ours;
  for (std::size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(got[i].first, want[i].first);
    if (std::isnan(want[i].second)) {
      EXPECT_TRUE(std::isnan(got[i].second)) << got[i].first;
    } else {
      EXPECT_EQ(got[i].second, want[i].second) << got[i].first;
    }
  }
  // The format's own spellings.
  EXPECT_NE(ours.find("t_value{k=\"nan\"} NaN\n"), std::string::npos) << ours;
  EXPECT_NE(ours.find("t_value{k=\"-inf\"} -Inf\n"), std::string::npos);
  EXPECT_NE(ours.find("t_seconds_bucket{phase=\"total\",le=\"+Inf\"} 4\n"), std::string::npos);
  EXPECT_NE(ours.find("path=\"/a\\\"b\\\\c\\nd\""), std::string::npos);
}

// What prometheus-cpp leaves raw and the format escapes: \ and newline in HELP.
TEST(Exposition, EscapesHelpAsTheFormatSays) {
  prometheus::MetricFamily f;
  f.name = "t_x";
  f.help = "a \\ b\nc";
  f.type = prometheus::MetricType::Gauge;
  f.metric.emplace_back();
  std::string out;
  AppendExposition(out, {f});
  EXPECT_EQ(out, "# HELP t_x a \\\\ b\\nc\n# TYPE t_x gauge\nt_x 0\n");
}

}  // namespace
}  // namespace reznet::common
