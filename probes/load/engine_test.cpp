// Load generator pieces: templates, overrides and segments, stats merge and the mergeable JSON,
// bodies and limits against loopback servers (response framing: http1_test.cpp).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "config/loader.hpp"
#include "probes/load/engine.hpp"
#include "probes/load/http1.hpp"
#include "probes/load/load_config.hpp"
#include "probes/load/load_probe.hpp"
#include "probes/load/load_stats.hpp"
#include "tests/support/loopback_server.hpp"
#include "tests/support/raw_server.hpp"

namespace reznet::probes::load {
namespace {

// The result, and why it was refused ("" when it was not), for the assertions below.
common::Result<LoadStats> ParseNoting(const std::string& text, std::string& why) {
  auto r = ParseLoadStats(text);
  why = r ? "" : r.error().detail;
  return r;
}

using namespace std::chrono_literals;
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

LoadStats Sample(std::string test, std::initializer_list<std::int64_t> ms, int failed) {
  LoadStats s;
  s.test = std::move(test);
  s.executor = "constant-arrival-rate";
  s.users = 5;
  s.rate = 10;
  s.seconds = 2;
  auto& st = s.Step("get");
  for (auto v : ms) {
    st.latency.Record(v * 1'000'000);
    st.raw.Record(v * 500'000);
    ++st.ok;
  }
  st.failed = failed;
  if (failed) st.errors["http_5xx"] = failed;
  s.lateness.Record(1000);
  s.iterations = ms.size() + failed;
  return s;
}

TEST(LoadStats, MergeAddsHistogramsExactly) {
  auto a = Sample("t", {10, 20, 30}, 1);
  auto b = Sample("t", {40, 50}, 0);
  a.Merge(b);
  EXPECT_EQ(a.Requests(), 6u);
  EXPECT_EQ(a.Failed(), 1u);
  EXPECT_EQ(a.users, 10);
  EXPECT_DOUBLE_EQ(a.rate, 20);
  const auto q = StatsOf(a.steps[0].latency);
  EXPECT_EQ(q.count, 5u);
  EXPECT_NEAR(q.p50, 0.030, 0.030 * 0.008);
  EXPECT_NEAR(q.max, 0.050, 1e-12);
  EXPECT_NEAR(q.min, 0.010, 1e-12);
}

TEST(LoadStats, JsonRoundTripKeepsWhatMergeNeeds) {
  auto a = Sample("t", {10, 20, 30}, 2);
  const std::string text = ToJson(a);
  EXPECT_THAT(text, HasSubstr("\"requests\": 5"));
  EXPECT_THAT(text, HasSubstr("\"error_rate\": 0.4"));
  auto back = ParseLoadStats(text);
  ASSERT_TRUE(back);
  EXPECT_EQ(ToJson(*back), text);
  std::string why;
  EXPECT_FALSE(ParseNoting("{\"test\": 1}", why));
  EXPECT_FALSE(why.empty());
  // A histogram whose buckets do not add up is refused, not merged.
  std::string broken = text;
  broken.replace(broken.find("\"count\": 3, \"sum_ns\""), 10, "\"count\": 4");
  EXPECT_FALSE(ParseNoting(broken, why));
}

TEST(LoadStats, OutcomeCarriesBucketsNotSamples) {
  auto a = Sample("t", {10, 20, 30}, 1);
  const Outcome o = ToOutcome(a);
  ASSERT_NE(o.FindPhase("request"), nullptr);
  EXPECT_EQ(o.FindPhase("request")->Count(), 3u);
  EXPECT_TRUE(o.FindPhase("request")->samples.empty());
  ASSERT_NE(o.FindPhase("step:get"), nullptr);
  ASSERT_NE(o.FindPhase("request_raw"), nullptr);
  EXPECT_DOUBLE_EQ(*o.Counter("error_rate"), 0.25);
  EXPECT_DOUBLE_EQ(*o.Counter("requests"), 4);
  EXPECT_TRUE(o.ok());
  auto all_failed = Sample("t", {}, 3);
  all_failed.steps[0].last_error = "http_5xx: status 503";
  EXPECT_EQ(ToOutcome(all_failed).error->kind, clients::ErrorKind::kAllFailed);
  EXPECT_THAT(ResultsBlock(a), HasSubstr("LOAD TEST RESULTS"));
  EXPECT_THAT(ResultsBlock(a), HasSubstr("Raw latency"));
}

config::KindTraitsMap Kinds();
const LoadSettings& SettingsOf(const config::Config& c);

// One user against `url` for a short while, scenario `GET /` (plus `extra` load settings and
// `step` settings).
LoadStats RunAgainst(const std::string& url, const std::string& extra = "",
                     const std::string& step = "") {
  auto cfg = config::LoadString(
      "targets: { b: { url: \"" + url +
          "\" } }\nprobes:\n  - { name: l, kind: load, target: b, load: { users: 1, threads: 1, "
          "duration: 300ms, request_timeout: 200ms, graceful_stop: 2s, think_time: 20ms, "
          "scenario: [{ name: get, path: / " +
          step + "}]" + extra + " } }\n",
      "t.yaml", Kinds());
  return RunLoad(SettingsOf(cfg), {}).value();
}

// Every failed request of the only step had error `kind`, and none succeeded.
void ExpectOnlyErrors(const LoadStats& s, const std::string& kind) {
  ASSERT_EQ(s.steps.size(), 1u);
  const auto& st = s.steps[0];
  EXPECT_EQ(st.ok, 0u) << st.last_error;
  EXPECT_GT(st.failed, 0u);
  EXPECT_EQ(st.errors, (std::map<std::string, std::uint64_t>{{kind, st.failed}})) << st.last_error;
}

constexpr std::string_view kNoLength = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nhello";

TEST(CloseDelimitedBody, EndsAtACleanClose) {
  testing::RawServer server([](testing::RawConn& c) {
    if (!c.ReadHead()) return;
    c.Write(kNoLength);
    c.Write(" world");
  });
  const auto s = RunAgainst(server.url(), "", ", expect: { body_contains: \"hello world\" }");
  ASSERT_EQ(s.steps.size(), 1u);
  EXPECT_GT(s.steps[0].ok, 0u);
  EXPECT_EQ(s.steps[0].failed, 0u) << s.steps[0].last_error;
}

TEST(CloseDelimitedBody, CutByTheRequestTimeoutIsATimeout) {
  testing::RawServer server([](testing::RawConn& c) {
    if (!c.ReadHead()) return;
    c.Write(kNoLength);
    c.WaitForClose();  // the body never ends
  });
  const auto s = RunAgainst(server.url());
  ExpectOnlyErrors(s, "timeout");
  EXPECT_THAT(s.steps[0].last_error, HasSubstr("no response within the request timeout"));
}

TEST(CloseDelimitedBody, ResetIsAnIoError) {
  testing::RawServer server([](testing::RawConn& c) {
    if (!c.ReadHead()) return;
    c.Write(kNoLength);
    c.Reset();
  });
  const auto s = RunAgainst(server.url());
  ExpectOnlyErrors(s, "io");
  EXPECT_THAT(s.steps[0].last_error, HasSubstr("reading a body delimited by the close"));
}

TEST(CloseDelimitedBody, MaxBodyBytesApplies) {
  testing::RawServer server([](testing::RawConn& c) {
    if (!c.ReadHead()) return;
    c.Write(kNoLength);
    c.Write(std::string(5000, 'x'));
  });
  const auto s = RunAgainst(server.url(), ", max_body_bytes: 1000");
  ExpectOnlyErrors(s, "body_too_large");
  EXPECT_THAT(s.steps[0].last_error, HasSubstr("exceeds max_body_bytes (1000 bytes)"));
}

// A request whose write the request timeout cuts (the server stopped reading; 8 MB is more than
// loopback buffers hold) is a timeout. The GET has the test's second to finish; the upload is cut
// at 2 s, after the end, so no second iteration opens a connection. It is not retried on a new
// connection as a kept-alive connection closed while idle is: the server must not see the request a
// second time.
TEST(KeepAlive, WriteCutByTheRequestTimeoutIsATimeoutNotARetry) {
  std::atomic<int> connections{0};
  std::atomic<bool> done{false};
  testing::RawServer server([&](testing::RawConn& c) {
    ++connections;
    if (!c.ReadHead()) return;
    c.Write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    while (!done) std::this_thread::sleep_for(std::chrono::milliseconds(5));  // reads no more
  });
  auto cfg = config::LoadString(
      "targets: { b: { url: \"" + server.url() +
          "\" } }\nprobes:\n  - { name: l, kind: load, target: b, load: { users: 1, threads: 1, "
          "duration: 1s, request_timeout: 2s, graceful_stop: 5s, think_time: 0s, "
          "scenario: [{ name: get, path: / }, { name: upload, method: POST, path: /, body: \"" +
          std::string(8'000'000, 'b') + "\" }] } }\n",
      "t.yaml", Kinds());
  const auto s = RunLoad(SettingsOf(cfg), {}).value();
  done = true;
  ASSERT_EQ(s.steps.size(), 2u);
  EXPECT_EQ(s.steps[0].ok, 1u) << s.steps[0].last_error;
  EXPECT_EQ(s.steps[1].errors, (std::map<std::string, std::uint64_t>{{"timeout", 1}}))
      << s.steps[1].last_error;
  EXPECT_EQ(connections.load(), 1);
}

// A user that thinks gives its read buffer back (Http1Conn::Idle) and keeps the connection: the
// next exchanges on it, with bodies larger than the first buffer, still read whole.
TEST(KeepAlive, ThinkingUsersReadWholeBodiesAfterIdle) {
  testing::LoopbackServer server([](httplib::Server& srv) {
    srv.Get("/", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(std::string(10000, 'x') + "end", "text/plain");
    });
  });
  const auto s = RunAgainst(server.url(), "", ", expect: { body_contains: \"xend\" }");
  ASSERT_EQ(s.steps.size(), 1u);
  EXPECT_GT(s.steps[0].ok, 3u);
  EXPECT_EQ(s.steps[0].failed, 0u) << s.steps[0].last_error;
}

TEST(MaxBodyBytes, AppliesToLengthAndChunkedBodies) {
  testing::LoopbackServer server([](httplib::Server& srv) {
    srv.Get("/", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(std::string(5000, 'x'), "text/plain");
    });
    srv.Get("/chunked/", [](const httplib::Request&, httplib::Response& res) {
      res.set_chunked_content_provider("text/plain", [](size_t, httplib::DataSink& sink) {
        for (int i = 0; i < 5; ++i) sink.write(std::string(1000, 'y').data(), 1000);
        sink.done();
        return true;
      });
    });
  });
  ExpectOnlyErrors(RunAgainst(server.url(), ", max_body_bytes: 4999"), "body_too_large");
  EXPECT_EQ(RunAgainst(server.url(), ", max_body_bytes: 5000").steps[0].failed, 0u);
  ExpectOnlyErrors(RunAgainst(server.url() + "/chunked", ", max_body_bytes: 4999"),
                   "body_too_large");
}

TEST(Status, OutsideTheRangeIsProtocolNot5xx) {
  testing::LoopbackServer server([](httplib::Server& srv) {
    srv.Get("/", [](const httplib::Request&, httplib::Response& res) {
      res.status = 999;
      res.set_content("odd", "text/plain");
    });
  });
  const auto s = RunAgainst(server.url());
  ExpectOnlyErrors(s, "protocol");
  EXPECT_THAT(s.steps[0].last_error, HasSubstr("status code outside 100–599: 999"));
}

config::KindTraitsMap Kinds() { return {{std::string(LoadProbe::kKind), LoadProbe::Traits()}}; }

const LoadSettings& SettingsOf(const config::Config& c) {
  return static_cast<const LoadSettings&>(*c.probes[0].settings);
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
