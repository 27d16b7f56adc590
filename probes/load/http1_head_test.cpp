// ParseHead: the load engine's HTTP/1.1 response head parser (http1_head.hpp).
#include "probes/load/http1_head.hpp"

#include <gtest/gtest.h>

#include <string>

namespace reznet::probes::load {
namespace {

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

}  // namespace
}  // namespace reznet::probes::load
