// The notifier's loop around the Outbox: it waits on the injected clock (moved by hand here) and
// POSTs over real loopback HTTP to a server that answers POST /api/v2/alerts the way Alertmanager
// does (200, or 500 while told to fail). Alertmanager itself is exercised by integration_alerts.
#include "nfr/alert_notifier.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>
#include <map>
#include <mutex>

#include "tests/support/loopback_server.hpp"
#include "tests/support/manual_clock.hpp"

namespace reznet::nfr {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

class AlertReceiver {
 public:
  struct Post {
    std::string content_type;
    std::string body;
  };
  std::string url() const { return server_.url(); }
  void Fail(bool fail) {
    std::lock_guard lock(mu_);
    fail_ = fail;
  }
  std::vector<Post> posts() const {
    std::lock_guard lock(mu_);
    return posts_;
  }

 private:
  mutable std::mutex mu_;
  bool fail_ = false;
  std::vector<Post> posts_;
  testing::LoopbackServer server_{[this](httplib::Server& s) {
    s.Post("/api/v2/alerts", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mu_);
      posts_.push_back({req.get_header_value("Content-Type"), req.body});
      res.status = fail_ ? 500 : 200;
    });
  }};
};

config::NfrRule ApiSlow() {
  config::NfrRule r;
  r.name = "api_slow";
  r.probe = "api";
  r.stat_name = "p50";
  r.threshold = 0.1;
  return r;
}

TEST(AlertNotifier, WaitsOnItsClockBetweenPostsAndBacksOffOnFailure) {
  testing::ManualClock clock;
  boost::asio::io_context io;
  AlertReceiver am;
  am.Fail(true);
  config::AlertingConfig cfg;
  cfg.alertmanager_urls = {*config::ParseUrl(am.url())};
  cfg.resend_interval = 1min;
  std::vector<bool> attempts;
  AlertNotifier notifier(
      io.get_executor(), cfg, "http://daemon/",
      [&](const std::string& url, bool ok) {
        EXPECT_EQ(url, am.url());
        attempts.push_back(ok);
      },
      clock);
  notifier.Start();
  notifier.Notify(ApiSlow(), {Notification::Kind::kFiring, 0.3, clock.WallNow(), {}});
  ASSERT_TRUE(testing::RunUntil(io, [&] { return attempts.size() == 1; }));
  EXPECT_FALSE(attempts[0]);
  am.Fail(false);
  clock.Advance(io, 999ms);
  EXPECT_EQ(attempts.size(), 1u);  // backing off for 1 s
  clock.Advance(io, 1ms);
  ASSERT_TRUE(testing::RunUntil(io, [&] { return attempts.size() == 2; }));
  EXPECT_TRUE(attempts[1]);
  const auto posts = am.posts();
  ASSERT_EQ(posts.size(), 2u);
  EXPECT_EQ(posts[1].content_type, "application/json");
  const auto alert = json::parse(posts[1].body).as_array().at(0).as_object();
  EXPECT_EQ(alert.at("labels").at("alertname"), "api_slow");
  EXPECT_EQ(alert.at("endsAt"), "2027-01-15T08:03:01.000Z");  // sent at 08:00:01
  clock.Advance(io, 59s);
  EXPECT_EQ(attempts.size(), 2u);  // the next resend is a minute after the success
  clock.Advance(io, 1s);
  ASSERT_TRUE(testing::RunUntil(io, [&] { return attempts.size() == 3; }));
  EXPECT_EQ(json::parse(am.posts().at(2).body).at(0).at("endsAt"), "2027-01-15T08:04:01.000Z");
  notifier.Stop();
  clock.RunUntilIdle(io);
}

