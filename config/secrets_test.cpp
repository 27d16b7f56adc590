// Which configured values count as secrets, and the secret_headers key.
#include "config/secrets.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/loader.hpp"

namespace reznet::config {
namespace {

using ::testing::HasSubstr;

Config Load(const std::string& yaml) { return LoadString(yaml, "t.yaml", {}); }

TEST(Secrets, EverySecretSlotIsScrubbed) {
  const Config c = Load(R"(
daemon: { auth: { token: tok-secret } }
targets:
  llm: { url: "http://127.0.0.1:1", api_key: key-secret }
  db: { dsn: "host=x", password: pw-secret }
  web:
    url: "http://127.0.0.1:2"
    headers: { Authorization: "Bearer bearer-secret", X-Session: sess-secret, X-Env: demo-env }
    secret_headers: [x-session]
history: { password: hist-secret }
)");
  const auto r = MakeRedactor(c);
  EXPECT_EQ(r.Scrub("tok-secret key-secret pw-secret hist-secret sess-secret demo-env"),
            "*** *** *** *** *** demo-env");
  EXPECT_EQ(r.Scrub("Bearer bearer-secret / bearer-secret"), "*** / ***");
}

TEST(Secrets, SecretHeadersAreStrict) {
  try {
    Load(R"(
targets:
  web: { url: "http://127.0.0.1:2", secret_headers: ["X Bad"] }
)");
    FAIL() << "accepted a bad header name";
  } catch (const ConfigError& e) {
    ASSERT_EQ(e.errors().size(), 1u);
    EXPECT_THAT(e.errors()[0], HasSubstr("targets.web.secret_headers: \"X Bad\" is not a header"));
  }
}

TEST(Secrets, UrlUserInfoIsMaskedInErrors) {
  try {
    Load(R"(targets: { web: { url: "http://me:hunter22@127.0.0.1:2" } })");
    FAIL() << "accepted credentials in a URL";
  } catch (const ConfigError& e) {
    ASSERT_EQ(e.errors().size(), 1u);
    EXPECT_THAT(e.errors()[0], HasSubstr("http://me:***@127.0.0.1:2"));
    EXPECT_THAT(e.errors()[0], ::testing::Not(HasSubstr("hunter22")));
  }
}

}  // namespace
}  // namespace reznet::config
