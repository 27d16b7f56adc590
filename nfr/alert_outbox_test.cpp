// What the notifier POSTs to Alertmanager and when, with time moved by hand: the Outbox is pure,
// so each test hands it the steady and wall times it would read.
#include "nfr/alert_outbox.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace reznet::nfr {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;
using Kind = Notification::Kind;

// Steady and wall time moving together, from 2027-01-15T08:00:00Z.
struct Time {
  SteadyTime now{100h};
  WallTime wall{1'800'000'000s};
  void Advance(std::chrono::nanoseconds d) {
    now += d;
    wall += std::chrono::duration_cast<WallTime::duration>(d);
  }
};

config::AlertingConfig Alerting(std::size_t alertmanagers, std::chrono::nanoseconds resend = 1min,
                                bool send_resolved = true) {
  config::AlertingConfig c;
  for (std::size_t i = 0; i < alertmanagers; ++i)
    c.alertmanager_urls.push_back(*config::ParseUrl("http://am" + std::to_string(i) + ":9093"));
  c.resend_interval = resend;
  c.send_resolved = send_resolved;
  return c;
}

config::NfrRule ApiSlow() {
  config::NfrRule r;
  r.name = "api_slow";
  r.probe = "api";
  r.phase = "total";
  r.stat = config::NfrStat::kP50;
  r.stat_name = "p50";
  r.threshold = 0.1;
  r.labels = {{"team", "backend"}};
  r.annotations = {{"summary", "API p50 {{value}} over {{threshold}}"},
                   {"runbook_url", "https://runbooks.example/api"}};
  return r;
}

Notification Firing(const Time& t, double value = 0.3) {
  return {Kind::kFiring, value, t.wall - 1750ms, {}};
}
Notification Resolved(const Notification& firing, const Time& t) {
  return {Kind::kResolved, firing.value, firing.starts_at, t.wall};
}

json::array Alerts(const Delivery& d) { return json::parse(d.body).as_array(); }
std::string EndsAt(const Delivery& d, std::size_t i = 0) {
  return std::string(Alerts(d).at(i).at("endsAt").as_string());
}

TEST(AlertOutbox, PayloadIsTheAlertmanagerV2Alert) {
  Time t;
  Outbox box(Alerting(1), "http://daemon:9105/");
  box.Notify(ApiSlow(), Firing(t), t.now);
  const auto due = box.Due(t.now, t.wall);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].target, 0u);
  const auto alerts = Alerts(due[0]);
  ASSERT_EQ(alerts.size(), 1u);
  const auto& a = alerts[0].as_object();
  EXPECT_EQ(a.at("labels"), (json::object{{"team", "backend"},
                                          {"alertname", "api_slow"},
                                          {"nfr", "api_slow"},
                                          {"severity", "page"},
                                          {"probe", "api"}}));
  EXPECT_EQ(a.at("annotations"), (json::object{{"runbook_url", "https://runbooks.example/api"},
                                               {"summary", "API p50 300ms over 100ms"},
                                               {"value", "300ms"},
                                               {"threshold", "100ms"}}));
  EXPECT_EQ(a.at("startsAt"), "2027-01-15T07:59:58.250Z");
  EXPECT_EQ(a.at("endsAt"), "2027-01-15T08:03:00.000Z");  // three resend intervals ahead
  EXPECT_EQ(a.at("generatorURL"), "http://daemon:9105/");
}

TEST(AlertOutbox, RegressionAlertCarriesItsBaselineAndChange) {
  Time t;
  auto rule = ApiSlow();
  rule.name = "api_reg";
  rule.stat_name = "p95";
  rule.op_text = "<=";
  rule.annotations.clear();
  config::ApplyReference(rule, 0.2);
  Outbox box(Alerting(1), "http://daemon:9105/");
  box.Notify(rule, Firing(t), t.now);
  const auto a = Alerts(box.Due(t.now, t.wall).at(0)).at(0).as_object();
  const auto& notes = a.at("annotations").as_object();
  EXPECT_EQ(notes.at("summary"),
            "api_reg: p95 300ms vs baseline 200ms: +100ms (+50.0%) (promise <= 220ms)");
  EXPECT_EQ(notes.at("baseline"), "200ms");
  EXPECT_EQ(notes.at("change"), "+100ms (+50.0%)");
}

