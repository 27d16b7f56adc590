#include "probes/outcome.hpp"

#include <gtest/gtest.h>

#include "common/json.hpp"

namespace reznet::probes {
namespace {

using namespace std::chrono_literals;

TEST(Outcome, JsonMatchesTheDocumentedShape) {
  Outcome o;
  o.Record("connect", 210us);
  o.Record("ttfb", 51200us);
  o.Record("total", 51500us);
  o.SetCounter("status", 200);
  o.SetCounter("bytes", 17);
  EXPECT_EQ(
      OutcomeToJson("api_health", "http", o),
      R"({"probe": "api_health", "kind": "http", "ok": true, "skipped": false, "error": null, )"
      R"("phases": {"connect": [0.00021], "ttfb": [0.0512], "total": [0.0515]}, )"
      R"("counters": {"status": 200, "bytes": 17}})");
}

TEST(Outcome, ErrorsAndSkipsAreEscaped) {
  Outcome o;
  o.Fail(ErrorKind::kAssertion, "body does not contain \"ok\"\n");
  EXPECT_EQ(
      OutcomeToJson("p", "http", o),
      R"({"probe": "p", "kind": "http", "ok": false, "skipped": false, "error": {"kind": "assertion", "detail": "body does not contain \"ok\"\n"}, "phases": {}, "counters": {}})");
  auto s = Outcome::Skipped("ANTHROPIC_API_KEY is not set");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(
      OutcomeToJson("llm", "llm", s),
      R"({"probe": "llm", "kind": "llm", "ok": false, "skipped": true, "skip_reason": "ANTHROPIC_API_KEY is not set", "error": null, "phases": {}, "counters": {}})");
}

TEST(Outcome, PhasesKeepAllSamplesInOrder) {
  Outcome o;
  o.Record("total", 1ms);
  o.Record("ttfb", 1ms);
  o.Record("total", 2ms);
  ASSERT_EQ(o.phases.size(), 2u);
  EXPECT_EQ(o.phases[0].name, "total");
  EXPECT_EQ(o.phases[0].samples, (std::vector<Duration>{1ms, 2ms}));
}

TEST(JsonNumber, ReadableForm) {
  EXPECT_EQ(common::JsonNumber(0.0512), "0.0512");
  EXPECT_EQ(common::JsonNumber(200), "200");
  EXPECT_EQ(common::JsonNumber(1.5), "1.5");
  EXPECT_EQ(common::JsonNumber(1e-9), "0.000000001");
}

}  // namespace
}  // namespace reznet::probes
