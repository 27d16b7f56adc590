#pragma once
// The testbed as an LLM provider (Anthropic Messages API, OpenAI Chat Completions and OpenAI
// Responses API, streaming and not, in their exact wire formats: llm_wire.hpp) and as the RezNet
// agent endpoint that calls it.
//
// Latency model and faults come from POST /testbed/faults {"llm": {...}}:
//   ttft_ms (50)        delay before the first content event (the stream's first events —
//                       message_start / role chunk — go out at once)
//   token_ms (10)       delay between content events, + uniform [0, jitter_ms)
//   output_tokens (12)  content events per answer (capped by the request's max_tokens)
//   status (0)          answer every request with this HTTP status and the provider's error JSON
//                       (401, 429, 500, 529 …)
//   error_at_chunk (-1) send the provider's mid-stream error instead of content event K
//   error_type          "overloaded_error"
//   stall_at_chunk (-1), stall_ms   pause before content event K
//   cut_at_chunk (-1)   stop before content event K without the end marker; cut_mode "close"
//                       drops the connection, "clean" ends the HTTP body properly
//   comments (false)    send ": OPENROUTER PROCESSING" keep-alive comments between events
//   crlf (false)        end lines with CRLF
//   role_chunk (true)   OpenAI: start with the role-only chunk
//   echo_key (false)    a 401 names the key it was sent, as the real providers do
//                       ("invalid x-api-key: <key>"), to test that clients keep it out of output
//   tool_call (false)   the answer is a tool call: content event 0 names the tool (OpenAI: a
//                       delta with the function's name and empty arguments; Anthropic: the
//                       tool_use content_block_start; Responses: output_item.added), the rest
//                       carry its arguments
//   error_event         Responses API: the event error_at_chunk sends: "response.failed"
//                       (default; response.error.code = error_type), "error" (code =
//                       error_type) or "response.incomplete" (reason content_filter)
// The Responses API also ends with response.incomplete (reason max_output_tokens) when the
// request's max_output_tokens is below output_tokens; the other APIs cap the answer silently.

#include <httplib.h>

#include <boost/json/object.hpp>
#include <expected>
#include <mutex>
#include <string>

#include "common/error.hpp"

namespace reznet::testbed {

enum class Api { kAnthropic, kChat, kResponses };

struct LlmModel {
  double ttft_ms = 50;
  double token_ms = 10;
  double jitter_ms = 0;
  int output_tokens = 12;
  int status = 0;
  int error_at_chunk = -1;
  std::string error_type = "overloaded_error";
  int stall_at_chunk = -1;
  double stall_ms = 0;
  int cut_at_chunk = -1;
  std::string cut_mode = "close";
  bool comments = false;
  bool crlf = false;
  bool role_chunk = true;
  bool echo_key = false;
  bool tool_call = false;
  std::string error_event = "response.failed";
};

// Applies the "llm" object of a faults body onto `model`; absent keys keep their value.
common::Result<LlmModel> ParseLlmModel(const std::string& llm_object_json, LlmModel model);
boost::json::object LlmModelToJson(const LlmModel& m);

class LlmEmulator {
 public:
  // `self_url` is the testbed's own base URL: the agent endpoint calls the provider through it.
  void Register(httplib::Server& server);
  void SetSelfUrl(std::string url) { self_url_ = std::move(url); }
  LlmModel Get() const;
  void Set(const LlmModel& m);

 private:
  // POST /v1/messages (anthropic), /v1/chat/completions and /v1/responses.
  void Provider(const httplib::Request& req, httplib::Response& res, Api api);
  // POST /api/agents/{id}/chat.
  void AgentChat(const httplib::Request& req, httplib::Response& res);

  mutable std::mutex mutex_;
  LlmModel model_;
  std::string self_url_;
};

}  // namespace reznet::testbed