TEST(AlertOutbox, BurnRateAlertSaysWhichWindowsBurnAndHowFast) {
  Time t;
  auto rule = ApiSlow();
  rule.name = "api_burn";
  rule.stat = config::NfrStat::kP95;
  rule.stat_name = "p95";
  rule.threshold = 1.0;
  rule.alert = config::NfrAlert::kBurnRate;
  rule.annotations = {{"runbook_url", "https://runbooks.example/api"}};
  Notification n = Firing(t, 0.75);
  n.burn = BurnRates{.burn_5m = 20,
                     .burn_30m = 20,
                     .burn_1h = 15,
                     .burn_6h = 2.5,
                     .share_1h = 0.75,
                     .share_6h = 0.125,
                     .events_5m = 50};
  Outbox box(Alerting(1), "http://daemon:9105/");
  box.Notify(rule, n, t.now);
  const auto a = Alerts(box.Due(t.now, t.wall).at(0)).at(0).as_object();
  EXPECT_EQ(a.at("annotations"),
            (json::object{{"runbook_url", "https://runbooks.example/api"},
                          {"summary",
                           "api_burn: p95 < 1s burns its error budget (5%) too fast: 75% of "
                           "samples bad over 1h"},
                          {"error_budget", "5%"},
                          {"burn_rates", "5m 20, 30m 20, 1h 15, 6h 2.5"},
                          {"burn_windows", "1h/5m"},
                          {"value", "75%"},
                          {"threshold", "1s"}}));
  EXPECT_EQ(a.at("labels").at("severity"), "page");  // the same labels whichever pair fires
}

TEST(AlertOutbox, FiringAlertIsResentEveryResendIntervalWithEndsAtAhead) {
  Time t;
  Outbox box(Alerting(1, 1min), "http://daemon/");
  EXPECT_FALSE(box.NextDue());  // nothing to send
  box.Notify(ApiSlow(), Firing(t), t.now);
  EXPECT_EQ(box.NextDue(), t.now);
  auto due = box.Due(t.now, t.wall);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(EndsAt(due[0]), "2027-01-15T08:03:00.000Z");
  t.Advance(20ms);  // the POST took 20 ms
  box.Delivered(due[0], true, t.now);
  EXPECT_EQ(box.NextDue(), t.now + 1min);
  t.Advance(1min - 1ms);
  EXPECT_TRUE(box.Due(t.now, t.wall).empty());
  t.Advance(1ms);
  due = box.Due(t.now, t.wall);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(EndsAt(due[0]), "2027-01-15T08:04:00.020Z");  // moved on with the clock
  box.Delivered(due[0], true, t.now);
  EXPECT_EQ(box.NextDue(), t.now + 1min);
}

TEST(AlertOutbox, FailingAlertmanagerBacksOffExponentiallyUpToTheResendInterval) {
  Time t;
  Outbox box(Alerting(1, 10s), "http://daemon/");
  box.Notify(ApiSlow(), Firing(t), t.now);
  for (auto backoff : {1s, 2s, 4s, 8s, 10s, 10s}) {
    const auto due = box.Due(t.now, t.wall);
    ASSERT_EQ(due.size(), 1u);
    box.Delivered(due[0], false, t.now);
    EXPECT_EQ(box.target(0).backoff, backoff);
    EXPECT_EQ(box.NextDue(), t.now + backoff);
    t.Advance(backoff - 1ms);
    EXPECT_TRUE(box.Due(t.now, t.wall).empty());
    t.Advance(1ms);
  }
}

TEST(AlertOutbox, RecoveryResetsTheBackoff) {
  Time t;
  Outbox box(Alerting(1, 1min), "http://daemon/");
  box.Notify(ApiSlow(), Firing(t), t.now);
  for (auto backoff : {1s, 2s, 4s}) {
    box.Delivered(box.Due(t.now, t.wall).at(0), false, t.now);
    t.Advance(backoff);
  }
  box.Delivered(box.Due(t.now, t.wall).at(0), true, t.now);
  EXPECT_EQ(box.target(0).backoff, 0s);
  EXPECT_EQ(box.NextDue(), t.now + 1min);
  t.Advance(1min);
  box.Delivered(box.Due(t.now, t.wall).at(0), false, t.now);
  EXPECT_EQ(box.target(0).backoff, 1s);  // a new failure starts again at 1 s
}

TEST(AlertOutbox, ResolutionIsSentOnceWithEndsAtTheTimeItResolved) {
  Time t;
  Outbox box(Alerting(1, 1min), "http://daemon/");
  const auto firing = Firing(t);
  box.Notify(ApiSlow(), firing, t.now);
  box.Delivered(box.Due(t.now, t.wall).at(0), true, t.now);
  t.Advance(30s);
  box.Notify(ApiSlow(), Resolved(firing, t), t.now);
  EXPECT_EQ(box.NextDue(), t.now);  // at once, not at the next resend
  auto due = box.Due(t.now, t.wall);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(EndsAt(due[0]), "2027-01-15T08:00:30.000Z");
  EXPECT_EQ(Alerts(due[0]).at(0).at("startsAt"), "2027-01-15T07:59:58.250Z");
  t.Advance(2s);
  box.Delivered(due[0], false, t.now);  // a retry still says when it resolved
  t.Advance(1s);
  due = box.Due(t.now, t.wall);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(EndsAt(due[0]), "2027-01-15T08:00:30.000Z");
  box.Delivered(due[0], true, t.now);
  EXPECT_EQ(box.alert_count(), 0u);  // forgotten once accepted
  EXPECT_FALSE(box.NextDue());
  t.Advance(5min);
  EXPECT_TRUE(box.Due(t.now, t.wall).empty());
}

