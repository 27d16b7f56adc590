// Escaping per output format: what users wrote can neither break the format nor inject into it.
#include "common/escape.hpp"

#include <gtest/gtest.h>

namespace reznet::common {
namespace {

TEST(ValidUtf8, ReplacesEveryInvalidByteAndKeepsValidText) {
  EXPECT_EQ(ValidUtf8("µs ⚠ 😀 ok"), "µs ⚠ 😀 ok");
  EXPECT_EQ(ValidUtf8("a\xff"
                      "b"),
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(ValidUtf8("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");  // overlong '/'
  EXPECT_EQ(ValidUtf8("\xED\xA0\x80").size(), 9u);               // a surrogate: 3 bad bytes
  EXPECT_EQ(ValidUtf8("\xE2\x82"), "\xEF\xBF\xBD\xEF\xBF\xBD");  // cut short
  EXPECT_EQ(ValidUtf8("\xF4\x90\x80\x80").size(), 12u);          // above U+10FFFF
}

TEST(MarkdownText, CannotSplitACellOrARowOrInjectHtmlLinksOrCode) {
  EXPECT_EQ(MarkdownText("a|b"), "a\\|b");
  EXPECT_EQ(MarkdownText("x\r\n| injected | row |"), "x  \\| injected \\| row \\|");
  EXPECT_EQ(MarkdownText("<script>alert(1)</script>"), "&lt;script&gt;alert(1)&lt;/script&gt;");
  EXPECT_EQ(MarkdownText("a & b"), "a &amp; b");
  // A backslash before a pipe must not escape our escape: "\|" would split the cell.
  EXPECT_EQ(MarkdownText("a\\|b"), "a\\\\\\|b");
  EXPECT_EQ(MarkdownText("![x](http://t/p.png)"), "!\\[x\\](http://t/p.png)");
  EXPECT_EQ(MarkdownText("`code`"), "\\`code\\`");
  EXPECT_EQ(MarkdownText("\x01\x7f\xC2\x85\xff"),
            "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(MarkdownText("p95 < 200.0 ms, 12.3 µs ⚠"), "p95 &lt; 200.0 ms, 12.3 µs ⚠");
}

TEST(MarkdownCode, CodeSpanOnlyWhenEveryCharacterShowsVerbatim) {
  EXPECT_EQ(MarkdownCode("20261127T084512Z-00beef"), "`20261127T084512Z-00beef`");
  EXPECT_EQ(MarkdownCode("abc123 (v1.2, rc=1)"), "`abc123 (v1.2, rc=1)`");
  EXPECT_EQ(MarkdownCode("a`b"), "a\\`b");
  EXPECT_EQ(MarkdownCode("a|b"), "a\\|b");
  EXPECT_EQ(MarkdownCode("<b>"), "&lt;b&gt;");
  EXPECT_EQ(MarkdownCode("a\nb"), "a b");
  EXPECT_EQ(MarkdownCode(""), "");
}

TEST(XmlEscape, EscapesMarkupAndReplacesWhatXml10Forbids) {
  EXPECT_EQ(XmlEscape("<a href=\"x\" title='y'>&</a>"),
            "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;");
  EXPECT_EQ(XmlEscape("]]>"), "]]&gt;");
  // Kept, as references, so an attribute value does not normalise them to spaces.
  EXPECT_EQ(XmlEscape("a\tb\r\nc"), "a&#9;b&#13;&#10;c");
  // Not even &#1; is XML 1.0: the character itself is replaced.
  EXPECT_EQ(XmlEscape("\x01\x1f"), "\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(XmlEscape("\xEF\xBF\xBE\xEF\xBF\xBF"), "\xEF\xBF\xBD\xEF\xBF\xBD");  // U+FFFE/FFFF
  EXPECT_EQ(XmlEscape("\xff"), "\xEF\xBF\xBD");
  EXPECT_EQ(XmlEscape("µs ⚠"), "µs ⚠");
}

TEST(CsvField, QuotesAndNeutralisesFormulas) {
  EXPECT_EQ(CsvField("abc"), "\"abc\"");
  EXPECT_EQ(CsvField("a,\"b\""), "\"a,\"\"b\"\"\"");
  EXPECT_EQ(CsvField("=cmd()"), "\"'=cmd()\"");
  EXPECT_EQ(CsvField("+1"), "\"'+1\"");
  EXPECT_EQ(CsvField("-2+3"), "\"'-2+3\"");
  EXPECT_EQ(CsvField("@SUM(A1)"), "\"'@SUM(A1)\"");
  EXPECT_EQ(CsvField("a=b"), "\"a=b\"");
  EXPECT_EQ(CsvField("x\r\ny\x01"), "\"x  y\xEF\xBF\xBD\"");
  EXPECT_EQ(CsvField(""), "\"\"");
}

TEST(UrlEncode, PercentEncodesAllButUnreserved) {
  EXPECT_EQ(UrlEncode("20261127T084512Z-00beef"), "20261127T084512Z-00beef");
  EXPECT_EQ(UrlEncode("a b&c=d/\"<>"), "a%20b%26c%3Dd%2F%22%3C%3E");
  EXPECT_EQ(UrlEncode("µ"), "%C2%B5");
}

TEST(LogText, KeepsALogLineOneLine) {
  EXPECT_EQ(LogText("plain text, µs ⚠"), "plain text, µs ⚠");
  EXPECT_EQ(LogText("x\r\n2026-01-01T00:00:00 error forged"),
            "x\\r\\n2026-01-01T00:00:00 error forged");
  EXPECT_EQ(LogText("\t\x01\x1b[31m\x7f"), "\\t\\x01\\x1B[31m\\x7F");
  EXPECT_EQ(LogText("\xC2\x85|\xE2\x80\xA8|\xff"), "\\u0085|\\u2028|\\xFF");
}

TEST(FindControlCharacter, GivesTheOffsetOfTheFirstOne) {
  EXPECT_EQ(FindControlCharacter("abc µs ⚠"), std::string_view::npos);
  EXPECT_EQ(FindControlCharacter("ab\ncd"), 2u);
  EXPECT_EQ(FindControlCharacter("µ\x01"), 2u);
  EXPECT_EQ(FindControlCharacter("a\xff"), 1u);
  EXPECT_EQ(FindControlCharacter("a\xC2\x85"), 1u);
}

}  // namespace
}  // namespace reznet::common
