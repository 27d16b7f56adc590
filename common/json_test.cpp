// WriteJson: numbers as people read them, escapes, nesting, key order and the three styles.
#include "common/json.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cstdint>
#include <limits>

namespace reznet::common {
namespace {

namespace json = boost::json;

TEST(WriteJson, SpellsNumbersAsPeopleReadThem) {
  EXPECT_EQ(WriteJson(0.0512), "0.0512");
  EXPECT_EQ(WriteJson(200.0), "200");
  EXPECT_EQ(WriteJson(-1.5), "-1.5");
  EXPECT_EQ(WriteJson(1e-9), "0.000000001");
  EXPECT_EQ(WriteJson(0.1 + 0.2), "0.3");             // 9 decimals: nanoseconds of a second
  EXPECT_EQ(WriteJson(1.23456789012), "1.23456789");  // and no more
  EXPECT_EQ(WriteJson(1e15), "1000000000000000");
  EXPECT_EQ(WriteJson(std::int64_t{-7}), "-7");
  EXPECT_EQ(WriteJson(std::numeric_limits<std::uint64_t>::max()), "18446744073709551615");
  EXPECT_EQ(WriteJson(std::numeric_limits<double>::quiet_NaN()), "null");
  EXPECT_EQ(WriteJson(std::numeric_limits<double>::infinity()), "null");
  EXPECT_EQ(JsonNumber(0.0512), "0.0512");
}

TEST(WriteJson, EscapesStringsAndKeys) {
  EXPECT_EQ(WriteJson("say \"hi\"\\\n\r\t\x01\x1f"), R"("say \"hi\"\\\n\r\t\u0001\u001f")");
  EXPECT_EQ(WriteJson("ü € / \x7f"), "\"ü € / \x7f\"");  // UTF-8, '/' and DEL as they are
  EXPECT_EQ(WriteJson(json::object{{"a\"b\n", "x"}}), R"({"a\"b\n": "x"})");
  EXPECT_EQ(JsonQuote("a\"b"), R"("a\"b")");
}

TEST(WriteJson, InvalidUtf8BecomesReplacementCharactersAndTheTextStaysJson) {
  // A hostile server's bytes relayed in an error: a strict reader must still read the document.
  const std::string bytes = "bad \xff\xfe tail \xC0\xAF";
  const std::string doc = WriteJson(json::object{{"error", bytes}, {bytes, 1}});
  boost::system::error_code ec;
  const json::value back = json::parse(doc, ec);
  ASSERT_FALSE(ec) << doc;
  EXPECT_EQ(back.at("error").as_string(),
            "bad \xEF\xBF\xBD\xEF\xBF\xBD tail \xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(JsonQuote("ok µ ⚠"), "\"ok µ ⚠\"");
}

TEST(WriteJson, NestsAndKeepsInsertionOrder) {
  json::object o;
  o["zeta"] = 1;
  o["alpha"] = json::array{true, nullptr, json::object{{"b", 2}, {"a", json::array{}}}};
  o["mid"] = json::object{};
  o["zeta"] = 3;  // set again: keeps its place
  EXPECT_EQ(WriteJson(o), R"({"zeta": 3, "alpha": [true, null, {"b": 2, "a": []}], "mid": {}})");
  EXPECT_EQ(WriteJson(json::array{}), "[]");
  EXPECT_EQ(WriteJson(json::object{}), "{}");
}

TEST(WriteJson, Styles) {
  const json::object o{{"a", 1}, {"b", json::array{1, 2}}, {"c", json::object{}}, {"d", "x y"}};
  EXPECT_EQ(WriteJson(o), R"({"a": 1, "b": [1, 2], "c": {}, "d": "x y"})");
  EXPECT_EQ(WriteJson(o, JsonStyle::kCompact), WriteJson(o));
  EXPECT_EQ(WriteJson(o, JsonStyle::kTight), R"({"a":1,"b":[1,2],"c":{},"d":"x y"})");
  EXPECT_EQ(WriteJson(o, JsonStyle::kPretty),
            "{\n"
            "  \"a\": 1,\n"
            "  \"b\": [\n"
            "    1,\n"
            "    2\n"
            "  ],\n"
            "  \"c\": {},\n"
            "  \"d\": \"x y\"\n"
            "}");
}

TEST(WriteJson, ReadsBackAsTheSameValue) {
  const json::value v = json::object{{"s", "q\"\n"}, {"n", 0.0512}, {"i", -3}, {"l", {1, "two"}}};
  for (auto style : {JsonStyle::kCompact, JsonStyle::kTight, JsonStyle::kPretty})
    EXPECT_EQ(json::parse(WriteJson(v, style)), v);
}

}  // namespace
}  // namespace reznet::common
