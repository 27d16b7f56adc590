// Logging: secrets never reach the log, in text or JSON, before or after a reload.
#include "daemon/logging.hpp"

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

namespace reznet::daemon {
namespace {

std::string LogOnce(const std::string& message) {
  testing::internal::CaptureStderr();
  spdlog::warn("upstream said: {}", message);
  return testing::internal::GetCapturedStderr();
}

common::Redactor Secrets(std::string_view secret) {
  common::Redactor r;
  r.Add(secret);
  return r;
}

TEST(Logging, ScrubsSecretsInTextLines) {
  SetupLogging({"info", "text"}, Secrets("sk-live-123456"));
  const std::string line = LogOnce("invalid x-api-key: sk-live-123456");
  EXPECT_NE(line.find("upstream said: invalid x-api-key: ***"), std::string::npos) << line;
  EXPECT_EQ(line.find("sk-live-123456"), std::string::npos) << line;
}

TEST(Logging, ScrubsSecretsBeforeJsonEscaping) {
  // A secret with a quote: scrubbing the escaped line would miss it.
  SetupLogging({"info", "json"}, Secrets("pa\"ss-word"));
  const std::string line = LogOnce("auth failed for pa\"ss-word");
  EXPECT_NE(line.find(R"("msg":"upstream said: auth failed for ***")"), std::string::npos) << line;
  EXPECT_EQ(line.find("ss-word"), std::string::npos) << line;
}

TEST(Logging, SetLogSecretsReplacesTheSecrets) {
  SetupLogging({"info", "text"}, Secrets("old-secret"));
  SetLogSecrets(Secrets("new-secret"));
  const std::string line = LogOnce("new-secret old-secret");
  EXPECT_NE(line.find("upstream said: *** old-secret"), std::string::npos) << line;
}

}  // namespace
}  // namespace reznet::daemon
