// The http probe against a real loopback HTTP server (tests/support, cpp-httplib on port 0).
#include "probes/http/http_probe.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <thread>

#include "probes/probe.hpp"
#include "tests/support/loopback_server.hpp"
#include "tests/support/probe_runs.hpp"

namespace reznet::probes {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

// The routes every test here uses.
void Routes(httplib::Server& server) {
  server.Get("/delay", [](const httplib::Request& req, httplib::Response& res) {
    std::this_thread::sleep_for(std::chrono::milliseconds(std::stoi(req.get_param_value("ms"))));
    res.set_content(R"({"status": "ok", "items": [{"id": 7, "name": "a"}]})", "application/json");
  });
  server.Get("/status500", [](const httplib::Request&, httplib::Response& res) {
    res.status = 500;
    res.set_content("boom", "text/plain");
  });
  server.Get("/big", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(std::string(100000, 'x'), "text/plain");
  });
  server.Get("/fatheaders", [](const httplib::Request&, httplib::Response& res) {
    res.set_header("X-Padding", std::string(70000, 'h'));
    res.set_content("ok", "text/plain");
  });
  server.Post("/echo", [](const httplib::Request& req, httplib::Response& res) {
    res.set_content(req.body + "|" + req.get_header_value("X-Test"), "text/plain");
  });
}

class LoopbackServer : public testing::LoopbackServer {
 public:
  LoopbackServer() : testing::LoopbackServer(Routes) {}
};

// Loads a one-probe config around `http_block` and runs the probe once.
Outcome RunHttp(const std::string& url, const std::string& http_block, std::string timeout = "2s") {
  return testing::RunProbeOnce(testing::LoadConfig("targets:\n  t: { url: \"" + url +
                                                   "\" }\nprobes:\n  - name: p\n    kind: http\n"
                                                   "    target: t\n    timeout: " +
                                                   timeout + "\n    http: " + http_block + "\n"));
}

TEST(HttpProbe, MeasuresPhasesAgainstKnownDelay) {
  LoopbackServer server;
  auto o = RunHttp(server.url(), "{ path: \"/delay?ms=50\" }");
  ASSERT_TRUE(o.ok()) << o.error->detail;
  for (const char* phase : {"connect", "ttfb", "transfer", "total"}) {
    ASSERT_NE(o.FindPhase(phase), nullptr) << phase;
    EXPECT_EQ(o.FindPhase(phase)->samples.size(), 1u) << phase;
  }
  EXPECT_EQ(o.FindPhase("dns"), nullptr);  // IP literal: no lookup happened
  EXPECT_EQ(o.FindPhase("tls"), nullptr);
  const auto ttfb = o.FindPhase("ttfb")->samples[0];
  const auto total = o.FindPhase("total")->samples[0];
  EXPECT_GE(ttfb, 50ms);  // the server sleeps 50 ms before the first byte
  EXPECT_GE(total, ttfb + o.FindPhase("connect")->samples[0]);
  EXPECT_EQ(*o.Counter("status"), 200);
  EXPECT_EQ(*o.Counter("bytes"), 51);  // the body above
}

TEST(HttpProbe, SamplesWithKeepAliveConnectOnce) {
  LoopbackServer server;
  auto o = RunHttp(server.url(), "{ path: \"/delay?ms=1\", samples: 3, keep_alive: true }");
  ASSERT_TRUE(o.ok()) << o.error->detail;
  EXPECT_EQ(o.FindPhase("total")->samples.size(), 3u);
  EXPECT_EQ(o.FindPhase("connect")->samples.size(), 1u);
  auto fresh = RunHttp(server.url(), "{ path: \"/delay?ms=1\", samples: 3 }");
  EXPECT_EQ(fresh.FindPhase("connect")->samples.size(), 3u);
}

TEST(HttpProbe, StatusAssertion) {
  LoopbackServer server;
  auto o = RunHttp(server.url(), "{ path: /status500 }");
  ASSERT_TRUE(o.error);
  EXPECT_EQ(o.error->kind, clients::ErrorKind::kHttpStatus);
  EXPECT_EQ(o.error->detail, "status 500, expected 2xx");
  EXPECT_EQ(*o.Counter("status"), 500);
  auto listed = RunHttp(server.url(), "{ path: /status500, expect: { status: [200, 204] } }");
  EXPECT_EQ(listed.error->detail, "status 500, expected 200 or 204");
  auto accepted =
      RunHttp(server.url(), "{ path: /status500, expect: { status: 500, body_contains: boom } }");
  EXPECT_TRUE(accepted.ok());
}

