#pragma once
// The provider wire formats, decoded one SSE event (or one JSON body) at a time.
//
// Anthropic Messages API stream: message_start … content_block_start/_delta/_stop … message_delta
// (usage.output_tokens is a running total: the last one wins) … message_stop. Content is a
// text_delta, a thinking_delta, an input_json_delta (tool use), or a content_block_start of a
// tool_use block (its name: the first output of a tool call); signature_delta, ping and empty
// text/thinking block starts carry none. `event: error` is a failure with the provider's error
// type. Proxies that drop the `event:` line are understood from the payload's "type".
//
// OpenAI Chat Completions stream (and any compatible server: vLLM, Ollama, llama.cpp,
// OpenRouter): `data: {chunk}` lines; content is delta.content, delta.reasoning_content /
// delta.reasoning, delta.refusal, or a tool call's function name or arguments
// (tool_calls[].function, legacy function_call); a role-only chunk carries none; a chunk
// with empty `choices` carries usage.completion_tokens; `data: [DONE]` ends the stream; a payload
// with an "error" key is a failure.
//
// OpenAI Responses API stream (POST /v1/responses): `event: <type>` with the same "type" in the
// JSON payload, no [DONE]. Content is a non-empty `delta` of response.output_text.delta,
// .refusal.delta, .reasoning_text.delta, .reasoning_summary_text.delta,
// .function_call_arguments.delta or .custom_tool_call_input.delta, or a
// response.output_item.added whose item names a tool (a function_call's name: the first output
// of a tool call). response.completed ends the stream with response.usage.output_tokens.
// response.failed ("code: message" of response.error), response.incomplete ("incomplete:
// <incomplete_details.reason>", e.g. max_output_tokens or content_filter) and `error` events
// ("code: message") are failures.

#include <optional>
#include <string>
#include <string_view>

#include "clients/sse.hpp"

namespace reznet::probes::llm {

enum class Provider { kAnthropic, kOpenAI, kOpenAIResponses };

struct WireStep {
  bool content = false;  // carried model output: text, thinking, a tool call's name or arguments
  bool end = false;      // the end marker
  std::optional<long> output_tokens;    // usage seen in this event
  std::optional<std::string> error;     // provider error: "type: message"
  std::optional<std::string> bad_json;  // payload that is not the JSON expected (a short excerpt)
  bool operator==(const WireStep&) const = default;
};

WireStep DecodeEvent(Provider provider, const clients::SseEvent& event);

// A non-streaming response body (status 2xx).
struct WireBody {
  std::size_t text_bytes = 0;
  std::optional<long> output_tokens;
  std::optional<std::string> error;
  std::optional<std::string> bad_json;
};
WireBody DecodeBody(Provider provider, std::string_view body);

// "type: message" from an error response body of any provider (HTTP 4xx/5xx), or an excerpt
// of the body when it is not the documented shape.
std::string DescribeErrorBody(std::string_view body);

}  // namespace reznet::probes::llm
