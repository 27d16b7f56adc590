#pragma once
// The emulated providers' answers in their exact wire formats: Anthropic Messages, OpenAI Chat
// Completions and OpenAI Responses, streamed (SSE) or as one JSON body, timed and faulted per
// LlmModel (llm_emulator.hpp). A streamed answer is: the opening events (sent at once), then
// `tokens` output events — the first due ttft_ms after the request arrived, then one every
// token_ms (+ jitter) — then the closing events with usage and the end marker. In tool-call mode
// output event 0 names the tool and the rest carry its arguments.

#include <httplib.h>

#include <chrono>
#include <memory>
#include <random>
#include <string>

#include "testbed/llm_emulator.hpp"

namespace reznet::testbed {

struct Plan {
  LlmModel m;
  std::chrono::steady_clock::time_point start;  // when the handler got the request
  Api api = Api::kAnthropic;
  std::string model;
  int tokens = 0;              // output events to send
  bool include_usage = false;  // Chat: stream_options.include_usage
  bool incomplete = false;     // Responses: max_output_tokens cut the answer short
};

// Sleeps accurately (the kernel overshoots by 50-100 µs): to 300 µs short, then spins.
void SleepUntil(std::chrono::steady_clock::time_point until);
void SleepMs(double ms);

// Words of the answer (unicode on purpose); in tool-call mode, pieces of the arguments' JSON.
std::string Token(int k);
std::string ArgumentsPiece(int k, int tokens);
inline constexpr const char* kToolName = "lookup";

// The provider's error type for an HTTP status, and its error JSON body.
std::string ErrorTypeFor(int status, Api api);
std::string ErrorJson(Api api, const std::string& type, const std::string& message);

// Writes SSE events (with the model's CRLF and comment variants). Not thread-safe.
class Writer {
 public:
  Writer(httplib::DataSink& sink, const LlmModel& m)
      : sink_(sink), nl_(m.crlf ? "\r\n" : "\n"), comments_(m.comments) {}
  bool Event(const std::string& type, const std::string& data);

 private:
  httplib::DataSink& sink_;
  std::string nl_;
  bool comments_;
};

// One provider's events for a streamed answer.
class Dialect {
 public:
  virtual ~Dialect() = default;
  virtual void Opening() = 0;      // before the first output, sent at once
  virtual void Output(int k) = 0;  // output event k
  virtual void Error(int k) = 0;   // the injected mid-stream error, instead of output k
  virtual void Closing() = 0;      // stop events, usage and the end marker
};
std::unique_ptr<Dialect> MakeResponsesDialect(Writer& w, const Plan& p);  // llm_responses.cpp

// Streams one answer. Returns false to drop the connection (cut_mode close).
bool StreamAnswer(httplib::DataSink& sink, const Plan& p, std::mt19937_64& rng);
// The non-streaming answer body.
std::string FullAnswer(const Plan& p);
std::string FullResponsesAnswer(const Plan& p);  // llm_responses.cpp

}  // namespace reznet::testbed
