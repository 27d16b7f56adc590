#include "daemon/logging.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <mutex>

#include "common/escape.hpp"
#include "common/json.hpp"
#include "probes/outcome.hpp"

namespace reznet::daemon {
namespace {

// The message as a JSON string (JsonQuote escapes control characters and replaces invalid UTF-8).
class JsonMessageFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    const std::string quoted =
        common::JsonQuote(std::string_view(msg.payload.data(), msg.payload.size()));
    dest.append(quoted.data(), quoted.data() + quoted.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<JsonMessageFlag>();
  }
};

// The message of a text line with CR, LF and other control characters escaped (common::LogText):
// a label or an upstream error cannot end the line and forge the next one.
class TextMessageFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    const std::string text =
        common::LogText(std::string_view(msg.payload.data(), msg.payload.size()));
    dest.append(text.data(), text.data() + text.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<TextMessageFlag>();
  }
};

// stderr, with secrets scrubbed from the message before the formatter sees it: scrubbing the
// formatted line would miss a secret that JSON escaping changed.
class RedactingStderrSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit RedactingStderrSink(common::Redactor secrets) : secrets_(std::move(secrets)) {}
  void SetSecrets(common::Redactor secrets) {
    const std::lock_guard lock(mutex_);
    secrets_ = std::move(secrets);
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t line;
    const std::string_view payload(msg.payload.data(), msg.payload.size());
    if (secrets_.Contains(payload)) {
      const std::string scrubbed = secrets_.Scrub(payload);
      spdlog::details::log_msg copy = msg;
      copy.payload = scrubbed;
      formatter_->format(copy, line);
    } else {
      formatter_->format(msg, line);
    }
    std::fwrite(line.data(), 1, line.size(), stderr);
  }
  void flush_() override { std::fflush(stderr); }

 private:
  common::Redactor secrets_;
};

}  // namespace

void SetLogSecrets(common::Redactor secrets) {
  for (const auto& sink : spdlog::default_logger()->sinks()) {
    if (auto redacting = std::dynamic_pointer_cast<RedactingStderrSink>(sink)) {
      redacting->SetSecrets(std::move(secrets));
      return;
    }
  }
}

void SetupLogging(const config::LogConfig& log, common::Redactor secrets) {
  auto logger = std::make_shared<spdlog::logger>(
      "reznet-perfd", std::make_shared<RedactingStderrSink>(std::move(secrets)));
  auto formatter = std::make_unique<spdlog::pattern_formatter>();
  if (log.format == "json") {
    formatter->add_flag<JsonMessageFlag>('*').set_pattern(
        R"({"ts":"%Y-%m-%dT%H:%M:%S.%e%z","level":"%l","msg":%*})");
  } else {
    formatter->add_flag<TextMessageFlag>('*').set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %l %*");
  }
  logger->set_formatter(std::move(formatter));
  logger->set_level(spdlog::level::from_str(log.level));
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(std::move(logger));
}

}  // namespace reznet::daemon
