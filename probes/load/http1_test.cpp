// The load engine's HTTP/1.1 framing (RFC 9112 §6): the response head parser, and on the wire
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

TEST(ParseHead, LengthChunkedCloseAndIncomplete) {
  auto h = ParseHead("HTTP/1.1 200 OK\r\nContent-Length: 12\r\nX: y\r\n\r\nhello");
  ASSERT_TRUE(h.complete);
  EXPECT_FALSE(h.bad);
  EXPECT_EQ(h.status, 200);
  EXPECT_EQ(h.content_length, 12);
  EXPECT_FALSE(h.close);
  EXPECT_EQ(h.size, std::string("HTTP/1.1 200 OK\r\nContent-Length: 12\r\nX: y\r\n\r\n").size());
  h = ParseHead("HTTP/1.1 201 Created\r\ntransfer-encoding: Chunked\r\nConnection: close\r\n\r\n");
  EXPECT_TRUE(h.chunked);
  EXPECT_TRUE(h.close);
  EXPECT_EQ(h.status, 201);
  EXPECT_FALSE(ParseHead("HTTP/1.1 200 OK\r\nContent-Le").complete);
  h = ParseHead("HTTP/1.0 204 No Content\r\n\r\n");
  EXPECT_TRUE(h.close);  // 1.0 closes unless keep-alive
  EXPECT_EQ(h.content_length, 0);
  EXPECT_TRUE(ParseHead("SSH-2.0-OpenSSH\r\n\r\n").bad);
  EXPECT_TRUE(ParseHead("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n").bad);
  EXPECT_TRUE(ParseHead(std::string(70 * 1024, 'x')).bad);  // no end of head in 64 KiB
}

// nginx's head, as the load bench reads it 200,000 times a second: every prefix of it waits for
// more bytes (never "bad"), and the whole is read exactly.
TEST(ParseHead, EveryPrefixOfARealHeadIsIncomplete) {
  const std::string head =
      "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Tue, 01 Dec 2026 10:00:00 GMT\r\n"
      "Content-Type: application/octet-stream\r\nContent-Length: 3\r\nConnection: "
      "keep-alive\r\n\r\n";
  for (std::size_t n = 0; n < head.size(); ++n) {
    const auto h = ParseHead(std::string_view(head).substr(0, n));
    EXPECT_FALSE(h.complete) << n;
    EXPECT_FALSE(h.bad) << n;
  }
  const auto h = ParseHead(head + "ok\n");
  ASSERT_TRUE(h.complete);
  EXPECT_FALSE(h.bad);
  EXPECT_EQ(h.size, head.size());
  EXPECT_EQ(h.content_length, 3);
  EXPECT_FALSE(h.close);
  EXPECT_FALSE(h.chunked);
}

TEST(ParseHead, HeaderNamesInAnyCaseWithTheColonRightAfter) {
  auto h = ParseHead("HTTP/1.0 200 OK\r\nCONNECTION:  Keep-Alive \r\ncontent-LENGTH:7\r\n\r\n");
  EXPECT_FALSE(h.close);  // HTTP/1.0 kept alive when asked
  EXPECT_EQ(h.content_length, 7);
  h = ParseHead("HTTP/1.1 200 OK\r\nConnection: Upgrade, Close\r\nContent-Length : 9\r\n\r\n");
  EXPECT_TRUE(h.close);
  EXPECT_EQ(h.content_length, -1);  // "Content-Length " is another name
  h = ParseHead("HTTP/1.1 200 OK\r\nX-Note: a\nb\r\nTransfer-Encoding: gzip, chunked\r\n\r\n");
  EXPECT_TRUE(h.complete);  // a bare LF inside a line does not end it
  EXPECT_TRUE(h.chunked);
  h = ParseHead("HTTP/1.1 200 OK\r\nContent-Length: x\r\nConnection: close\r\n\r\n");
  EXPECT_TRUE(h.bad);
  EXPECT_STREQ(h.why, "bad Content-Length");
  EXPECT_FALSE(ParseHead("HTTP/1.1 200 OK\r\nContent-Length: x\r\n").complete);
  EXPECT_TRUE(ParseHead("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n").bad);
  EXPECT_EQ(ParseHead("HTTP/1.1 200 OK\r\nContent-Length: 12, 12\r\n\r\n").content_length, 12);
  // A byte that reads as a letter only with the case bit set is not one ('\r' | 0x20 is '-').
  EXPECT_EQ(ParseHead("HTTP/1.1 200 OK\r\nContent\rLength: 5\r\n\r\n").content_length, -1);
  EXPECT_EQ(ParseHead("HTTP/1.1 200 OK\r\nCONTENT-LENGTH: 5\r\n\r\n").content_length, 5);
  // Content-Length is 1*DIGIT: no sign, not even on 0; the largest long long is one.
  EXPECT_STREQ(ParseHead("HTTP/1.1 200 OK\r\nContent-Length: -0\r\n\r\n").why,
               "bad Content-Length");
  EXPECT_EQ(
      ParseHead("HTTP/1.1 200 OK\r\nContent-Length: 9223372036854775807\r\n\r\n").content_length,
      9223372036854775807LL);
  h = ParseHead("HTTP/1.1 -12 Odd\r\n\r\n");
  EXPECT_STREQ(h.why, "status code outside 100–599");
  EXPECT_EQ(h.status, -12);
  // What an incomplete head's headers said is not reported before the head is whole.
  h = ParseHead("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n");
  EXPECT_EQ(h.content_length, -1);
  EXPECT_FALSE(h.chunked);
}

