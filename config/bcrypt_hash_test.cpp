// daemon.auth.basic_users hashes as the loader judges them (config/bcrypt_hash.hpp).
#include "config/bcrypt_hash.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/loader.hpp"

namespace reznet::config {
namespace {

using ::testing::ElementsAre;

std::vector<std::string> ErrorsOf(const std::string& yaml) {
  try {
    LoadString(yaml, "t.yaml", {});
  } catch (const ConfigError& e) {
    return e.errors();
  }
  return {};
}

// Issue #24 (break 7): a cost the daemon cannot afford, or a malformed hash, is refused at load
// with the cost and what to write instead; the hash itself never appears.
TEST(BcryptHash, BasicUsersRefuseCostlyAndMalformedHashes) {
  const auto errors_for = [](const std::string& hash) {
    return ErrorsOf("daemon:\n  auth:\n    basic_users:\n      prom: \"" + hash + "\"\n");
  };
  const std::string tail(53, 'a');
  EXPECT_TRUE(errors_for("$2b$12$" + tail).empty());
  EXPECT_TRUE(errors_for("$2a$04$" + tail).empty());
  const std::string make = "; make one with `reznet-perfd hash-password --cost 10`";
  const std::string at = "t.yaml:4:13: daemon.auth.basic_users.prom: ";
  EXPECT_THAT(errors_for("$2b$16$" + tail),
              ElementsAre(at +
                          "bcrypt cost 16 is above 12, the most this daemon accepts: every check "
                          "of a wrong password or an unknown user would take 16 times as long as "
                          "at cost 12 (~0.25 s of CPU), so a few wrong logins would take the CPU "
                          "and a first login would miss the scrape timeout" +
                          make));
  EXPECT_THAT(errors_for("$2b$31$" + tail),
              ElementsAre(::testing::HasSubstr("bcrypt cost 31 is above 12")));
  EXPECT_THAT(errors_for("$2b$13$" + tail),
              ElementsAre(::testing::HasSubstr("bcrypt cost 13 is above 12")));
  EXPECT_THAT(errors_for("$2b$03$" + tail),
              ElementsAre(at + "bcrypt cost 3 is below bcrypt's minimum of 4" + make));
  EXPECT_THAT(errors_for("$2b$1x$" + tail),
              ElementsAre(at +
                          "expected two cost digits and '$' after the bcrypt prefix "
                          "(\"$2b$10$…\")" +
                          make));
  EXPECT_THAT(errors_for("$2b$10$" + tail.substr(1)),
              ElementsAre(at + "a bcrypt hash has 60 characters, this one 59" + make));
  EXPECT_THAT(errors_for("$2b$10$" + tail.substr(1) + "!"),
              ElementsAre(at + "character 60 is not bcrypt base64 ([./A-Za-z0-9])" + make));
  EXPECT_THAT(errors_for("$1$abc$" + tail),
              ElementsAre(at + "expected a bcrypt hash starting with $2y$, $2b$ or $2a$" + make));
}

}  // namespace
}  // namespace reznet::config
