// The SSRF guard as an attacker meets it (config/address.hpp): targets written every way, and for
// each one the guard accepts, an independent check of where the client would connect.
#include "config/address.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netdb.h>

#include <boost/asio/ip/address.hpp>
#include <random>

#include "config/module.hpp"

namespace reznet::config {
namespace {

// The allow list of the attack in issue #24, plus a v6 block and ports.
AllowList Guard() {
  AllowList a;
  a.hosts = {"*.example.test", "backend"};
  a.cidrs = {*ParseCidr("10.0.0.0/8"), *ParseCidr("fd00::/8")};
  a.ports = {{80, 80}, {443, 443}, {8000, 8099}};
  return a;
}

TargetConfig Template() {
  TargetConfig t;
  t.url = *ParseUrl("https://placeholder/api");
  t.headers = {{"Authorization", "Bearer canary"}};
  return t;
}

// Written independently of config/host.cpp: what the resolver would make of `name` as a number.
bool ResolverReadsAsNumber(const std::string& name) {
  addrinfo hints{};
  hints.ai_flags = AI_NUMERICHOST;
  addrinfo* res = nullptr;
  const int rc = getaddrinfo(name.c_str(), nullptr, &hints, &res);
  if (res != nullptr) freeaddrinfo(res);
  in_addr a{};
  return rc == 0 || inet_aton(name.c_str(), &a) != 0;
}

// Where an accepted target really goes, judged without the guard's code: an IP the client
// connects to must lie in 10/8 (an IPv4-mapped address by the IPv4 it carries) or fd00::/8; a
// name must be one the patterns cover and one the resolver cannot read as an address.
::testing::AssertionResult CoveredByTheList(const Url& url) {
  namespace ip = boost::asio::ip;
  if (url.host.kind != Host::Kind::kName) {
    // The client connects to the address made from these bytes (clients/ip_address.hpp).
    ip::address a;
    if (url.host.kind == Host::Kind::kIpv4) {
      a = ip::address_v4({url.host.addr[0], url.host.addr[1], url.host.addr[2], url.host.addr[3]});
    } else {
      ip::address_v6::bytes_type b{};
      std::copy(url.host.addr.begin(), url.host.addr.end(), b.begin());
      a = ip::address_v6(b);
    }
    if (a.is_v6() && a.to_v6().is_v4_mapped()) a = ip::make_address_v4(ip::v4_mapped, a.to_v6());
    if (a.is_v4()) {
      if ((a.to_v4().to_uint() >> 24) == 10) return ::testing::AssertionSuccess();
      return ::testing::AssertionFailure() << "connects to " << a.to_string();
    }
    const auto b = a.to_v6().to_bytes();
    // IPv4-compatible ::a.b.c.d is judged as a.b.c.d.
    const bool compatible = std::all_of(b.begin(), b.begin() + 12, [](auto x) { return x == 0; });
    if (b[0] == 0xfd || (compatible && b[12] == 10)) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "connects to " << a.to_string();
  }
  const std::string& n = url.host.text;
  if (ResolverReadsAsNumber(n)) return ::testing::AssertionFailure() << n << " is a number";
  const bool charset = std::all_of(n.begin(), n.end(), [](unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
  });
  const std::string_view suffix = ".example.test";
  const bool pattern = n == "backend" || (n.size() > suffix.size() && n.ends_with(suffix));
  if (charset && pattern) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "name " << n << " is not covered";
}

::testing::AssertionResult RequestLineIntact(const Url& url) {
  for (unsigned char c : url.path) {
    if (c <= 0x20 || c >= 0x7f || c == '#')
      return ::testing::AssertionFailure() << "byte " << int(c) << " in path " << url.path;
  }
  return ::testing::AssertionSuccess();
}

// Checks one target: accepted only if it goes where the list allows, and the client aims at
// exactly what was judged.
void Check(const std::string& target, int& accepted) {
  auto a = WithAddress(Template(), UrlAddress, target);
  if (!a || !Guard().Allows(a->where)) return;
  ++accepted;
  ASSERT_TRUE(a->target.url.has_value()) << target;
  const Url& url = *a->target.url;
  EXPECT_EQ(a->where.host, url.host) << target;
  EXPECT_EQ(a->where.port, url.port) << target;
  EXPECT_TRUE(CoveredByTheList(url)) << target;
  EXPECT_TRUE(RequestLineIntact(url)) << target;
  EXPECT_TRUE(url.port == 80 || url.port == 443 || (url.port >= 8000 && url.port <= 8099))
      << target;
}

const char* const kHosts[] = {
    "127.0.0.1",
    "::ffff:127.0.0.1",
    "::ffff:7f00:1",
    "::127.0.0.1",
    "0:0:0:0:0:ffff:7f00:1",
    "::ffff:169.254.169.254",
    "169.254.169.254",
    "10.1.2.3",
    "::ffff:10.1.2.3",
    "::10.1.2.3",
    "fd00::1",
    "FD00::abcd",
    "fe80::1",
    "::1",
    "::",
    "0x7f.1",
    "2130706433",
    "127.1",
    "0177.0.0.1",
    "10.0x7f.1",
    "012.1.2.3",
    "api.example.test",
    "API.Example.Test",
    "example.test",
    "evil.com",
    "api.example.test.evil.com",
    "evilexample.test",
    "backend",
    "backend.",
    "localhost",
    "a..example.test",
    "::ffff:127.0.0.1%x.example.test",
    "fe80::1%eth0",
    "10.1.2.3%25x.example.test",
    "x.example.test\r\nX: y",
    "x y.example.test",
    "x.example.test/",
    "x.example.test\\",
    "x.example.test#",
    "x.example.test?",
};
const char* const kPaths[] = {"",
                              "/",
                              "/ok",
                              "/a%20HTTP/1.1%0D%0AX-Injected:%20yes",
                              "/a HTTP/1.1\r\nX-Injected: yes",
                              "/\xc3\xa9",
                              "/a\tb",
                              "/#x"};

TEST(AllowList, EveryTargetItAcceptsGoesWhereTheListAllows) {
  int accepted = 0, total = 0;
  for (const std::string host : kHosts) {
    const bool v6 = host.find(':') != std::string::npos;
    const std::string bracketed = v6 ? "[" + host + "]" : host;
    for (const std::string port : {"", ":80", ":443", ":8080", ":22", ":8100"}) {
      for (const std::string form : {"bare", "url", "https"}) {
        for (const std::string path : kPaths) {
          std::string t;
          if (form == "bare") {
            if (!path.empty()) continue;
            t = (v6 && port.empty() ? host : bracketed) + port;
          } else {
            t = (form == "url" ? "http://" : "https://") + bracketed + port + path;
          }
          ++total;
          Check(t, accepted);
        }
      }
    }
  }
  // Some of each kind get through (the test judges real acceptances), most do not.
  EXPECT_GT(accepted, 50);
  EXPECT_LT(accepted, total / 2);
}

TEST(AllowList, GeneratedTargetsNeverReachWhatTheListDoesNotCover) {
  // Random mutations of allowed targets: characters that end or re-open an authority, a zone,
  // a request line.
  const std::string seeds[] = {"http://api.example.test:8080/ok", "https://[fd00::1]/v",
                               "http://10.1.2.3:80/", "[::ffff:10.1.2.3]:443", "backend:8000"};
  const std::string noise = ":%[]@/\\ \r\n\t.#?x7f0123456789abcdef";
  std::mt19937 rng(24);
  int accepted = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string t = seeds[i % std::size(seeds)];
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      const std::size_t at = rng() % (t.size() + 1);
      const char c = noise[rng() % noise.size()];
      if (rng() % 3 == 0 && at < t.size()) {
        t.erase(at, 1);
      } else {
        t.insert(at, 1, c);
      }
    }
    Check(t, accepted);
    if (::testing::Test::HasFailure()) FAIL() << "stopped at the first escape";
  }
  EXPECT_GT(accepted, 100);
}

TEST(AllowList, TheAttacksOfIssue24AreRefused) {
  const AllowList guard = Guard();
  for (const char* attack :
       {"http://[::ffff:127.0.0.1%x.example.test]:80/", "http://[::ffff:127.0.0.1]:80/",
        "http://[::ffff:169.254.169.254]/", "http://[::127.0.0.1]:80/",
        "0x7f.1.example.test.0x7f000001:80", "2130706433:80",
        "http://a.example.test/a%20HTTP/1.1%0D%0AX-Injected:%20yes",
        "http://a.example.test/a HTTP/1.1\r\nX-Injected: yes"}) {
    auto a = WithAddress(Template(), UrlAddress, attack);
    if (!a) continue;  // malformed: refused before the list
    // A percent-encoded CR LF stays encoded on the wire: harmless, so it may pass.
    if (a->target.url->path.find('%') != std::string::npos) {
      EXPECT_TRUE(RequestLineIntact(*a->target.url)) << attack;
      continue;
    }
    EXPECT_FALSE(guard.Allows(a->where)) << attack;
  }
}

}  // namespace
}  // namespace reznet::config