// The suspect mark (issue #26 item 5): while the prober is overloaded every NFR alert carries
// suspect="true" and the daemon's own ReznetProberOverloaded fires. The own alert ends with the
// overload; the mark stays until the rule's window no longer holds samples of the overload.
TEST(AlertNotifier, WhileTheProberIsOverloadedAlertsAreSuspectAndItsOwnAlertFires) {
  testing::ManualClock clock;
  boost::asio::io_context io;
  AlertReceiver am;
  config::AlertingConfig cfg;
  cfg.alertmanager_urls = {*config::ParseUrl(am.url())};
  cfg.resend_interval = 1min;
  AlertNotifier notifier(io.get_executor(), cfg, "http://daemon/", {}, clock);
  notifier.Start();
  const auto posted = [&](std::size_t n) {
    return testing::RunUntil(io, [&] { return am.posts().size() == n; });
  };
  // The alerts of the n-th POST, by alertname.
  const auto alerts = [&](std::size_t n) {
    std::map<std::string, json::object> out;
    const json::value body = json::parse(am.posts().at(n).body);
    for (const auto& a : body.as_array())
      out[std::string(a.at("labels").at("alertname").as_string())] = a.as_object();
    return out;
  };
  config::NfrRule rule = ApiSlow();
  rule.window = 5min;
  notifier.Notify(rule, {Notification::Kind::kFiring, 0.3, clock.WallNow(), {}});
  ASSERT_TRUE(posted(1));
  EXPECT_FALSE(alerts(0).at("api_slow").at("annotations").as_object().contains("suspect"));

  clock.Advance(io, 10s);
  notifier.SetProberOverloaded(true, "cpu pressure 62% > 50%");
  ASSERT_TRUE(posted(2));  // at once, not at the next resend
  auto sent = alerts(1);
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent.at("api_slow").at("annotations").at("suspect"), "true");
  EXPECT_EQ(sent.at("api_slow").at("labels").as_object().size(), 4u);  // labels unchanged
  const auto& own = sent.at(AlertNotifier::kProberOverloaded);
  EXPECT_EQ(own.at("labels"),
            (json::object{{"severity", "warning"}, {"alertname", "ReznetProberOverloaded"}}));
  EXPECT_EQ(own.at("annotations").at("summary"),
            "reznet-perfd is overloaded (cpu pressure 62% > 50%): what it measures meanwhile, "
            "and the NFR alerts it sends, are suspect");
  EXPECT_EQ(own.at("startsAt"), "2027-01-15T08:00:10.000Z");
  EXPECT_EQ(own.at("endsAt"), "2027-01-15T08:03:10.000Z");

  // A reload keeps the mark.
  notifier.Reconfigure(cfg, "http://daemon/");
  ASSERT_TRUE(posted(3));
  EXPECT_EQ(alerts(2).at("api_slow").at("annotations").at("suspect"), "true");

  clock.Advance(io, 40s);
  notifier.SetProberOverloaded(false, "");
  ASSERT_TRUE(posted(4));
  sent = alerts(3);
  // Its 5-minute window still holds what was measured while overloaded.
  EXPECT_EQ(sent.at("api_slow").at("annotations").at("suspect"), "true");
  EXPECT_EQ(sent.at(AlertNotifier::kProberOverloaded).at("endsAt"),
            "2027-01-15T08:00:50.000Z");  // resolved now
  clock.Advance(io, 1min);
  ASSERT_TRUE(posted(5));
  EXPECT_EQ(alerts(4).count(AlertNotifier::kProberOverloaded), 0u);  // resolution sent once
  EXPECT_EQ(alerts(4).at("api_slow").at("annotations").at("suspect"), "true");
  for (std::size_t post = 6; post <= 9; ++post) {  // a resend a minute
    clock.Advance(io, 1min);
    ASSERT_TRUE(posted(post));
  }
  EXPECT_EQ(alerts(7).at("api_slow").at("annotations").at("suspect"), "true");  // 4 min after
  // 5 minutes after the end: the window is clean again.
  EXPECT_FALSE(alerts(8).at("api_slow").at("annotations").as_object().contains("suspect"));
  notifier.Stop();
  clock.RunUntilIdle(io);
}

}  // namespace
}  // namespace reznet::nfr
