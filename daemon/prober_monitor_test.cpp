// The prober's own health as the daemon measures it (daemon/prober_monitor.hpp): the PSI file it
// reads, its GET of its own /healthz over loopback, and the changes it hands on. Time is moved by
// hand; the self-probe is real loopback HTTP.
#include "daemon/prober_monitor.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <fstream>

#include "telemetry/prober_health.hpp"
#include "tests/support/loopback_server.hpp"
#include "tests/support/manual_clock.hpp"
#include "tests/support/scratch_dir.hpp"

namespace reznet::daemon {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

TEST(SelfProbeUrl, TheListenHostOrLoopbackAndTheBoundPort) {
  const config::TlsConfig plain;
  EXPECT_EQ(SelfProbeUrl("127.0.0.1:0", 41234, plain)->ToString(), "http://127.0.0.1:41234");
  EXPECT_EQ(SelfProbeUrl("0.0.0.0:9478", 9478, plain)->ToString(), "http://127.0.0.1:9478");
  EXPECT_EQ(SelfProbeUrl(":9478", 9478, plain)->ToString(), "http://127.0.0.1:9478");
  EXPECT_EQ(SelfProbeUrl("[::]:9478", 9478, plain)->ToString(), "http://[::1]:9478");
  EXPECT_EQ(SelfProbeUrl("[::1]:9478", 9478, plain)->ToString(), "http://[::1]:9478");
  EXPECT_EQ(SelfProbeUrl("10.1.2.3:9478", 9478, plain)->ToString(), "http://10.1.2.3:9478");
  config::TlsConfig tls;
  tls.cert_file = "server.pem";
  EXPECT_EQ(SelfProbeUrl("0.0.0.0:9478", 9478, tls)->ToString(), "https://127.0.0.1:9478");
  tls.client_ca_file = "ca.pem";
  const auto mtls = SelfProbeUrl("0.0.0.0:9478", 9478, tls);
  ASSERT_FALSE(mtls);
  EXPECT_THAT(mtls.error().detail, HasSubstr("client certificates"));
}

class ProberMonitorTest : public ::testing::Test {
 protected:
  void WritePsi(const std::string& text) { std::ofstream(psi_) << text; }
  ProberMonitor Monitor() {
    return ProberMonitor(
        io_.get_executor(), health_, [this] { return limits_; },
        [this](bool overloaded, const std::string& why) { changes_.emplace_back(overloaded, why); },
        clock_, psi_);
  }

  testing::ScratchDir dir_;
  const std::string psi_ = dir_ / "pressure-cpu";
  testing::ManualClock clock_;
  boost::asio::io_context io_;
  telemetry::ProberHealth health_;
  config::OverloadConfig limits_;
  std::vector<std::pair<bool, std::string>> changes_;
};

TEST_F(ProberMonitorTest, CpuPressureOverItsLimitIsAnOverloadThatClearsAfterTheHold) {
  WritePsi(
      "some avg10=80.00 avg60=20.00 avg300=5.00 total=1000\nfull avg10=0.00 avg60=0.00 "
      "avg300=0.00 total=0\n");
  auto monitor = Monitor();
  monitor.Start(common::Invalid("not here"));  // no self-probe: nothing waits on real I/O
  clock_.Advance(io_, ProberMonitor::kFirst);
  EXPECT_EQ(health_.Snapshot().signals.cpu_pressure, 0.8);
  EXPECT_THAT(changes_, ElementsAre(Pair(true, "cpu pressure 80% > 50%")));
  WritePsi("some avg10=1.00 avg60=20.00 avg300=5.00 total=1000\n");
  clock_.Advance(io_, ProberMonitor::kInterval);
  EXPECT_TRUE(health_.Overloaded());  // held
  clock_.Advance(io_, telemetry::ProberHealth::kHold);
  EXPECT_FALSE(health_.Overloaded());
  EXPECT_THAT(changes_, ElementsAre(Pair(true, "cpu pressure 80% > 50%"), Pair(false, "")));
  // A reload's thresholds apply at the next check.
  limits_.cpu_pressure = 0.005;
  clock_.Advance(io_, ProberMonitor::kInterval);
  EXPECT_TRUE(health_.Overloaded());
  monitor.Stop();
  clock_.RunUntilIdle(io_);
}

TEST_F(ProberMonitorTest, NoOrMalformedPsiIsNoValueNeverAnError) {
  auto monitor = Monitor();
  monitor.Start(common::Invalid("not here"));
  clock_.Advance(io_, ProberMonitor::kFirst);  // no file at all
  EXPECT_TRUE(health_.Snapshot().checked);
  EXPECT_EQ(health_.Snapshot().signals.cpu_pressure, std::nullopt);
  WritePsi("some avg10=garbage\n");
  clock_.Advance(io_, ProberMonitor::kInterval);
  EXPECT_EQ(health_.Snapshot().signals.cpu_pressure, std::nullopt);
  WritePsi("some avg10=2.50 avg60=0 avg300=0 total=0\n");
  clock_.Advance(io_, ProberMonitor::kInterval);
  EXPECT_EQ(health_.Snapshot().signals.cpu_pressure, 0.025);
  EXPECT_TRUE(changes_.empty());
  monitor.Stop();
  clock_.RunUntilIdle(io_);
}

TEST_F(ProberMonitorTest, ItGetsItsOwnHealthzAndAnyAnswerIsARoundTrip) {
  std::atomic<int> gets = 0;
  testing::LoopbackServer api([&](httplib::Server& s) {
    s.Get("/healthz", [&](const httplib::Request&, httplib::Response& res) {
      ++gets;
      res.status = 401;  // basic auth: still a round trip through the server
    });
  });
  auto monitor = Monitor();
  monitor.Start(config::ParseUrl(api.url()));
  clock_.Advance(io_, ProberMonitor::kFirst);
  ASSERT_TRUE(testing::RunUntil(io_, [&] { return health_.Snapshot().checked; }));
  EXPECT_EQ(gets.load(), 1);
  const auto s = health_.Snapshot();
  ASSERT_TRUE(s.last_self_probe);
  EXPECT_GT(*s.last_self_probe, 0ns);
  EXPECT_EQ(s.signals.self_probe, s.last_self_probe);
  EXPECT_EQ(s.self_probe_errors, 0u);
  std::string metrics;
  health_.Collect(metrics, clock_.Now());
  EXPECT_THAT(metrics, HasSubstr("reznet_perf_prober_self_probe_seconds_count 1\n"));
  monitor.Stop();
}

TEST_F(ProberMonitorTest, ASelfProbeWithoutAnAnswerIsCounted) {
  int port = 0;
  {
    testing::LoopbackServer gone([](httplib::Server&) {});
    port = gone.port();
  }  // nothing listens there any more: refused
  auto monitor = Monitor();
  monitor.Start(config::ParseUrl("http://127.0.0.1:" + std::to_string(port)));
  clock_.Advance(io_, ProberMonitor::kFirst);
  ASSERT_TRUE(testing::RunUntil(io_, [&] { return health_.Snapshot().checked; }));
  EXPECT_EQ(health_.Snapshot().self_probe_errors, 1u);
  EXPECT_FALSE(health_.Overloaded());  // a refused connection says nothing about load
  monitor.Stop();
}

}  // namespace
}  // namespace reznet::daemon