TEST(ParseHead, StatusOutside100To599IsBad) {
  auto h = ParseHead("HTTP/1.1 999 Weird\r\nContent-Length: 0\r\n\r\n");
  EXPECT_TRUE(h.bad);
  EXPECT_EQ(h.status, 999);
  EXPECT_STREQ(h.why, "status code outside 100–599");
  EXPECT_TRUE(ParseHead("HTTP/1.1 099 Low\r\n\r\n").bad);
  EXPECT_TRUE(ParseHead("HTTP/1.1 2x0 OK\r\n\r\n").bad);
  EXPECT_FALSE(ParseHead("HTTP/1.1 599 Edge\r\nContent-Length: 0\r\n\r\n").bad);
  // A four-digit code is not a 1xx followed by a digit (it was read as 100, an interim response,
  // and the request waited for a final one until its timeout).
  EXPECT_TRUE(ParseHead("HTTP/1.1 1000 X\r\nContent-Length: 2\r\n\r\n").bad);
  EXPECT_TRUE(ParseHead("HTTP/1.1x200 OK\r\n\r\n").bad);
  EXPECT_FALSE(ParseHead("HTTP/1.1 204\r\n\r\n").bad);  // no reason, no space after the code
}

TEST(ParseHead, ContentLengthIsOneNumberOrAConflict) {
  constexpr std::string_view kOk = "HTTP/1.1 200 OK\r\n";
  const auto parse = [&](std::string_view headers) {
    return ParseHead(std::string(kOk) + std::string(headers) + "\r\n");
  };
  // RFC 9112 §6.3 item 5: values that differ are unrecoverable, whichever way they come.
  for (const auto* headers :
       {"Content-Length: 2\r\nContent-Length: 5\r\n", "Content-Length: 5, 6\r\n",
        "Content-Length: 2\r\nContent-Length: 2, 3\r\n"}) {
    const auto h = parse(headers);
    EXPECT_TRUE(h.bad) << headers;
    EXPECT_STREQ(h.why, "conflicting Content-Length values") << headers;
    EXPECT_EQ(h.status, 0) << headers;
  }
  // The same value repeated is that value (RFC 9110 §8.6 lets a recipient accept it).
  EXPECT_EQ(parse("Content-Length: 2\r\nContent-Length: 2\r\n").content_length, 2);
  EXPECT_EQ(parse("Content-Length: 2\r\nContent-Length: 2 ,2\r\n").content_length, 2);
  EXPECT_FALSE(parse("Content-Length: 2\r\ncontent-length:2\r\n").bad);
  // Anything but digits is invalid, not a number followed by noise.
  for (const auto* value : {"5abc", "+5", "", "5,", ",5", "0x10", "5 5", "\t"}) {
    const auto h = parse("Content-Length: " + std::string(value) + "\r\n");
    EXPECT_TRUE(h.bad) << value;
    EXPECT_STREQ(h.why, "bad Content-Length") << value;
  }
  EXPECT_EQ(parse("Content-Length: \t007 \r\n").content_length, 7);
}

TEST(ParseHead, TransferEncodingWithContentLengthOrInHttp10IsBad) {
  constexpr std::string_view kBoth = "both Transfer-Encoding and Content-Length";
  for (const auto* headers : {"Transfer-Encoding: chunked\r\nContent-Length: 5\r\n",
                              "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n",
                              "Transfer-Encoding: gzip\r\nContent-Length: 5\r\n",
                              "Content-Length: x\r\nTransfer-Encoding: chunked\r\n"}) {
    const auto h = ParseHead("HTTP/1.1 200 OK\r\n" + std::string(headers) + "\r\n");
    EXPECT_TRUE(h.bad) << headers;
    EXPECT_EQ(h.why, kBoth) << headers;
  }
  const auto h10 = ParseHead("HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
  EXPECT_TRUE(h10.bad);
  EXPECT_STREQ(h10.why, "Transfer-Encoding in an HTTP/1.0 response");
}

// RFC 9112 §6.3 item 4: only a final chunked coding frames the body; any other ends at the close.
TEST(ParseHead, OnlyAFinalChunkedCodingIsChunked) {
  const auto te = [](std::string_view lines) {
    return ParseHead("HTTP/1.1 200 OK\r\n" + std::string(lines) + "\r\n");
  };
  for (const auto* lines :
       {"Transfer-Encoding: chunked, gzip\r\n", "Transfer-Encoding: xchunked\r\n",
        "Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n",
        "Transfer-Encoding: gzip\r\n"}) {
    const auto h = te(lines);
    EXPECT_FALSE(h.bad) << lines;
    EXPECT_FALSE(h.chunked) << lines;
    EXPECT_EQ(h.content_length, -1) << lines;
    EXPECT_TRUE(h.close) << lines;
  }
  const auto h = te("Transfer-Encoding: gzip\r\ntransfer-encoding:  CHUNKED \r\n");
  EXPECT_TRUE(h.chunked);
  EXPECT_FALSE(h.close);
}

TEST(ParseHead, InterimResponsesAreWholeHeadsWithoutBody) {
  const std::string hints = "HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n";
  const std::string final = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
  const auto h = ParseHead(hints + final);
  ASSERT_TRUE(h.complete);
  EXPECT_EQ(h.status, 103);
  EXPECT_EQ(h.size, hints.size());
  EXPECT_EQ(h.content_length, 0);
  EXPECT_TRUE(IsInterim(h.status));
  EXPECT_EQ(ParseHead(std::string_view(hints + final).substr(h.size)).content_length, 2);
  EXPECT_FALSE(IsInterim(101));  // a final response: the connection changes protocol
  EXPECT_TRUE(IsInterim(100));
  EXPECT_FALSE(IsInterim(200));
}

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
  return RunLoad(static_cast<const LoadSettings&>(*cfg.probes[0].settings), {});
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
