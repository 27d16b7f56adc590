// Modules, addresses given at run time and the allow list (config/module.hpp, config/address.hpp).
#include "config/module.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/loader.hpp"

namespace reznet::config {
namespace {

using ::testing::HasSubstr;

// A url-addressed kind whose settings remember the url they were read for, and one that takes
// no address.
struct SeenUrl : KindSettings {
  std::string url;
  std::string path;
};

KindTraitsMap Kinds() {
  KindTraits web;
  web.name = "web";
  web.phases = {"total"};
  web.address = UrlAddress;
  web.parse = [](MapReader& r, const TargetConfig* target, const ProbeConfig&) {
    auto s = std::make_shared<SeenUrl>();
    r.Read("path", s->path);
    if (target == nullptr || !target->url) {
      r.diag().Error(r.mark(), r.path(), "needs a url");
      return std::shared_ptr<const KindSettings>();
    }
    s->url = target->url->ToString();
    return std::shared_ptr<const KindSettings>(s);
  };
  KindTraits multi = web;
  multi.name = "multi";
  multi.address = nullptr;
  return {{"web", web}, {"multi", multi}};
}

Config Load(const std::string& yaml) { return LoadString(yaml, "m.yaml", Kinds()); }

std::string ErrorOf(const std::string& yaml) {
  try {
    Load(yaml);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

const char* kModule = R"(modules:
  web_2xx:
    kind: web
    timeout: 2s
    target: { url: "https://placeholder/api", headers: { X-Token: "t0ken" } }
    web: { path: /health }
    allow:
      hosts: ["*.svc.local", "Backend"]
      cidrs: ["10.0.0.0/8", "fd00::/8"]
      ports: [443, "8000-8099"]
)";

TEST(Modules, LoadAndResolveAnAllowedTarget) {
  const Config c = Load(kModule);
  ASSERT_EQ(c.modules.size(), 1u);
  const ModuleConfig& m = c.modules.at("web_2xx");
  EXPECT_EQ(m.probe.timeout, std::chrono::seconds(2));
  auto run = ResolveModule(m, "api.svc.local:8080", c);
  ASSERT_TRUE(run.has_value()) << run.error().detail;
  // host:port keeps the template's scheme and base path; the template's headers come along.
  EXPECT_EQ(run->target->url->ToString(), "https://api.svc.local:8080/api");
  EXPECT_EQ(run->target->headers.at("X-Token"), "t0ken");
  auto seen = std::dynamic_pointer_cast<const SeenUrl>(run->probe.settings);
  ASSERT_TRUE(seen);
  EXPECT_EQ(seen->url, "https://api.svc.local:8080/api");
  EXPECT_EQ(seen->path, "/health");
  // A full URL replaces the whole url; 443 is https's default port.
  auto full = ResolveModule(m, "https://backend/v2", c);
  ASSERT_TRUE(full.has_value()) << full.error().detail;
  EXPECT_EQ(full->target->url->ToString(), "https://backend/v2");
  EXPECT_TRUE(ResolveModule(m, "10.1.2.3:8000", c).has_value());
  EXPECT_TRUE(ResolveModule(m, "[fd00::1]:443", c).has_value());
  // An IPv4-mapped IPv6 address is judged as the IPv4 address it carries.
  EXPECT_TRUE(ResolveModule(m, "[::ffff:10.0.0.1]:443", c).has_value());
}

TEST(Modules, TheAllowListRefusesEverythingElse) {
  const Config c = Load(kModule);
  const ModuleConfig& m = c.modules.at("web_2xx");
  for (const char* denied :
       {"169.254.169.254:443", "api.svc.local:22", "evil.com:443", "svc.local.evil.com:443",
        "11.0.0.1:8000", "[::1]:443", "[::ffff:127.0.0.1]:443", "[::ffff:11.0.0.1]:443",
        "http://10.0.0.1:9000/"}) {
    auto r = ResolveModule(m, denied, c);
    ASSERT_FALSE(r.has_value()) << denied;
    EXPECT_EQ(r.error().kind, common::ErrorKind::kForbidden) << denied << ": " << r.error().detail;
    EXPECT_THAT(r.error().detail, HasSubstr("modules.web_2xx.allow"));
  }
}

TEST(Modules, MalformedTargetsAreNotForbiddenButBad) {
  const Config c = Load(kModule);
  const ModuleConfig& m = c.modules.at("web_2xx");
  for (const char* bad :
       {"", "api.svc.local:0", "api.svc.local:99999", "a b.svc.local", "user:pw@api.svc.local",
        "ftp://api.svc.local", "::1:443", "api.svc.local:443 dbname=x", "[nothex]:1"}) {
    auto r = ResolveModule(m, bad, c);
    ASSERT_FALSE(r.has_value()) << bad;
    EXPECT_EQ(r.error().kind, common::ErrorKind::kInvalid) << bad << ": " << r.error().detail;
    EXPECT_THAT(r.error().detail, ::testing::Not(HasSubstr("pw@"))) << bad;
  }
}

TEST(Modules, AModuleWithoutAllowListAllowsNothing) {
  const Config c = Load("modules: { open: { kind: web } }\n");
  auto r = ResolveModule(c.modules.at("open"), "localhost:80", c);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().kind, common::ErrorKind::kForbidden);
  EXPECT_THAT(r.error().detail, HasSubstr("allows no target yet"));
}

TEST(Modules, ConfigErrorsSayWhereAndWhatToWrite) {
  EXPECT_THAT(ErrorOf("modules: { m: { kind: multi } }\n"),
              HasSubstr("m.yaml:1:23: modules.m.kind: kind \"multi\" takes no target given at run "
                        "time; a module is one of: web"));
  EXPECT_THAT(ErrorOf("modules: { m: { kind: web, allow: { cidrs: [10.0.0.0/33] } } }\n"),
              HasSubstr("prefix length must be 0…32"));
  EXPECT_THAT(ErrorOf("modules: { m: { kind: web, allow: { ports: [\"90-80\"] } } }\n"),
              HasSubstr("write 443 or \"8000-8099\""));
  EXPECT_THAT(ErrorOf("modules: { m: { kind: web, web: { pth: /x } } }\n"), HasSubstr("pth"));
  EXPECT_THAT(ErrorOf("modules: { m: { kind: web, alow: {} } }\n"), HasSubstr("alow"));
  EXPECT_THAT(ErrorOf("daemon: { probe_endpoint: { max_concurrent: 0 } }\n"),
              HasSubstr("daemon.probe_endpoint.max_concurrent"));
}

TEST(Addresses, HostPatternsAndCidrs) {
  EXPECT_TRUE(HostMatches("*.svc.local", "a.b.svc.local"));
  EXPECT_FALSE(HostMatches("*.svc.local", "svc.local"));
  EXPECT_TRUE(HostMatches("*", "anything"));
  EXPECT_TRUE(HostMatches("db-*-primary", "db-7-primary"));
  EXPECT_FALSE(HostMatches("db-*-primary", "db-7-primary.evil"));
  AllowList allow;
  allow.cidrs = {*ParseCidr("192.168.4.0/22"), *ParseCidr("2001:db8::/32")};
  const auto at = [](const char* host) { return HostPort{*ParseHost(host), 80}; };
  EXPECT_TRUE(allow.Allows(at("192.168.7.255")));
  EXPECT_FALSE(allow.Allows(at("192.168.8.0")));
  EXPECT_TRUE(allow.Allows(at("2001:db8::1")));
  EXPECT_FALSE(allow.Allows(at("2001:db9::1")));
  // A name is never resolved to match a CIDR.
  EXPECT_FALSE(allow.Allows(at("localhost")));
  EXPECT_FALSE(ParseCidr("10.0.0.0/").has_value());
  EXPECT_FALSE(ParseCidr("10.0.0/8").has_value());
}

}  // namespace
}  // namespace reznet::config