TEST(AlertOutbox, SendResolvedFalseDropsTheResolution) {
  Time t;
  Outbox box(Alerting(1, 1min, false), "http://daemon/");
  const auto firing = Firing(t);
  box.Notify(ApiSlow(), firing, t.now);
  box.Delivered(box.Due(t.now, t.wall).at(0), true, t.now);
  t.Advance(30s);
  box.Notify(ApiSlow(), Resolved(firing, t), t.now);
  EXPECT_EQ(box.alert_count(), 0u);
  EXPECT_FALSE(box.NextDue());
  t.Advance(5min);
  EXPECT_TRUE(box.Due(t.now, t.wall).empty());
}

TEST(AlertOutbox, SeveralAlertmanagersAreIndependent) {
  Time t;
  Outbox box(Alerting(2, 1min), "http://daemon/");
  const auto firing = Firing(t);
  box.Notify(ApiSlow(), firing, t.now);
  auto due = box.Due(t.now, t.wall);
  ASSERT_EQ(due.size(), 2u);
  EXPECT_EQ(due[0].body, due[1].body);
  box.Delivered(due[0], false, t.now);  // am0 is down
  box.Delivered(due[1], true, t.now);
  EXPECT_EQ(box.target(0).due, t.now + 1s);
  EXPECT_EQ(box.target(1).due, t.now + 1min);  // am0's retries do not resend to am1
  t.Advance(1s);
  due = box.Due(t.now, t.wall);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].target, 0u);
  box.Delivered(due[0], false, t.now);
  // The resolution: am1 takes it, am0 keeps failing; am1 is not sent it again.
  box.Notify(ApiSlow(), Resolved(firing, t), t.now);
  due = box.Due(t.now, t.wall);
  ASSERT_EQ(due.size(), 2u);
  box.Delivered(due[0], false, t.now);
  box.Delivered(due[1], true, t.now);
  EXPECT_EQ(box.alert_count(), 1u);  // still owed to am0
  t.Advance(1min);
  due = box.Due(t.now, t.wall);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].target, 0u);
  EXPECT_EQ(EndsAt(due[0]), "2027-01-15T08:00:01.000Z");
  box.Delivered(due[0], true, t.now);
  EXPECT_EQ(box.alert_count(), 0u);
  EXPECT_FALSE(box.NextDue());
}

TEST(AlertOutbox, ANotifyMakesEveryAlertmanagerDueAtOnceEvenInBackoff) {
  Time t;
  Outbox box(Alerting(1, 1min), "http://daemon/");
  box.Notify(ApiSlow(), Firing(t), t.now);
  box.Delivered(box.Due(t.now, t.wall).at(0), false, t.now);
  ASSERT_EQ(box.NextDue(), t.now + 1s);
  auto other = ApiSlow();
  other.name = "db_slow";
  t.Advance(100ms);
  box.Notify(other, Firing(t), t.now);
  const auto due = box.Due(t.now, t.wall);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(Alerts(due[0]).size(), 2u);  // every alert in each POST, by rule name
  EXPECT_EQ(Alerts(due[0]).at(0).at("labels").at("alertname"), "api_slow");
}

TEST(AlertOutbox, AChangeDuringAPostIsSentRightAfterIt) {
  Time t;
  Outbox box(Alerting(1, 1min), "http://daemon/");
  const auto firing = Firing(t);
  box.Notify(ApiSlow(), firing, t.now);
  const auto going = box.Due(t.now, t.wall).at(0);
  t.Advance(10ms);
  box.Notify(ApiSlow(), Resolved(firing, t), t.now);  // while `going` is on the wire
  t.Advance(10ms);
  box.Delivered(going, true, t.now);
  EXPECT_EQ(box.alert_count(), 1u);  // the resolution was not in that POST: still owed
  EXPECT_EQ(box.NextDue(), t.now);
  const auto due = box.Due(t.now, t.wall);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(EndsAt(due[0]), "2027-01-15T08:00:00.010Z");
}

TEST(AlertOutbox, AdoptKeepsTheAlertsForTheNewAlertmanagers) {
  Time t;
  Outbox old(Alerting(1, 1min), "http://daemon/");
  old.Notify(ApiSlow(), Firing(t), t.now);
  old.Delivered(old.Due(t.now, t.wall).at(0), true, t.now);
  Outbox fresh(Alerting(2, 2min), "http://daemon/");
  fresh.Adopt(old);
  const auto due = fresh.Due(t.now, t.wall);
  ASSERT_EQ(due.size(), 2u);                              // sent at once to both
  EXPECT_EQ(EndsAt(due[1]), "2027-01-15T08:06:00.000Z");  // three of the new interval ahead
}

}  // namespace
}  // namespace reznet::nfr
