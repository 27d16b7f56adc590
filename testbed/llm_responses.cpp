// The OpenAI Responses API (POST /v1/responses): semantic events, each `event: <type>` with the
// same "type" and a growing sequence_number in its payload, and no [DONE]:
//   response.created, response.in_progress (the Response object, status in_progress)
//   text:  response.output_item.added (message), response.content_part.added,
//          response.output_text.delta …, response.output_text.done, .content_part.done,
//          .output_item.done
//   tool:  response.output_item.added (function_call with its name: output event 0),
//          response.function_call_arguments.delta …, .function_call_arguments.done,
//          .output_item.done
//   response.completed (status completed, usage), or response.incomplete (reason
//   max_output_tokens) when the request's max_output_tokens cut the answer short.
// Injected errors (error_at_chunk), by error_event: response.failed (response.error with code
// error_type), error (top-level code/message), or response.incomplete (reason content_filter).
#include <boost/json.hpp>

#include "testbed/llm_wire.hpp"

namespace reznet::testbed {
namespace {

namespace json = boost::json;

json::object Usage(int output_tokens) {
  return {{"input_tokens", 12},
          {"input_tokens_details", json::object{{"cached_tokens", 0}}},
          {"output_tokens", output_tokens},
          {"output_tokens_details", json::object{{"reasoning_tokens", 0}}},
          {"total_tokens", 12 + output_tokens}};
}

// The Response object; `status` in_progress, completed, incomplete or failed.
json::object ResponseObject(const Plan& p, const std::string& status, json::array output,
                            json::value usage) {
  return {{"id", "resp_testbed"},     {"object", "response"},
          {"created_at", 1700000000}, {"status", status},
          {"error", nullptr},         {"incomplete_details", nullptr},
          {"model", p.model},         {"output", std::move(output)},
          {"usage", std::move(usage)}};
}

std::string FullText(const Plan& p) {
  std::string text;
  for (int k = 0; k < p.tokens; ++k) text += Token(k);
  return text;
}

std::string FullArguments(const Plan& p) {
  std::string args;
  for (int k = 1; k < p.tokens; ++k) args += ArgumentsPiece(k, p.tokens);
  return args;
}

json::object MessageItem(const std::string& status, json::array content) {
  return {{"id", "msg_testbed"},
          {"type", "message"},
          {"status", status},
          {"role", "assistant"},
          {"content", std::move(content)}};
}

json::object TextPart(const std::string& text) {
  return {{"type", "output_text"}, {"text", text}, {"annotations", json::array{}}};
}

json::object FunctionCallItem(const std::string& status, const std::string& arguments) {
  return {{"id", "fc_testbed"},  {"type", "function_call"}, {"status", status},
          {"call_id", "call_1"}, {"name", kToolName},       {"arguments", arguments}};
}

class ResponsesDialect final : public Dialect {
 public:
  ResponsesDialect(Writer& w, const Plan& p) : w_(w), p_(p) {}

  void Opening() override {
    Send("response.created",
         {{"response", ResponseObject(p_, "in_progress", json::array{}, nullptr)}});
    Send("response.in_progress",
         {{"response", ResponseObject(p_, "in_progress", json::array{}, nullptr)}});
    if (p_.m.tool_call) return;
    Send("response.output_item.added",
         {{"output_index", 0}, {"item", MessageItem("in_progress", json::array{})}});
    Send("response.content_part.added", {{"item_id", "msg_testbed"},
                                         {"output_index", 0},
                                         {"content_index", 0},
                                         {"part", TextPart("")}});
  }

  void Output(int k) override {
    if (!p_.m.tool_call) {
      Send("response.output_text.delta", {{"item_id", "msg_testbed"},
                                          {"output_index", 0},
                                          {"content_index", 0},
                                          {"delta", Token(k)}});
    } else if (k == 0) {
      Send("response.output_item.added",
           {{"output_index", 0}, {"item", FunctionCallItem("in_progress", "")}});
    } else {
      Send("response.function_call_arguments.delta", {{"item_id", "fc_testbed"},
                                                      {"output_index", 0},
                                                      {"delta", ArgumentsPiece(k, p_.tokens)}});
    }
  }

  void Error(int k) override {
    const std::string& event = p_.m.error_event;
    if (event == "error") {
      Send("error", {{"code", p_.m.error_type},
                     {"message", "injected mid-stream error"},
                     {"param", nullptr}});
      return;
    }
    const bool incomplete = event == "response.incomplete";
    json::object response =
        ResponseObject(p_, incomplete ? "incomplete" : "failed", json::array{}, Usage(k));
    if (incomplete) {
      response["incomplete_details"] = json::object{{"reason", "content_filter"}};
    } else {
      response["error"] =
          json::object{{"code", p_.m.error_type}, {"message", "injected mid-stream error"}};
    }
    Send(event, {{"response", std::move(response)}});
  }

  void Closing() override {
    json::object item;
    if (p_.m.tool_call) {
      Send("response.function_call_arguments.done",
           {{"item_id", "fc_testbed"}, {"output_index", 0}, {"arguments", FullArguments(p_)}});
      item = FunctionCallItem("completed", FullArguments(p_));
    } else {
      const std::string text = FullText(p_);
      Send("response.output_text.done",
           {{"item_id", "msg_testbed"}, {"output_index", 0}, {"content_index", 0}, {"text", text}});
      Send("response.content_part.done", {{"item_id", "msg_testbed"},
                                          {"output_index", 0},
                                          {"content_index", 0},
                                          {"part", TextPart(text)}});
      item = MessageItem("completed", json::array{TextPart(text)});
    }
    Send("response.output_item.done", {{"output_index", 0}, {"item", item}});
    json::object response = ResponseObject(p_, p_.incomplete ? "incomplete" : "completed",
                                           json::array{item}, Usage(p_.tokens));
    if (p_.incomplete)
      response["incomplete_details"] = json::object{{"reason", "max_output_tokens"}};
    Send(p_.incomplete ? "response.incomplete" : "response.completed",
         {{"response", std::move(response)}});
  }

 private:
  void Send(const std::string& type, json::object fields) {
    json::object event{{"type", type}, {"sequence_number", seq_++}};
    for (auto& kv : fields) event[kv.key()] = std::move(kv.value());
    w_.Event(type, json::serialize(event));
  }

  Writer& w_;
  const Plan& p_;
  int seq_ = 0;
};

}  // namespace

std::unique_ptr<Dialect> MakeResponsesDialect(Writer& w, const Plan& p) {
  return std::make_unique<ResponsesDialect>(w, p);
}

std::string FullResponsesAnswer(const Plan& p) {
  json::object response = ResponseObject(
      p, p.incomplete ? "incomplete" : "completed",
      json::array{MessageItem("completed", json::array{TextPart(FullText(p))})}, Usage(p.tokens));
  if (p.incomplete) response["incomplete_details"] = json::object{{"reason", "max_output_tokens"}};
  return json::serialize(response);
}

}  // namespace reznet::testbed