TEST(HttpProbe, JsonFieldAssertions) {
  LoopbackServer server;
  EXPECT_TRUE(
      RunHttp(server.url(),
              "{ path: \"/delay?ms=0\", expect: { json: { status: ok, \"items[0].id\": \"7\" } } }")
          .ok());
  auto wrong = RunHttp(server.url(),
                       "{ path: \"/delay?ms=0\", expect: { json: { \"items[0].name\": b } } }");
  ASSERT_TRUE(wrong.error);
  EXPECT_EQ(wrong.error->kind, clients::ErrorKind::kAssertion);
  EXPECT_EQ(wrong.error->detail, "JSON field items[0].name is \"a\", expected \"b\"");
  auto missing = RunHttp(server.url(),
                         "{ path: \"/delay?ms=0\", expect: { json: { \"items[3].id\": \"1\" } } }");
  EXPECT_EQ(missing.error->detail, "JSON field items[3].id is missing");
  auto not_json = RunHttp(server.url(), "{ path: /big, expect: { json: { a: b } } }");
  EXPECT_THAT(not_json.error->detail, HasSubstr("body is not JSON"));
}

TEST(HttpProbe, BodyLimitNamesTheLimit) {
  LoopbackServer server;
  auto o = RunHttp(server.url(), "{ path: /big, max_body_bytes: 1000 }");
  ASSERT_TRUE(o.error);
  EXPECT_EQ(o.error->kind, clients::ErrorKind::kBodyTooLarge);
  EXPECT_EQ(o.error->detail, "response body exceeds max_body_bytes (1000 bytes)");
}

TEST(HttpProbe, HeaderLimitIsNotABodyLimit) {
  LoopbackServer server;
  auto o = RunHttp(server.url(), "{ path: /fatheaders }");
  ASSERT_TRUE(o.error);
  EXPECT_EQ(o.error->kind, clients::ErrorKind::kHeaderTooLarge);
  EXPECT_EQ(o.error->detail, "response headers exceed 65536 bytes");
}

TEST(HttpProbe, FailedRunKeepsThePhasesItMeasured) {
  LoopbackServer server;  // answers after 1.5 s; the run gives up at 0.3 s
  auto o = RunHttp(server.url(), "{ path: \"/delay?ms=1500\" }", "300ms");
  ASSERT_TRUE(o.error);
  EXPECT_EQ(o.error->kind, clients::ErrorKind::kTimeout);
  ASSERT_NE(o.FindPhase("connect"), nullptr) << "connected before it failed";
  EXPECT_EQ(o.FindPhase("connect")->samples.size(), 1u);
  EXPECT_EQ(o.FindPhase("total"), nullptr) << "no response, no total";
}

TEST(HttpProbe, PostsBodyAndHeaders) {
  LoopbackServer server;
  auto o = RunHttp(server.url(),
                   "{ method: POST, path: /echo, body: hello, headers: { X-Test: yes }, expect: { "
                   "body_contains: \"hello|yes\" } }");
  EXPECT_TRUE(o.ok()) << o.error->detail;
}

TEST(HttpProbe, RefusedConnectionIsConnectError) {
  int port = 0;
  {
    LoopbackServer server;  // take a port that was just free, then close it
    port = server.port();
  }
  auto o = RunHttp("http://127.0.0.1:" + std::to_string(port), "{ path: / }");
  ASSERT_TRUE(o.error);
  EXPECT_EQ(o.error->kind, clients::ErrorKind::kConnect);
  EXPECT_THAT(o.error->detail, HasSubstr("Connection refused"));
}

TEST(HttpProbe, SlowServerIsTimeout) {
  LoopbackServer server;
  auto o = RunHttp(server.url(), "{ path: \"/delay?ms=1500\" }", "200ms");
  ASSERT_TRUE(o.error);
  EXPECT_EQ(o.error->kind, clients::ErrorKind::kTimeout);
  EXPECT_EQ(o.error->detail, "waiting for the response: deadline reached");
}

