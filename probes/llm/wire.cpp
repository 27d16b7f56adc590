#include "probes/llm/wire.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

namespace reznet::probes::llm {
namespace {

namespace json = boost::json;

std::string Excerpt(std::string_view s) {
  std::string out(s.substr(0, 80));
  if (s.size() > 80) out += "…";
  return out;
}

const json::value* Find(const json::value& v, std::string_view key) {
  const auto* obj = v.if_object();
  return obj ? obj->if_contains(key) : nullptr;
}

bool NonEmptyString(const json::value* v) { return v && v->is_string() && !v->as_string().empty(); }

// A function call (or a piece of one) that carries its name or some of its arguments.
bool NamesOrArguments(const json::value* fn) {
  return fn && (NonEmptyString(Find(*fn, "name")) || NonEmptyString(Find(*fn, "arguments")));
}

std::optional<long> AsCount(const json::value* v) {
  if (v == nullptr) return std::nullopt;
  if (v->is_int64()) return static_cast<long>(v->as_int64());
  if (v->is_uint64()) return static_cast<long>(v->as_uint64());
  return std::nullopt;
}

// "type: message" of an error object ({"type"|"code": …, "message": …}), or the text of a string.
// `type_key` false skips "type" (the Responses API's error event has "type": "error").
std::string DescribeError(const json::value& err, bool type_key = true) {
  if (err.is_string()) return std::string(err.as_string());
  std::string type = "error";
  if (const auto* t = Find(err, "type"); type_key && t && t->is_string())
    type = std::string(t->as_string());
  else if (const auto* c = Find(err, "code"); c && (c->is_string() || c->is_int64()))
    type = c->is_string() ? std::string(c->as_string()) : std::to_string(c->as_int64());
  std::string message;
  if (const auto* m = Find(err, "message"); m && m->is_string())
    message = std::string(m->as_string());
  return message.empty() ? type : type + ": " + message;
}

// {"error": {"type": ..., "message": ...}} (Anthropic, OpenAI) or {"error": "text"} (some servers).
std::optional<std::string> ErrorOf(const json::value& doc) {
  const json::value* err = Find(doc, "error");
  if (err == nullptr || err->is_null()) return std::nullopt;
  return DescribeError(*err);
}

// The event's JSON object, and its type: the `event:` field, or the payload's "type" when a proxy
// dropped the `event:` line. Not an object: sets step.bad_json and returns nothing.
std::optional<json::value> ParseTyped(const clients::SseEvent& event, std::string& type,
                                      WireStep& step) {
  json::error_code ec;
  json::value doc = json::parse(event.data, ec);
  if (ec || !doc.is_object()) {
    step.bad_json = Excerpt(event.data);
    return std::nullopt;
  }
  type = event.type;
  if (type == "message") {
    if (const auto* t = Find(doc, "type"); t && t->is_string()) type = std::string(t->as_string());
  }
  return doc;
}

WireStep DecodeAnthropic(const clients::SseEvent& event) {
  WireStep step;
  if (event.type == "ping") return step;
  std::string type;
  auto parsed = ParseTyped(event, type, step);
  if (!parsed) return step;
  const json::value& doc = *parsed;
  if (type == "error") {
    step.error = ErrorOf(doc).value_or("error");
  } else if (type == "message_stop") {
    step.end = true;
  } else if (type == "content_block_delta") {
    const json::value* delta = Find(doc, "delta");
    if (delta) {
      step.content = NonEmptyString(Find(*delta, "text")) ||
                     NonEmptyString(Find(*delta, "thinking")) ||
                     NonEmptyString(Find(*delta, "partial_json"));
    }
  } else if (type == "content_block_start") {
    // A tool_use block (also server_tool_use, mcp_tool_use) opens with the tool's name: the
    // model's first output when it answers with a tool call, before any input_json_delta.
    if (const auto* block = Find(doc, "content_block")) {
      const auto* block_type = Find(*block, "type");
      const bool tool = block_type && block_type->is_string() &&
                        std::string_view(block_type->as_string()).ends_with("tool_use");
      step.content =
          NonEmptyString(Find(*block, "text")) || (tool && NonEmptyString(Find(*block, "name")));
    }
  } else if (type == "message_delta") {
    if (const auto* usage = Find(doc, "usage"))
      step.output_tokens = AsCount(Find(*usage, "output_tokens"));
  } else if (type == "message_start") {
    if (const auto* msg = Find(doc, "message")) {
      if (const auto* usage = Find(*msg, "usage"))
        step.output_tokens = AsCount(Find(*usage, "output_tokens"));
    }
  }
  return step;
}

WireStep DecodeOpenAI(const clients::SseEvent& event) {
  WireStep step;
  std::string_view data = event.data;
  while (!data.empty() && (data.back() == ' ' || data.back() == '\n')) data.remove_suffix(1);
  if (data == "[DONE]") {
    step.end = true;
    return step;
  }
  json::error_code ec;
  json::value doc = json::parse(data, ec);
  if (ec || !doc.is_object()) {
    step.bad_json = Excerpt(event.data);
    return step;
  }
  if (auto err = ErrorOf(doc)) {
    step.error = *err;
    return step;
  }
  if (const auto* choices = Find(doc, "choices"); choices && choices->is_array()) {
    for (const auto& choice : choices->as_array()) {
      const json::value* delta = Find(choice, "delta");
      if (delta == nullptr) continue;
      if (NonEmptyString(Find(*delta, "content")) ||
          NonEmptyString(Find(*delta, "reasoning_content")) ||
          NonEmptyString(Find(*delta, "reasoning")) || NonEmptyString(Find(*delta, "refusal")) ||
          NamesOrArguments(Find(*delta, "function_call"))) {
        step.content = true;
      }
      // A tool call's first chunk names the function with empty arguments: that chunk is the
      // first output, not the arguments that follow it.
      if (const auto* calls = Find(*delta, "tool_calls"); calls && calls->is_array()) {
        for (const auto& call : calls->as_array()) {
          if (NamesOrArguments(Find(call, "function"))) step.content = true;
        }
      }
    }
  }
  if (const auto* usage = Find(doc, "usage"); usage && usage->is_object()) {
    step.output_tokens = AsCount(Find(*usage, "completion_tokens"));
  }
  return step;
}

// The Response object's verdict: "code: message" of response.failed's `error`, or
// "incomplete: <reason>" of response.incomplete's `incomplete_details`.
std::string ResponseFailure(const json::value* response, std::string_view type) {
  if (type == "response.incomplete") {
    std::string reason = "incomplete";
    if (const auto* details = response ? Find(*response, "incomplete_details") : nullptr) {
      if (const auto* r = Find(*details, "reason"); NonEmptyString(r))
        reason += ": " + std::string(r->as_string());
    }
    return reason;
  }
  const json::value* err = response ? Find(*response, "error") : nullptr;
  return err == nullptr || err->is_null() ? "response.failed" : DescribeError(*err);
}

// Deltas that carry model output: answer text, refusal, reasoning, tool-call arguments.
bool IsOutputDelta(std::string_view type) {
  static constexpr std::string_view kDeltas[] = {"response.output_text.delta",
                                                 "response.refusal.delta",
                                                 "response.reasoning_text.delta",
                                                 "response.reasoning_summary_text.delta",
                                                 "response.function_call_arguments.delta",
                                                 "response.custom_tool_call_input.delta"};
  for (auto d : kDeltas) {
    if (type == d) return true;
  }
  return false;
}

WireStep DecodeOpenAIResponses(const clients::SseEvent& event) {
  WireStep step;
  std::string type;
  auto parsed = ParseTyped(event, type, step);
  if (!parsed) return step;
  const json::value& doc = *parsed;
  const json::value* response = Find(doc, "response");
  if (type == "response.completed" || type == "response.failed" || type == "response.incomplete") {
    if (const auto* usage = response ? Find(*response, "usage") : nullptr)
      step.output_tokens = AsCount(Find(*usage, "output_tokens"));
    if (type == "response.completed")
      step.end = true;
    else
      step.error = ResponseFailure(response, type);
  } else if (type == "error") {
    // {"type":"error","code":…,"message":…}; some servers nest it under "error" instead.
    step.error = ErrorOf(doc).value_or(DescribeError(doc, false));
  } else if (IsOutputDelta(type)) {
    step.content = NonEmptyString(Find(doc, "delta"));
  } else if (type == "response.output_item.added") {
    // A function_call (custom_tool_call, mcp_call …) item opens with the tool's name: the
    // first output of a tool call, before its argument deltas. Message items have no name.
    if (const auto* item = Find(doc, "item")) step.content = NonEmptyString(Find(*item, "name"));
  }
  return step;
}

std::size_t StringBytes(const json::value* v) {
  return v && v->is_string() ? v->as_string().size() : 0;
}

void BodyAnthropic(const json::value& doc, WireBody& out) {
  if (const auto* content = Find(doc, "content"); content && content->is_array()) {
    for (const auto& block : content->as_array()) {
      out.text_bytes += StringBytes(Find(block, "text")) + StringBytes(Find(block, "thinking"));
      if (const auto* input = Find(block, "input");
          input && input->is_object() && !input->as_object().empty()) {
        out.text_bytes += 1;
      }
    }
  }
  if (const auto* usage = Find(doc, "usage"))
    out.output_tokens = AsCount(Find(*usage, "output_tokens"));
}

void BodyOpenAI(const json::value& doc, WireBody& out) {
  if (const auto* choices = Find(doc, "choices"); choices && choices->is_array()) {
    for (const auto& choice : choices->as_array()) {
      const json::value* msg = Find(choice, "message");
      if (msg == nullptr) continue;
      out.text_bytes +=
          StringBytes(Find(*msg, "content")) + StringBytes(Find(*msg, "reasoning_content"));
      if (const auto* calls = Find(*msg, "tool_calls");
          calls && calls->is_array() && !calls->as_array().empty()) {
        out.text_bytes += 1;
      }
    }
  }
  if (const auto* usage = Find(doc, "usage"); usage && usage->is_object()) {
    out.output_tokens = AsCount(Find(*usage, "completion_tokens"));
  }
}

// output[]: message items hold content parts (output_text, refusal), reasoning items summary
// parts, function_call items a name and arguments. status "incomplete" is a failure as in a
// stream; "failed" arrives with a non-null error, caught before.
void BodyOpenAIResponses(const json::value& doc, WireBody& out) {
  if (const auto* output = Find(doc, "output"); output && output->is_array()) {
    for (const auto& item : output->as_array()) {
      for (const char* list : {"content", "summary"}) {
        const auto* parts = Find(item, list);
        if (parts == nullptr || !parts->is_array()) continue;
        for (const auto& part : parts->as_array())
          out.text_bytes += StringBytes(Find(part, "text")) + StringBytes(Find(part, "refusal"));
      }
      out.text_bytes += StringBytes(Find(item, "name")) + StringBytes(Find(item, "arguments"));
    }
  }
  if (const auto* status = Find(doc, "status"); status && status->is_string()) {
    if (status->as_string() == "incomplete" || status->as_string() == "failed")
      out.error = ResponseFailure(&doc, "response." + std::string(status->as_string()));
  }
  if (const auto* usage = Find(doc, "usage"); usage && usage->is_object())
    out.output_tokens = AsCount(Find(*usage, "output_tokens"));
}

}  // namespace

WireStep DecodeEvent(Provider provider, const clients::SseEvent& event) {
  switch (provider) {
    case Provider::kAnthropic:
      return DecodeAnthropic(event);
    case Provider::kOpenAI:
      return DecodeOpenAI(event);
    case Provider::kOpenAIResponses:
      return DecodeOpenAIResponses(event);
  }
  return {};
}

WireBody DecodeBody(Provider provider, std::string_view body) {
  WireBody out;
  json::error_code ec;
  json::value doc = json::parse(body, ec);
  if (ec || !doc.is_object()) {
    out.bad_json = Excerpt(body);
    return out;
  }
  if (auto err = ErrorOf(doc)) {
    out.error = *err;
    return out;
  }
  switch (provider) {
    case Provider::kAnthropic:
      BodyAnthropic(doc, out);
      break;
    case Provider::kOpenAI:
      BodyOpenAI(doc, out);
      break;
    case Provider::kOpenAIResponses:
      BodyOpenAIResponses(doc, out);
      break;
  }
  return out;
}

std::string DescribeErrorBody(std::string_view body) {
  json::error_code ec;
  json::value doc = json::parse(body, ec);
  if (!ec) {
    if (auto err = ErrorOf(doc)) return *err;
  }
  return Excerpt(body);
}

}  // namespace reznet::probes::llm
