// The prober's own health: the PSI parser, the overload rule, its hold, and what it exports.
#include "telemetry/prober_health.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "common/json.hpp"

namespace reznet::telemetry {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

const common::SteadyTime kT0 = common::SteadyTime(100h);
const common::WallTime kWall = common::WallTime(1'700'000'000s);

TEST(ParseCpuPressure, ReadsSomeAvg10AsARatio) {
  const char* psi =
      "some avg10=6.25 avg60=8.48 avg300=5.27 total=24788091\n"
      "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n";
  EXPECT_DOUBLE_EQ(*ParseCpuPressure(psi), 0.0625);
  // Kernels before 5.13 have no `full` line; the order of lines does not matter.
  EXPECT_DOUBLE_EQ(*ParseCpuPressure("some avg10=100.00 avg60=1 avg300=1 total=1"), 1.0);
  EXPECT_DOUBLE_EQ(*ParseCpuPressure("full avg10=50.00 avg60=0 avg300=0 total=0\n"
                                     "some avg10=0.00 avg60=0 avg300=0 total=0\n"),
                   0.0);
}

TEST(ParseCpuPressure, MalformedTextIsNoValue) {
  EXPECT_EQ(ParseCpuPressure(""), std::nullopt);
  EXPECT_EQ(ParseCpuPressure("\n\n"), std::nullopt);
  EXPECT_EQ(ParseCpuPressure("full avg10=1.00 avg60=0 avg300=0 total=0\n"), std::nullopt);
  EXPECT_EQ(ParseCpuPressure("some avg60=8.48 avg300=5.27 total=1\n"), std::nullopt);
  EXPECT_EQ(ParseCpuPressure("some avg10= avg60=8.48\n"), std::nullopt);
  EXPECT_EQ(ParseCpuPressure("some avg10=abc avg60=8.48\n"), std::nullopt);
  EXPECT_EQ(ParseCpuPressure("some avg10=6.25x avg60=8.48\n"), std::nullopt);
  EXPECT_EQ(ParseCpuPressure("some avg10=-1.00 avg60=8.48\n"), std::nullopt);
  EXPECT_EQ(ParseCpuPressure("some avg10=100.01 avg60=8.48\n"), std::nullopt);
  EXPECT_EQ(ParseCpuPressure("some avg10=nan avg60=8.48\n"), std::nullopt);
  EXPECT_EQ(ParseCpuPressure("somewhere avg10=1.00\n"), std::nullopt);
}

TEST(OverloadRule, AnySignalStrictlyOverItsThreshold) {
  const config::OverloadConfig limits;  // 50 %, 100 ms, 1 s
  EXPECT_THAT(OverloadReasons(limits, {}), IsEmpty());
  EXPECT_THAT(OverloadReasons(limits, {0.5, 100ms, 1s}), IsEmpty());  // at the limit: not over
  EXPECT_THAT(OverloadReasons(limits, {0.2, 3ms, 400us}), IsEmpty());
  EXPECT_THAT(OverloadReasons(limits, {0.62, std::nullopt, std::nullopt}),
              ElementsAre("cpu pressure 62% > 50%"));
  EXPECT_THAT(OverloadReasons(limits, {std::nullopt, 140ms, 1500ms}),
              ElementsAre("self-probe 140.0 ms > 100ms", "scheduler lateness 1.50 s > 1s"));
  const config::OverloadConfig strict{0.1, 5ms, 20ms};
  EXPECT_THAT(OverloadReasons(strict, {0.2, 6ms, 21ms}),
              ElementsAre("cpu pressure 20% > 10%", "self-probe 6.0 ms > 5ms",
                          "scheduler lateness 21.0 ms > 20ms"));
}

TEST(ProberHealth, OneSlowSelfProbeIsNotASlowMachineTwoAre) {
  ProberHealth h;
  const config::OverloadConfig limits;
  h.ObserveSelfProbe(300us);
  h.ObserveSelfProbe(400us);
  h.ObserveSelfProbe(900ms);
  auto v = h.Check(limits, kT0, kWall);
  EXPECT_FALSE(v.overloaded);
  EXPECT_EQ(h.Snapshot().signals.self_probe, 400us);
  h.ObserveSelfProbe(200ms);
  v = h.Check(limits, kT0 + 5s, kWall + 5s);
  EXPECT_TRUE(v.overloaded);
  EXPECT_TRUE(v.changed);
  EXPECT_THAT(v.reasons, ElementsAre("self-probe 200.0 ms > 100ms"));
  EXPECT_TRUE(h.Overloaded());
}

TEST(ProberHealth, ATimedOutSelfProbeCountsAsItsDeadline) {
  ProberHealth h;
  h.CountSelfProbeError(5s);
  h.CountSelfProbeError(std::nullopt);  // refused: says nothing about load
  const auto v = h.Check({}, kT0, kWall);
  EXPECT_TRUE(v.overloaded);
  EXPECT_EQ(h.Snapshot().self_probe_errors, 2u);
  EXPECT_THAT(v.reasons, ElementsAre("self-probe 5.00 s > 100ms"));
}

TEST(ProberHealth, StaysOverloadedForTheHoldThenClears) {
  ProberHealth h;
  const config::OverloadConfig limits;
  h.ObserveCpuPressure(0.8);
  EXPECT_TRUE(h.Check(limits, kT0, kWall).overloaded);
  h.ObserveCpuPressure(0.05);
  auto v = h.Check(limits, kT0 + 10s, kWall + 10s);
  EXPECT_TRUE(v.overloaded);
  EXPECT_FALSE(v.changed);
  EXPECT_THAT(v.reasons, IsEmpty());
  // The reasons of the last check that found any stay while the state holds.
  EXPECT_THAT(h.Snapshot().reasons, ElementsAre("cpu pressure 80% > 50%"));
  EXPECT_EQ(h.Snapshot().overloaded_since, kWall);
  v = h.Check(limits, kT0 + ProberHealth::kHold, kWall + ProberHealth::kHold);
  EXPECT_FALSE(v.overloaded);
  EXPECT_TRUE(v.changed);
  EXPECT_FALSE(h.Overloaded());
  EXPECT_THAT(h.Snapshot().reasons, IsEmpty());
}

TEST(ProberHealth, LatenessIsTheLargestSinceTheLastCheck) {
  ProberHealth h;
  const config::OverloadConfig limits;
  h.ObserveLateness(2ms);
  h.ObserveLateness(1200ms);
  h.ObserveLateness(-5ms);  // a timer that fired early is not late
  auto v = h.Check(limits, kT0, kWall);
  EXPECT_THAT(v.reasons, ElementsAre("scheduler lateness 1.20 s > 1s"));
  v = h.Check(limits, kT0 + 5s, kWall + 5s);
  EXPECT_THAT(v.reasons, IsEmpty());
  EXPECT_EQ(h.Snapshot().signals.lateness, std::nullopt);  // no run started since
  h.ObserveLateness(-5ms);
  h.Check(limits, kT0 + 10s, kWall + 10s);
  EXPECT_EQ(h.Snapshot().signals.lateness, 0ns);
}

TEST(ProberHealth, ExportsNothingUntilTheMonitorRunsThenItsSeries) {
  ProberHealth h;
  std::string out;
  h.Collect(out, kT0);
  EXPECT_THAT(out, IsEmpty());
  const auto before = h.Generation();
  h.Check({}, kT0, kWall);
  EXPECT_GT(h.Generation(), before);
  out.clear();
  h.Collect(out, kT0);
  EXPECT_THAT(out, HasSubstr("reznet_perf_prober_overloaded 0\n"));
  EXPECT_THAT(out, HasSubstr("reznet_perf_prober_self_probe_errors_total 0\n"));
  // No PSI read, no self-probe answered: no series for them.
  EXPECT_THAT(out, Not(HasSubstr("reznet_perf_prober_cpu_pressure_ratio")));
  EXPECT_THAT(out, Not(HasSubstr("reznet_perf_prober_self_probe_seconds")));

  h.ObserveCpuPressure(0.0625);
  h.ObserveSelfProbe(2ms);
  h.ObserveCpuPressure(0.9);
  h.Check({}, kT0 + 5s, kWall + 5s);
  out.clear();
  h.Collect(out, kT0);
  EXPECT_THAT(out, HasSubstr("# TYPE reznet_perf_prober_cpu_pressure_ratio gauge\n"
                             "reznet_perf_prober_cpu_pressure_ratio 0.9\n"));
  EXPECT_THAT(out, HasSubstr("reznet_perf_prober_self_probe_seconds_bucket{le=\"0.001\"} 0\n"
                             "reznet_perf_prober_self_probe_seconds_bucket{le=\"0.0025\"} 1\n"));
  EXPECT_THAT(out, HasSubstr("reznet_perf_prober_self_probe_seconds_count 1\n"));
  EXPECT_THAT(out, HasSubstr("reznet_perf_prober_overloaded 1\n"));
  // PSI gone (the file became unreadable): its series goes too.
  h.ObserveCpuPressure(std::nullopt);
  out.clear();
  h.Collect(out, kT0);
  EXPECT_THAT(out, Not(HasSubstr("reznet_perf_prober_cpu_pressure_ratio")));
}

TEST(ProberHealth, StatusJsonSaysWhyAndAgainstWhat) {
  ProberHealth h;
  h.ObserveCpuPressure(0.75);
  h.ObserveSelfProbe(1ms);
  h.Check({0.5, 100ms, 1s}, kT0, kWall);
  EXPECT_EQ(
      common::WriteJson(ProberHealthJson(h.Snapshot())),
      common::WriteJson(boost::json::object{
          {"checked", true},
          {"overloaded", true},
          {"overloaded_since", 1.7e9},
          {"overload_ended", nullptr},
          {"reasons", boost::json::array{"cpu pressure 75% > 50%"}},
          {"cpu_pressure", 0.75},
          {"self_probe_seconds", 0.001},
          {"lateness_seconds", nullptr},
          {"last_self_probe_seconds", 0.001},
          {"self_probe_errors", 0},
          {"thresholds",
           {{"cpu_pressure", 0.5}, {"self_probe_seconds", 0.1}, {"lateness_seconds", 1.0}}}}));
}

// Every NFR is suspect while the prober is overloaded, and afterwards each for as long as its
// window (evidence_seconds) still holds samples of the overload.
TEST(ProberHealth, StatusMarksNfrsSuspectWhileTheirWindowsHoldOverloadedSamples) {
  const std::string status =
      R"({"probes":[],"nfrs":[{"name":"api_p95","state":"firing","evidence_seconds":300},)"
      R"({"name":"db","state":"ok","evidence_seconds":60}]})";
  ProberHealth h;
  h.Check({}, kT0, kWall);
  const auto doc_at = [&](common::WallTime now) {
    return boost::json::parse(WithProberHealth(status, h.Snapshot(), now)).as_object();
  };
  auto doc = doc_at(kWall);
  EXPECT_EQ(doc.at("nfrs").at(0).at("suspect"), false);
  EXPECT_EQ(doc.at("prober").at("overloaded"), false);
  EXPECT_EQ(doc.at("prober").at("overload_ended"), nullptr);
  h.ObserveLateness(3s);
  h.Check({}, kT0 + 5s, kWall + 5s);
  doc = doc_at(kWall + 5s);
  EXPECT_EQ(doc.at("nfrs").at(0).at("suspect"), true);
  EXPECT_EQ(doc.at("nfrs").at(1).at("suspect"), true);
  EXPECT_EQ(doc.at("nfrs").at(0).at("state"), "firing");  // the state itself is unchanged
  EXPECT_EQ(doc.at("prober").at("reasons").at(0), "scheduler lateness 3.00 s > 1s");
  // Over after the hold (kHold: 30 s with every signal under its threshold).
  h.Check({}, kT0 + 40s, kWall + 40s);
  ASSERT_FALSE(h.Overloaded());
  doc = doc_at(kWall + 40s);
  EXPECT_EQ(doc.at("prober").at("overload_ended").to_number<double>(), 1'700'000'040.0);
  EXPECT_EQ(doc.at("nfrs").at(0).at("suspect"), true);
  EXPECT_EQ(doc.at("nfrs").at(1).at("suspect"), true);
  doc = doc_at(kWall + 40s + 61s);  // db's one-minute window has rolled past the overload
  EXPECT_EQ(doc.at("nfrs").at(0).at("suspect"), true);
  EXPECT_EQ(doc.at("nfrs").at(1).at("suspect"), false);
  doc = doc_at(kWall + 40s + 301s);
  EXPECT_EQ(doc.at("nfrs").at(0).at("suspect"), false);
}

}  // namespace
}  // namespace reznet::telemetry