TEST(HttpProbe, DnsPhaseForHostNames) {
  LoopbackServer server;
  auto o =
      RunHttp("http://localhost:" + std::to_string(server.port()), "{ path: \"/delay?ms=0\" }");
  ASSERT_TRUE(o.ok()) << o.error->detail;
  EXPECT_EQ(o.FindPhase("dns")->samples.size(), 1u);
}

TEST(HttpConfig, ErrorsNameTheKey) {
  EXPECT_THAT(
      testing::ConfigErrors(R"(targets:
  t: { url: "http://127.0.0.1:1" }
probes:
  - name: p
    kind: http
    target: t
    http:
      path: health
      methd: GET
      samples: 0
      expect: { status: 999, json: { "a[": b } }
)",
                            "h.yaml"),
      ::testing::ElementsAre(
          "h.yaml:8:13: probes[0].http.path: must start with \"/\", like \"/health\"",
          "h.yaml:10:16: probes[0].http.samples: must be between 1 and 1000, got 0",
          "h.yaml:11:25: probes[0].http.expect.status: expected an HTTP status code like 200, "
          "got \"999\"",
          "h.yaml:11:36: probes[0].http.expect.json: bad JSON field path \"a[\"; write it like "
          "\"status\", \"data.items[0].id\" or \"$[0].id\"",
          "h.yaml:9:7: probes[0].http.methd: unknown key \"methd\"; did you mean \"method\"?"));
}

TEST(HttpConfig, NothingThatCouldSplitTheRequestIsAccepted) {
  // Issue #24, break 2: paths and headers go on the request line and header lines as written.
  EXPECT_THAT(
      testing::ConfigErrors(R"(targets:
  t: { url: "http://127.0.0.1:1/a b", headers: { "X-Key": "v\r\nX-Injected: 1" } }
  u: { url: "http://[::ffff:127.0.0.1%eth0]:1" }
probes:
  - name: p
    kind: http
    target: t
    http: { path: "/x HTTP/1.1\r\nX-Injected: yes", headers: { "Bad Name": v } }
)",
                            "h.yaml"),
      ::testing::IsSupersetOf({
          ::testing::HasSubstr("h.yaml:2:13: targets.t.url: expected a URL like "
                               "\"http://127.0.0.1:8000\", got \"http://127.0.0.1:1/a b\" (' ' at "
                               "21 is not allowed in a URL path or query (RFC 3986); "
                               "percent-encode it)"),
          ::testing::HasSubstr("targets.t.headers: the value of \"X-Key\" holds a control "
                               "character"),
          ::testing::HasSubstr("targets.u.url: expected a URL like"),
          ::testing::HasSubstr("h.yaml:8:19: probes[0].http.path: ' ' at 3 is not allowed"),
          ::testing::HasSubstr("probes[0].http.headers: ' ' at 4 is not allowed in a header name"),
      }));
}

TEST(JsonPath, Parses) {
  auto p = clients::ParseJsonPath("$[0].channel.ids[12]");
  ASSERT_TRUE(p);
  ASSERT_EQ(p->steps.size(), 4u);
  EXPECT_EQ(p->steps[0].index, 0);
  EXPECT_EQ(p->steps[1].key, "channel");
  EXPECT_EQ(p->steps[3].index, 12);
  EXPECT_FALSE(clients::ParseJsonPath("a..b"));
  EXPECT_FALSE(clients::ParseJsonPath(""));
}

// What the rest of the daemon knows of the kind (its traits).
TEST(HttpKind, DeclaresItsSuiteDefaultsScheduleAndSeries) {
  const config::KindTraits t = HttpProbe::Traits();
  EXPECT_EQ(t.name, "http");
  EXPECT_EQ(t.default_samples, 30);
  EXPECT_EQ(t.profiles, (std::vector<std::string>{"quick", "standard"}));
  EXPECT_FALSE(t.on_demand);
  EXPECT_EQ(t.chart_phase, "total");
  EXPECT_TRUE(t.ratios.empty());
  // https: the certificate's expiry, a gauge of the last run that handshook (issue #27 item 4).
  ASSERT_EQ(t.metrics.size(), 1u);
  EXPECT_EQ(t.metrics[0].counter, "cert_expiry");
  EXPECT_EQ(t.metrics[0].name, "reznet_perf_http_cert_expiry_timestamp_seconds");
  EXPECT_FALSE(t.metrics[0].total);
}

}  // namespace
}  // namespace reznet::probes
