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

TEST(Logging, TextLinesCannotBeForgedByWhatUsersWrote) {
  SetupLogging({"info", "text"});
  const std::string forged = "x\r\n2026-12-07T08:00:00.000+0000 error forged\x1b[2K\x01";
  const std::string out = LogOnce(forged);
  // One line, ending in the one newline the logger writes; the rest escaped.
  EXPECT_EQ(out.find('\n'), out.size() - 1) << out;
  EXPECT_EQ(out.find('\r'), std::string::npos) << out;
  EXPECT_NE(out.find(R"(upstream said: x\r\n2026-12-07T08:00:00.000+0000 error forged\x1B[2K\x01)"),
            std::string::npos)
      << out;
}

TEST(Logging, JsonLinesStayValidJsonWhateverTheBytes) {
  SetupLogging({"info", "json"});
  const std::string out = LogOnce("a\nb\"\xff\x01");
  EXPECT_EQ(out.find('\n'), out.size() - 1) << out;
  EXPECT_NE(out.find(R"("msg":"upstream said: a\nb\")"
                     "\xEF\xBF\xBD"
                     R"(\u0001")"),
            std::string::npos)
      << out;
}

TEST(Logging, SetLogSecretsReplacesTheSecrets) {
  SetupLogging({"info", "text"}, Secrets("old-secret"));
  SetLogSecrets(Secrets("new-secret"));
  const std::string line = LogOnce("new-secret old-secret");
  EXPECT_NE(line.find("upstream said: *** old-secret"), std::string::npos) << line;
}

}  // namespace
}  // namespace reznet::daemon
