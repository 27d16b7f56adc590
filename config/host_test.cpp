#include "config/host.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace reznet::config {
namespace {

using ::testing::HasSubstr;

TEST(Host, NamesAreLowerCasedAndStrict) {
  auto h = ParseHost("API.Svc.Local");
  ASSERT_TRUE(h) << h.error().detail;
  EXPECT_EQ(h->kind, Host::Kind::kName);
  EXPECT_EQ(h->text, "api.svc.local");
  EXPECT_FALSE(h->v4());
  for (const char* bad :
       {"a..b", ".a", "a.", "a b", "a/b", "a\\b", "é.com", "a\r\nb", "a%2eb", "a:b", ""}) {
    EXPECT_FALSE(ParseHost(bad)) << bad;
  }
}

TEST(Host, NumbersTheResolverReadsAsAddressesAreRefused) {
  // getaddrinfo reads each of these as 127.0.0.1 (inet_aton): judged as a name, it would pass a
  // host pattern and reach an address no CIDR allowed.
  for (const char* legacy :
       {"2130706433", "0x7f000001", "0x7f.1", "127.1", "0177.0.0.1", "127.0.0.01", "10.0.0.256"}) {
    auto h = ParseHost(legacy);
    ASSERT_FALSE(h) << legacy;
  }
  EXPECT_THAT(ParseHost("0x7f000001").error().detail, HasSubstr("dotted quad"));
}

TEST(Host, Ipv4AndIpv6LiteralsAreCanonical) {
  auto v4 = ParseHost("127.0.0.1");
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->kind, Host::Kind::kIpv4);
  EXPECT_EQ(v4->v4(), (std::array<std::uint8_t, 4>{127, 0, 0, 1}));
  auto v6 = ParseHost("FD00:0:0::1");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->kind, Host::Kind::kIpv6);
  EXPECT_EQ(v6->text, "fd00::1");
  EXPECT_EQ(v6->Bracketed(), "[fd00::1]");
  EXPECT_FALSE(v6->v4());
}

TEST(Host, ZoneIdsAreRefused) {
  // The break of issue #24: "%x.example.test" made a v6 address look like a name to the glob.
  for (const char* zoned : {"::ffff:127.0.0.1%x.example.test", "fe80::1%eth0", "::1%25lo"}) {
    auto h = ParseHost(zoned);
    ASSERT_FALSE(h) << zoned;
    EXPECT_THAT(h.error().detail, HasSubstr("zone id"));
  }
}

TEST(Host, AnIpv6AddressCarryingAnIpv4AddressIsJudgedAsIt) {
  auto mapped = ParseHost("::FFFF:169.254.169.254");
  ASSERT_TRUE(mapped);
  EXPECT_EQ(mapped->kind, Host::Kind::kIpv6);
  EXPECT_EQ(mapped->v4(), (std::array<std::uint8_t, 4>{169, 254, 169, 254}));
  auto hex = ParseHost("::ffff:7f00:1");
  ASSERT_TRUE(hex);
  EXPECT_EQ(hex->v4(), (std::array<std::uint8_t, 4>{127, 0, 0, 1}));
  auto compatible = ParseHost("::10.0.0.1");
  ASSERT_TRUE(compatible);
  EXPECT_EQ(compatible->v4(), (std::array<std::uint8_t, 4>{10, 0, 0, 1}));
  // :: and ::1 are IPv6's own unspecified and loopback addresses.
  EXPECT_FALSE(ParseHost("::1")->v4());
  EXPECT_FALSE(ParseHost("::")->v4());
}

TEST(HostPort, PortsAndBrackets) {
  auto hp = ParseHostPort("[::1]:8080", 80);
  ASSERT_TRUE(hp) << hp.error().detail;
  EXPECT_EQ(hp->host.text, "::1");
  EXPECT_EQ(hp->port, 8080);
  EXPECT_EQ(hp->ToString(), "[::1]:8080");
  EXPECT_EQ(ParseHostPort("db.svc", 5432)->ToString(), "db.svc:5432");
  EXPECT_FALSE(ParseHostPort("db.svc", 0));
  EXPECT_FALSE(ParseHostPort("db.svc:", 5432));
  EXPECT_FALSE(ParseHostPort("db.svc:0", 5432));
  EXPECT_FALSE(ParseHostPort("db.svc:65536", 5432));
  EXPECT_FALSE(ParseHostPort("::1:80", 80));
  EXPECT_FALSE(ParseHostPort("[127.0.0.1]:80", 80));
  EXPECT_FALSE(ParseHostPort("[::1]x", 80));
  EXPECT_FALSE(ParseHostPort("db.svc password=x", 5432));
}

TEST(RequestTarget, Rfc3986CharactersOnly) {
  EXPECT_TRUE(ValidateRequestTarget("/api/channels/1/messages?limit=50&offset=0"));
  EXPECT_TRUE(ValidateRequestTarget("/a%20b/~x_y.z-(1)!$'*+,;=:@?q=/?"));
  EXPECT_TRUE(ValidateRequestTarget(""));
  // The break of issue #24: a request line split by CR LF.
  auto crlf = ValidateRequestTarget("/a HTTP/1.1\r\nX-Injected: yes");
  ASSERT_FALSE(crlf);
  EXPECT_THAT(crlf.error().detail, HasSubstr("' ' at 3"));
  EXPECT_THAT(ValidateRequestTarget("/a\r\n", 10).error().detail, HasSubstr("byte 0x0D at 13"));
  EXPECT_THAT(ValidateRequestTarget("/caf\xc3\xa9").error().detail, HasSubstr("byte 0xC3 at 5"));
  EXPECT_THAT(ValidateRequestTarget("/a#frag").error().detail, HasSubstr("'#' at 3"));
  EXPECT_THAT(ValidateRequestTarget("/a%2").error().detail, HasSubstr("two hex digits"));
  EXPECT_THAT(ValidateRequestTarget("/a%zz").error().detail, HasSubstr("'%' at 3"));
  EXPECT_FALSE(ValidateRequestTarget("/a\tb"));
  EXPECT_FALSE(ValidateRequestTarget("/{x}"));
}

TEST(Headers, NamesAreTokensAndValuesHaveNoLineBreaks) {
  EXPECT_TRUE(ValidateHeaderName("X-Api-Key"));
  EXPECT_FALSE(ValidateHeaderName("X Api"));
  EXPECT_FALSE(ValidateHeaderName("X:Api"));
  EXPECT_FALSE(ValidateHeaderName(""));
  EXPECT_TRUE(ValidateHeaderValue("Bearer abc\tdef"));
  EXPECT_THAT(ValidateHeaderValue("v\r\nX-Injected: 1").error().detail,
              HasSubstr("byte 0x0D at 2"));
  EXPECT_FALSE(ValidateHeaderValue(std::string("a\0b", 3)));
}

}  // namespace
}  // namespace reznet::config
