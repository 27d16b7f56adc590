#include "clients/sse.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace reznet::clients {
namespace {

struct Parsed {
  std::vector<SseEvent> events;
  bool half = false;
  std::optional<std::string> error;
};

// Feeds `stream` in pieces of `step` bytes (0 = all at once).
Parsed Parse(std::string_view stream, std::size_t step = 0, SseLimits limits = {}) {
  SseParser p(limits);
  Parsed out;
  auto on = [&](const SseEvent& e) { out.events.push_back(e); };
  if (step == 0) step = stream.size() ? stream.size() : 1;
  for (std::size_t i = 0; i < stream.size() && !out.error; i += step) {
    if (!p.Push(stream.substr(i, step), on)) out.error = p.failure();
  }
  out.half = p.Finish();
  return out;
}

// Every way of splitting the stream in two, and byte by byte, gives the same events.
void ExpectSplitInvariant(std::string_view stream) {
  const auto whole = Parse(stream);
  EXPECT_EQ(Parse(stream, 1).events, whole.events) << "byte by byte";
  for (std::size_t cut = 1; cut < stream.size(); ++cut) {
    SseParser p;
    std::vector<SseEvent> events;
    auto on = [&](const SseEvent& e) { events.push_back(e); };
    ASSERT_TRUE(p.Push(stream.substr(0, cut), on));
    ASSERT_TRUE(p.Push(stream.substr(cut), on));
    ASSERT_EQ(events, whole.events) << "cut at " << cut;
  }
}

TEST(Sse, LineEndingsCrLfCrlf) {
  for (std::string_view nl : {"\n", "\r", "\r\n"}) {
    std::string s = "data: a" + std::string(nl) + "data: b" + std::string(nl) + std::string(nl) +
                    "event: x" + std::string(nl) + "data: c" + std::string(nl) + std::string(nl);
    auto r = Parse(s);
    ASSERT_EQ(r.events.size(), 2u) << static_cast<int>(nl[0]);
    EXPECT_EQ(r.events[0].data, "a\nb");
    EXPECT_EQ(r.events[0].type, "message");
    EXPECT_EQ(r.events[1].type, "x");
    EXPECT_EQ(r.events[1].data, "c");
    ExpectSplitInvariant(s);
  }
}

TEST(Sse, CommentsFieldsAndSpaces) {
  const std::string s =
      ": keep-alive\n"
      "data:no space\n\n"
      "data:  two spaces\n\n"
      "data\n\n"  // field without colon: empty data, still an event
      "id: 42\nretry: 3000\nfoo: bar\ndata: x\n\n"
      "retry: 12a\ndata: y\n\n"
      "event: only-type\n\n";  // no data: nothing dispatched
  auto r = Parse(s);
  ASSERT_EQ(r.events.size(), 5u);
  EXPECT_EQ(r.events[0].data, "no space");
  EXPECT_EQ(r.events[1].data, " two spaces");
  EXPECT_EQ(r.events[2].data, "");
  EXPECT_EQ(r.events[3].id, "42");
  EXPECT_EQ(r.events[3].retry, 3000);
  EXPECT_EQ(r.events[4].id, "42");     // the last event id persists
  EXPECT_EQ(r.events[4].retry, 3000);  // a bad retry is ignored
  EXPECT_EQ(r.events[4].data, "y");
  EXPECT_FALSE(r.half);
  ExpectSplitInvariant(s);
}

TEST(Sse, TrailingHalfEventIsDiscarded) {
  auto r = Parse("data: done\n\ndata: half");
  ASSERT_EQ(r.events.size(), 1u);
  EXPECT_TRUE(r.half);
  auto r2 = Parse("data: done\n\ndata: half\n");  // line complete, blank line missing
  EXPECT_EQ(r2.events.size(), 1u);
  EXPECT_TRUE(r2.half);
}

TEST(Sse, BomIsSkippedEvenWhenSplit) {
  const std::string s =
      "\xEF\xBB\xBF"
      "data: x\n\n";
  auto r = Parse(s);
  ASSERT_EQ(r.events.size(), 1u);
  EXPECT_EQ(r.events[0].data, "x");
  ExpectSplitInvariant(s);
}

TEST(Sse, UnicodeAndLongDataSurviveSplits) {
  const std::string s = "data: {\"text\": \"héllo wörld 日本語 🎉\"}\r\n\r\n" +
                        std::string("data: ") + std::string(5000, 'z') + "\r\n\r\n";
  auto r = Parse(s);
  ASSERT_EQ(r.events.size(), 2u);
  EXPECT_EQ(r.events[0].data, "{\"text\": \"héllo wörld 日本語 🎉\"}");
  EXPECT_EQ(r.events[1].data.size(), 5000u);
  ExpectSplitInvariant(s.substr(0, 60));
  EXPECT_EQ(Parse(s, 1).events, r.events);
  EXPECT_EQ(Parse(s, 7).events, r.events);
}

TEST(Sse, LimitsNameTheLimit) {
  auto line = Parse("data: " + std::string(200, 'x') + "\n\n", 0,
                    {.max_line_bytes = 100, .max_stream_bytes = 1 << 20});
  EXPECT_EQ(line.error, "event stream line exceeds max_line_bytes (100 bytes)");
  auto line_split = Parse("data: " + std::string(200, 'x') + "\n\n", 16,
                          {.max_line_bytes = 100, .max_stream_bytes = 1 << 20});
  EXPECT_EQ(line_split.error, "event stream line exceeds max_line_bytes (100 bytes)");
  auto total =
      Parse(std::string(300, ':') + "\n", 10, {.max_line_bytes = 1000, .max_stream_bytes = 100});
  EXPECT_EQ(total.error, "event stream exceeds max_stream_bytes (100 bytes)");
}

}  // namespace
}  // namespace reznet::clients
