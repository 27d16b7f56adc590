// The load engine's HTTP/1.1 framing (RFC 9112 §6) on the wire (the head parser: http1_head_test),
// against raw loopback servers that send exactly the bytes under test, interim 1xx responses,
// repeated Content-Length, Transfer-Encoding with Content-Length, HEAD.
#include "probes/load/http1.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <string>

#include "config/loader.hpp"
#include "probes/load/engine.hpp"
#include "probes/load/load_config.hpp"
#include "probes/load/load_probe.hpp"
#include "tests/support/raw_server.hpp"

namespace reznet::probes::load {
namespace {

using ::testing::HasSubstr;

config::KindTraitsMap Kinds() { return {{std::string(LoadProbe::kKind), LoadProbe::Traits()}}; }

// One user, one step `step` ("{ name: get, path: / }" by default) against `url` for 300 ms.
LoadStats RunLoadAgainst(const std::string& url,
                         const std::string& step = "{ name: get, path: / }") {
  auto cfg = config::LoadString(
      "targets: { b: { url: \"" + url +
          "\" } }\nprobes:\n  - { name: l, kind: load, target: b, load: { users: 1, threads: 1, "
          "duration: 300ms, request_timeout: 500ms, graceful_stop: 2s, think_time: 20ms, "
          "scenario: [" +
          step + "] } }\n",
      "t.yaml", Kinds());
  return RunLoad(static_cast<const LoadSettings&>(*cfg.probes[0].settings), {}).value();
}

using Counting = testing::CountingServer;

constexpr std::string_view kHints =
    "HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n";
constexpr std::string_view kOk = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

// Before: the 103 was taken for the response and the 200 for the next request's (half the
// requests failed with "status 103", and the count was off).
TEST(Interim, EarlyHintsBeforeEveryResponseOnAKeptAliveConnection) {
  Counting s(std::string(kHints) + std::string(kOk));
  const auto stats = RunLoadAgainst(s.server.url());
  ASSERT_EQ(stats.steps.size(), 1u);
  EXPECT_EQ(stats.steps[0].failed, 0u) << stats.steps[0].last_error;
  EXPECT_GT(stats.steps[0].ok, 2u);
  EXPECT_EQ(stats.steps[0].ok, static_cast<std::uint64_t>(s.requests.load()));
  EXPECT_EQ(s.connections.load(), 1);
}

TEST(Interim, UpToTheBoundAreSkippedOneMoreIsAProtocolError) {
  std::string at_bound;
  for (int i = 0; i < kMaxInterimResponses; ++i) at_bound += "HTTP/1.1 100 Continue\r\n\r\n";
  Counting fine(at_bound + std::string(kOk));
  const auto ok = RunLoadAgainst(fine.server.url());
  EXPECT_EQ(ok.steps[0].failed, 0u) << ok.steps[0].last_error;
  EXPECT_EQ(ok.steps[0].ok, static_cast<std::uint64_t>(fine.requests.load()));
  Counting over(at_bound + std::string(kHints) + std::string(kOk));
  const auto bad = RunLoadAgainst(over.server.url());
  EXPECT_EQ(bad.steps[0].ok, 0u);
  EXPECT_EQ(bad.steps[0].errors,
            (std::map<std::string, std::uint64_t>{{"protocol", bad.steps[0].failed}}));
  EXPECT_THAT(bad.steps[0].last_error,
              HasSubstr("more than 16 interim (1xx) responses before the final one"));
}

// Before: 50,000 "100 Continue" heads counted as 50,000 responses. Now one request, one error,
// and the connection is closed (each request the server read came on a connection of its own).
TEST(Interim, AFloodIsOneProtocolErrorPerRequest) {
  std::string flood;
  for (int i = 0; i < 5000; ++i) flood += "HTTP/1.1 100 Continue\r\n\r\n";
  Counting s(flood + std::string(kOk));
  const auto stats = RunLoadAgainst(s.server.url());
  const auto& st = stats.steps[0];
  EXPECT_EQ(st.ok, 0u);
  EXPECT_GT(st.failed, 0u);
  EXPECT_EQ(st.errors, (std::map<std::string, std::uint64_t>{{"protocol", st.failed}}));
  EXPECT_EQ(st.failed, static_cast<std::uint64_t>(s.requests.load()));
  EXPECT_EQ(s.connections.load(), s.requests.load());
}

// Before: the connection was kept and the next request read the other protocol's bytes.
TEST(Interim, SwitchingProtocolsIsTheFinalResponseAndEndsTheConnection) {
  Counting s(
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"
      "\x81\x05hello");
  const auto stats =
      RunLoadAgainst(s.server.url(), "{ name: get, path: /, expect: { status: 101 } }");
  const auto& st = stats.steps[0];
  EXPECT_EQ(st.failed, 0u) << st.last_error;
  EXPECT_GT(st.ok, 1u);
  EXPECT_EQ(s.connections.load(), s.requests.load());
  const auto unasked = RunLoadAgainst(s.server.url());  // expected 2xx: 101 is the request's status
  EXPECT_THAT(unasked.steps[0].last_error, HasSubstr("status 101"));
}

TEST(Framing, DifferingContentLengthsAreAProtocolErrorTheSameRepeatedIsNot) {
  Counting conflict("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 5\r\n\r\nokxyz");
  const auto bad = RunLoadAgainst(conflict.server.url());
  EXPECT_EQ(bad.steps[0].ok, 0u);
  EXPECT_EQ(bad.steps[0].errors,
            (std::map<std::string, std::uint64_t>{{"protocol", bad.steps[0].failed}}));
  EXPECT_THAT(bad.steps[0].last_error, HasSubstr("conflicting Content-Length values"));
  Counting list("HTTP/1.1 200 OK\r\nContent-Length: 2, 5\r\n\r\nokxyz");
  EXPECT_THAT(RunLoadAgainst(list.server.url()).steps[0].last_error,
              HasSubstr("conflicting Content-Length values"));
  Counting same("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok");
  const auto good = RunLoadAgainst(same.server.url());
  EXPECT_EQ(good.steps[0].failed, 0u) << good.steps[0].last_error;
  EXPECT_EQ(good.steps[0].ok, static_cast<std::uint64_t>(same.requests.load()));
  EXPECT_EQ(same.connections.load(), 1);
}

// Before: chunked was read and the Content-Length ignored, as a smuggling response wants.
TEST(Framing, TransferEncodingWithContentLengthIsAProtocolError) {
  Counting s(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n"
      "2\r\nok\r\n0\r\n\r\n");
  const auto stats = RunLoadAgainst(s.server.url());
  EXPECT_EQ(stats.steps[0].ok, 0u);
  EXPECT_EQ(stats.steps[0].errors,
            (std::map<std::string, std::uint64_t>{{"protocol", stats.steps[0].failed}}));
  EXPECT_THAT(stats.steps[0].last_error, HasSubstr("both Transfer-Encoding and Content-Length"));
}

// Before: "chunked, gzip" was decoded as chunked ("bad chunk size").
TEST(Framing, ABodyWhoseFinalCodingIsNotChunkedEndsAtTheClose) {
  Counting s("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\nhello world",
             /*close=*/true);
  const auto stats = RunLoadAgainst(
      s.server.url(), "{ name: get, path: /, expect: { body_contains: \"hello world\" } }");
  EXPECT_EQ(stats.steps[0].failed, 0u) << stats.steps[0].last_error;
  EXPECT_GT(stats.steps[0].ok, 0u);
}

// Before: the engine waited for the 5 bytes the Content-Length announced (a timeout).
TEST(Framing, AResponseToHeadHasNoBody) {
  Counting s("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n");
  const auto stats = RunLoadAgainst(s.server.url(), "{ name: head, method: HEAD, path: / }");
  EXPECT_EQ(stats.steps[0].failed, 0u) << stats.steps[0].last_error;
  EXPECT_EQ(stats.steps[0].ok, static_cast<std::uint64_t>(s.requests.load()));
  EXPECT_EQ(s.connections.load(), 1);
}

}  // namespace
}  // namespace reznet::probes::load
