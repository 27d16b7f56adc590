// The load kind's settings (probes/load/load_config.hpp): templates, the RezNet flow by default,
// command-line overrides and segments, and config errors that say what to write.
#include "probes/load/load_config.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "config/loader.hpp"
#include "probes/load/load_test_support.hpp"

namespace reznet::probes::load {
namespace {

using namespace std::chrono_literals;
using test_support::Kinds;
using test_support::SettingsOf;
using ::testing::HasSubstr;

TEST(Template, SplitsHoles) {
  auto t = ParseTemplate("/api/channels/{{ channel_id }}/messages?u={{vu}}");
  EXPECT_FALSE(t.constant());
  EXPECT_EQ(t.Vars(), (std::vector<std::string>{"channel_id", "vu"}));
  EXPECT_TRUE(ParseTemplate("/health").constant());
  EXPECT_TRUE(ParseTemplate("").constant());
  EXPECT_EQ(ParseTemplate("a {{unclosed").parts.size(), 1u);
}

TEST(Overrides, LimitsStressAndSegments) {
  LoadSettings s;
  s.users = 100;
  s.limits.max_users = 150;
  Overrides o;
  o.stress = true;
  EXPECT_THAT(Apply(o, s), HasSubstr("200 users exceed limits.max_users 150"));
  LoadSettings t;
  t.users = 101;
  Overrides seg;
  seg.segments = 2;
  seg.segment = 1;
  LoadSettings a = t, b = t;
  EXPECT_EQ(Apply(seg, a), "");
  seg.segment = 2;
  EXPECT_EQ(Apply(seg, b), "");
  EXPECT_EQ(a.users + b.users, 101);  // every user in exactly one share
  LoadSettings r;
  r.executor = Executor::kConstantArrivalRate;
  r.rate = 300;
  r.max_vus = 10;
  seg.segments = 3;
  seg.segment = 3;
  EXPECT_EQ(Apply(seg, r), "");
  EXPECT_DOUBLE_EQ(r.rate, 100);
  LoadSettings d;
  d.duration = 2h;
  EXPECT_THAT(Apply({}, d), HasSubstr("exceeds limits.max_duration 30m"));
}

// --users alone never lifts the configured cap (a typo must not flatten a shared backend);
// --max-users replaces it for the run, for both executors.
TEST(Overrides, MaxUsersReplacesTheLimitForTheRun) {
  LoadSettings s;
  Overrides o;
  o.users = 10'000;
  EXPECT_THAT(Apply(o, s), HasSubstr("10000 users exceed limits.max_users 1000"));
  EXPECT_THAT(Apply(o, s), HasSubstr("--max-users"));
  o.max_users = 10'000;
  EXPECT_EQ(Apply(o, s), "");
  EXPECT_EQ(s.users, 10'000);
  EXPECT_EQ(s.limits.max_users, 10'000);
  LoadSettings r;
  r.executor = Executor::kConstantArrivalRate;
  r.max_vus = 5000;
  EXPECT_THAT(Apply({}, r), HasSubstr("5000 max_vus exceed limits.max_users 1000"));
  Overrides m;
  m.max_users = 5000;
  EXPECT_EQ(Apply(m, r), "");
}

TEST(LoadConfig, DefaultsAreTheRezNetFlowWithThinkTime) {
  auto cfg = config::LoadString(R"(targets: { b: { url: "http://127.0.0.1:8000/base" } }
probes:
  - { name: l, kind: load, target: b, load: { users: 100, ramp_up: 10s, duration: 1m } }
)",
                                "t.yaml", Kinds());
  const auto& s = SettingsOf(cfg);
  ASSERT_EQ(s.scenario.size(), 4u);
  EXPECT_EQ(s.scenario[2].name, "send_message");
  EXPECT_EQ(s.think_min, 1s);
  EXPECT_EQ(s.think_max, 3s);
  EXPECT_EQ(s.target.path, "/base");
  EXPECT_EQ(s.Span(), 10s + 1min + 5s);
  auto own = config::LoadString(R"(targets: { b: { url: "http://127.0.0.1:8000" } }
probes:
  - { name: l, kind: load, target: b, load: { scenario: [{ name: h, path: /health }] } }
)",
                                "t.yaml", Kinds());
  EXPECT_EQ(SettingsOf(own).think_max, 0s);
}

TEST(LoadConfig, ErrorsSayWhatToWrite) {
  try {
    config::LoadString(R"(targets: { b: { url: "https://x.example" } }
probes:
  - name: l
    kind: load
    target: b
    load:
      executor: closed
      think_time: 3s..1s
      users: 2000
      scenario:
        - { name: a, path: "/c/{{cid}}", weight: 2 }
        - { name: a, path: nope }
        - { name: b, path: "/c/{{iteration}} x", method: "GET /", headers: { "X": "a\nb" } }
)",
                       "t.yaml", Kinds());
    FAIL() << "expected errors";
  } catch (const config::ConfigError& e) {
    std::string all;
    for (const auto& l : e.errors()) all += l + "\n";
    EXPECT_THAT(all, HasSubstr("\"closed\": write ramping-vus or constant-arrival-rate"));
    EXPECT_THAT(all, HasSubstr("the range 3s..1s ends before it starts"));
    EXPECT_THAT(all, HasSubstr("{{cid}} is not extracted by an earlier step"));
    EXPECT_THAT(all, HasSubstr("scenario[0].weight: ratio \"2\" is outside 0%..100%"));
    EXPECT_THAT(all, HasSubstr("another step is already named \"a\""));
    EXPECT_THAT(all, HasSubstr("scenario[1].path: must start with \"/\""));
    // The hole counts as its own length: the space is the 17th character as written.
    EXPECT_THAT(all, HasSubstr("scenario[2].path: ' ' at 17 is not allowed in a URL path"));
    EXPECT_THAT(all, HasSubstr("scenario[2].method: \"GET /\" is not an HTTP method"));
    EXPECT_THAT(all, HasSubstr("scenario[2].headers: the value of \"X\" holds a control"));
    EXPECT_THAT(all, HasSubstr("2000 users exceed limits.max_users 1000"));
  }
}

}  // namespace
}  // namespace reznet::probes::load
