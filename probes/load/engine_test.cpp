// The load engine (probes/load/engine.hpp) against loopback servers: bodies delimited by the
// close, keep-alive, body limits and statuses (response framing: http1_test.cpp; over TLS:
// engine_tls_test.cpp).
#include "probes/load/engine.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <thread>

#include "config/loader.hpp"
#include "probes/load/load_test_support.hpp"
#include "tests/support/loopback_server.hpp"
#include "tests/support/raw_server.hpp"

namespace reznet::probes::load {
namespace {

using test_support::Kinds;
using test_support::SettingsOf;
using ::testing::HasSubstr;

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

}  // namespace
}  // namespace reznet::probes::load
