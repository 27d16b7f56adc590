// The load engine over TLS against real loopback HTTPS servers (cpp-httplib's SSLServer with a
// certificate the openssl command line makes per test) and hostile TCP servers: the RezNet flow
// with ca_file, session resumption, a handshake per request without keep-alive, and one clear
// error kind for each way the handshake can go wrong.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "config/loader.hpp"
#include "probes/load/engine.hpp"
#include "probes/load/load_probe.hpp"
#include "tests/support/loopback_server.hpp"
#include "tests/support/raw_server.hpp"

namespace reznet::probes::load {
namespace {

using ::testing::HasSubstr;

// A RezNet backend in miniature: agents, channels, messages (POST answers 201 with an id).
void RezNetRoutes(httplib::Server& srv) {
  auto json = [](const char* body) {
    return [body](const httplib::Request&, httplib::Response& res) {
      res.set_content(body, "application/json");
    };
  };
  srv.Get("/api/agents", json(R"([{"id": 1, "name": "Architect"}])"));
  srv.Get("/api/channels", json(R"([{"id": 7, "name": "general"}])"));
  srv.Get(R"(/api/channels/7/messages)", json(R"([{"id": 1, "text": "hi"}])"));
  srv.Post(R"(/api/channels/7/messages)", [](const httplib::Request&, httplib::Response& res) {
    res.status = 201;
    res.set_content(R"({"id": 2})", "application/json");
  });
}

// A short test with the default RezNet scenario (no think time) against `target_yaml`.
LoadStats RunTls(const std::string& target_yaml, const std::string& extra = "",
                 const std::string& request_timeout = "2s") {
  const auto cfg = config::LoadString(
      "targets:\n  b: " + target_yaml +
          "\nprobes:\n  - { name: l, kind: load, target: b, load: { users: 2, threads: 1, "
          "duration: 400ms, think_time: 0s, graceful_stop: 3s, request_timeout: " +
          request_timeout + extra + " } }\n",
      "tls.yaml", {{std::string(LoadProbe::kKind), LoadProbe::Traits()}});
  return RunLoad(static_cast<const LoadSettings&>(*cfg.probes[0].settings), {}).value();
}

std::string Trusted(const testing::LoopbackServer& server) {
  return "{ url: \"" + server.url() + "\", ca_file: \"" + server.cert() + "\" }";
}

// The failure tests run one step: later steps of the RezNet flow would fail on `extract`.
constexpr const char* kOneStep = ", scenario: [{ name: agents, path: /api/agents }]";

// Every request failed, all with error `kind`; the last error text.
std::string OnlyErrors(const LoadStats& s, const std::string& kind) {
  std::string last;
  EXPECT_GT(s.Requests(), 0u);
  EXPECT_EQ(s.Failed(), s.Requests());
  for (const auto& st : s.steps) {
    for (const auto& [k, n] : st.errors) EXPECT_EQ(k, kind) << st.last_error;
    if (!st.last_error.empty()) last = st.last_error;
  }
  return last;
}

TEST(LoadTls, RezNetFlowWithCaFileResumesSessions) {
  testing::LoopbackServer server(testing::Tls{"IP:127.0.0.1"}, RezNetRoutes);
  const auto s = RunTls(Trusted(server));
  EXPECT_EQ(s.Failed(), 0u) << s.steps[0].last_error << s.steps[2].last_error;
  ASSERT_EQ(s.steps.size(), 4u);
  for (const auto& st : s.steps) EXPECT_GT(st.ok, 0u) << st.name;  // extraction worked
  EXPECT_GE(s.tls.summary().count, 2u);  // one connection per user at least
  const Outcome o = ToOutcome(s);
  ASSERT_NE(o.FindPhase("tls"), nullptr);
  EXPECT_EQ(*o.Counter("tls_handshakes"), static_cast<double>(s.tls.summary().count));
  EXPECT_THAT(ResultsBlock(s), HasSubstr("TLS handshakes:"));
  const auto back = ParseLoadStats(ToJson(s));  // `load merge` keeps the handshakes
  ASSERT_TRUE(back);
  EXPECT_EQ(back->tls.summary().count, s.tls.summary().count);
  EXPECT_EQ(back->tls_resumed, s.tls_resumed);
}

TEST(LoadTls, WithoutKeepAliveEveryRequestHandshakesAndResumes) {
  testing::LoopbackServer server(testing::Tls{"IP:127.0.0.1"}, RezNetRoutes);
  const auto s = RunTls(Trusted(server), ", keep_alive: false");
  EXPECT_EQ(s.Failed(), 0u);
  EXPECT_EQ(s.tls.summary().count, s.Requests());
  // Every user's first handshake is full; its later ones resume the session it was given.
  EXPECT_GE(s.tls_resumed, s.Requests() - 2) << s.Requests();
}

// Bodies larger than the socket takes at once (4.5 MB; loopback takes 4 MB), both ways, plain and
// TLS: the server pauses before reading a request's body, so the request goes out in parts (the
// rest after waiting for room); the response arrives in many reads (TLS: many records); and users
// that think give their buffers back and allocate them again.
TEST(LoadTls, LargeBodiesBothWaysPlainAndTls) {
  const auto routes = [](httplib::Server& srv) {
    srv.Post("/echo", [](const httplib::Request&, httplib::Response& res,
                         const httplib::ContentReader& read) {
      std::size_t got = 0;
      read([&got](const char*, std::size_t n) {
        if (got == 0) std::this_thread::sleep_for(std::chrono::milliseconds(100));
        got += n;
        return true;
      });
      res.set_content(std::string(300000, 'z') + ":" + std::to_string(got), "text/plain");
    });
  };
  testing::LoopbackServer plain(routes);
  testing::LoopbackServer tls(testing::Tls{"IP:127.0.0.1"}, routes);
  // One parse of the 4.5 MB body (a YAML alias gives the second probe the same settings).
  const auto cfg = config::LoadString(
      "targets:\n  p: { url: \"" + plain.url() + "\" }\n  t: " + Trusted(tls) +
          "\nprobes:\n  - { name: plain, kind: load, target: p, load: &load { users: 2, "
          "threads: 1, duration: 500ms, think_time: 10ms, max_body_bytes: 400000, "
          "request_timeout: 5s, scenario: [{ name: post, method: POST, path: /echo, body: \"" +
          std::string(4'500'000, 'b') +
          "\", expect: { body_contains: \"z:4500000\" } }] } }\n"
          "  - { name: tls, kind: load, target: t, load: *load }\n",
      "large.yaml", {{std::string(LoadProbe::kKind), LoadProbe::Traits()}});
  for (const auto& probe : cfg.probes) {
    const auto s = RunLoad(static_cast<const LoadSettings&>(*probe.settings), {}).value();
    EXPECT_GT(s.Requests(), 2u) << probe.name;
    EXPECT_EQ(s.Failed(), 0u) << probe.name << ": " << s.steps[0].last_error;
  }
}

TEST(LoadTls, UnknownCaFailsEveryRequestWithTheReason) {
  testing::LoopbackServer server(testing::Tls{"IP:127.0.0.1"}, RezNetRoutes);
  const auto last = OnlyErrors(RunTls("{ url: \"" + server.url() + "\" }", kOneStep), "tls");
  EXPECT_THAT(last, HasSubstr("TLS handshake with 127.0.0.1: certificate verify failed"));
  EXPECT_THAT(last, HasSubstr("self-signed certificate"));
}

TEST(LoadTls, HostNameIsVerifiedUnlessInsecureSkipVerify) {
  testing::LoopbackServer server(testing::Tls{"DNS:other.example"}, RezNetRoutes);
  EXPECT_THAT(OnlyErrors(RunTls(Trusted(server), kOneStep), "tls"),
              HasSubstr("certificate verify failed"));
  const auto s = RunTls("{ url: \"" + server.url() + "\", insecure_skip_verify: true }");
  EXPECT_EQ(s.Failed(), 0u);
}

TEST(LoadTls, PlainHttpServerOnAnHttpsUrlIsTls) {
  testing::RawServer server([](testing::RawConn& c) {
    c.ReadSome();  // the ClientHello, answered as a plain-HTTP server would
    c.Write("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  });
  EXPECT_THAT(OnlyErrors(RunTls("{ url: \"" + server.url(true) + "\" }", kOneStep), "tls"),
              HasSubstr("does the server speak plain HTTP on this port?"));
}

TEST(LoadTls, ServerClosingMidHandshakeIsTls) {
  testing::RawServer server([](testing::RawConn& c) { c.ReadSome(); });
  OnlyErrors(RunTls("{ url: \"" + server.url(true) + "\" }", kOneStep), "tls");
}

TEST(LoadTls, SilentServerIsTlsWithinTheRequestTimeout) {
  testing::RawServer server([](testing::RawConn& c) { c.WaitForClose(); });
  const auto last =
      OnlyErrors(RunTls("{ url: \"" + server.url(true) + "\" }", kOneStep, "100ms"), "tls");
  EXPECT_THAT(last, HasSubstr("no TLS handshake within the request timeout"));
}

TEST(LoadTls, TlsServerOnAnHttpUrlIsOneKind) {
  testing::LoopbackServer server(testing::Tls{"IP:127.0.0.1"}, RezNetRoutes);
  std::string url = server.url();
  url.replace(0, 5, "http");
  const auto s = RunTls("{ url: \"" + url + "\" }", kOneStep);
  ASSERT_GT(s.Requests(), 0u);
  EXPECT_EQ(s.Failed(), s.Requests());
  std::map<std::string, std::uint64_t> kinds;
  for (const auto& st : s.steps)
    for (const auto& [k, n] : st.errors) kinds[k] += n;
  EXPECT_EQ(kinds.size(), 1u) << s.steps[0].last_error;
  EXPECT_THAT(s.steps[0].last_error, HasSubstr("https://")) << s.steps[0].last_error;
}

}  // namespace
}  // namespace reznet::probes::load
