#include "testbed/llm_wire.hpp"

#include <boost/json.hpp>
#include <thread>

namespace reznet::testbed {

namespace json = boost::json;
using namespace std::chrono_literals;

void SleepUntil(std::chrono::steady_clock::time_point until) {
  std::this_thread::sleep_until(until - 300us);
  while (std::chrono::steady_clock::now() < until) {
  }
}

void SleepMs(double ms) {
  if (ms <= 0) return;
  SleepUntil(std::chrono::steady_clock::now() +
             std::chrono::microseconds(static_cast<long>(ms * 1000)));
}

std::string Token(int k) {
  static const char* kWords[] = {"Hello", " from", " the",  " RezNet", " testbed",
                                 " — ",   "héllo", " 世界", "!"};
  return kWords[k % 9];
}

// {"q":"from the RezNet …"} over pieces 1 … tokens-1 (piece 0 is the tool's name).
std::string ArgumentsPiece(int k, int tokens) {
  std::string piece = k == 1 ? "{\"q\":\"" + Token(k) : Token(k);
  if (k == tokens - 1) piece += "\"}";
  return piece;
}

std::string ErrorTypeFor(int status, Api api) {
  const bool anthropic = api == Api::kAnthropic;
  switch (status) {
    case 401:
      return anthropic ? "authentication_error" : "invalid_api_key";
    case 429:
      return anthropic ? "rate_limit_error" : "rate_limit_exceeded";
    case 529:
      return "overloaded_error";
    case 400:
      return "invalid_request_error";
    default:
      return anthropic ? "api_error" : "server_error";
  }
}

std::string ErrorJson(Api api, const std::string& type, const std::string& message) {
  if (api == Api::kAnthropic) {
    return json::serialize(json::object{
        {"type", "error"}, {"error", json::object{{"type", type}, {"message", message}}}});
  }
  return json::serialize(
      json::object{{"error", json::object{{"message", message}, {"type", type}, {"code", type}}}});
}

bool Writer::Event(const std::string& type, const std::string& data) {
  std::string out;
  if (comments_) out += ": OPENROUTER PROCESSING" + nl_;
  if (!type.empty()) out += "event: " + type + nl_;
  out += "data: " + data + nl_ + nl_;
  return sink_.write(out.data(), out.size());
}

namespace {

// message_start, (a text block), deltas, content_block_stop, message_delta, message_stop. In
// tool-call mode the tool_use block opens with output event 0 (the model's first output).
class AnthropicDialect final : public Dialect {
 public:
  AnthropicDialect(Writer& w, const Plan& p) : w_(w), p_(p) {}
  void Opening() override {
    w_.Event(
        "message_start",
        json::serialize(json::object{
            {"type", "message_start"},
            {"message",
             json::object{{"id", "msg_testbed"},
                          {"type", "message"},
                          {"role", "assistant"},
                          {"model", p_.model},
                          {"content", json::array{}},
                          {"stop_reason", nullptr},
                          {"usage", json::object{{"input_tokens", 12}, {"output_tokens", 1}}}}}}));
    if (!p_.m.tool_call) {
      w_.Event(
          "content_block_start",
          R"({"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}})");
    }
    w_.Event("ping", R"({"type": "ping"})");
  }
  void Output(int k) override {
    if (p_.m.tool_call && k == 0) {
      w_.Event("content_block_start",
               json::serialize(
                   json::object{{"type", "content_block_start"},
                                {"index", 0},
                                {"content_block", json::object{{"type", "tool_use"},
                                                               {"id", "toolu_testbed"},
                                                               {"name", kToolName},
                                                               {"input", json::object{}}}}}));
      return;
    }
    json::object delta = p_.m.tool_call
                             ? json::object{{"type", "input_json_delta"},
                                            {"partial_json", ArgumentsPiece(k, p_.tokens)}}
                             : json::object{{"type", "text_delta"}, {"text", Token(k)}};
    w_.Event("content_block_delta",
             json::serialize(json::object{
                 {"type", "content_block_delta"}, {"index", 0}, {"delta", std::move(delta)}}));
  }
  void Error(int) override {
    w_.Event("error", ErrorJson(Api::kAnthropic, p_.m.error_type, "injected mid-stream error"));
  }
  void Closing() override {
    w_.Event("content_block_stop", R"({"type":"content_block_stop","index":0})");
    w_.Event("message_delta",
             json::serialize(json::object{
                 {"type", "message_delta"},
                 {"delta", json::object{{"stop_reason", p_.m.tool_call ? "tool_use" : "end_turn"},
                                        {"stop_sequence", nullptr}}},
                 {"usage", json::object{{"output_tokens", p_.tokens}}}}));
    w_.Event("message_stop", R"({"type":"message_stop"})");
  }

 private:
  Writer& w_;
  const Plan& p_;
};

// `data: {chunk}` lines: (the role chunk), deltas, the finish chunk, (usage), [DONE]. In tool-call
// mode output event 0 names the function with empty arguments, as OpenAI does.
class ChatDialect final : public Dialect {
 public:
  ChatDialect(Writer& w, const Plan& p) : w_(w), p_(p) {}
  void Opening() override {
    if (p_.m.role_chunk)
      w_.Event("", Chunk(json::object{{"role", "assistant"}, {"content", ""}}, nullptr));
  }
  void Output(int k) override {
    if (!p_.m.tool_call) {
      w_.Event("", Chunk(json::object{{"content", Token(k)}}, nullptr));
      return;
    }
    json::object call{{"index", 0}};
    if (k == 0) {
      call["id"] = "call_testbed";
      call["type"] = "function";
      call["function"] = json::object{{"name", kToolName}, {"arguments", ""}};
    } else {
      call["function"] = json::object{{"arguments", ArgumentsPiece(k, p_.tokens)}};
    }
    w_.Event("", Chunk(json::object{{"tool_calls", json::array{std::move(call)}}}, nullptr));
  }
  void Error(int) override {
    w_.Event("", ErrorJson(Api::kChat, p_.m.error_type, "injected mid-stream error"));
  }
  void Closing() override {
    w_.Event("", Chunk(json::object{}, p_.m.tool_call ? "tool_calls" : "stop"));
    if (p_.include_usage) {
      w_.Event("", json::serialize(
                       json::object{{"id", "chatcmpl-testbed"},
                                    {"object", "chat.completion.chunk"},
                                    {"model", p_.model},
                                    {"choices", json::array{}},
                                    {"usage", json::object{{"prompt_tokens", 12},
                                                           {"completion_tokens", p_.tokens},
                                                           {"total_tokens", 12 + p_.tokens}}}}));
    }
    w_.Event("", "[DONE]");
  }

 private:
  std::string Chunk(json::object delta, json::value finish) const {
    return json::serialize(json::object{
        {"id", "chatcmpl-testbed"},
        {"object", "chat.completion.chunk"},
        {"created", 1700000000},
        {"model", p_.model},
        {"choices", json::array{json::object{
                        {"index", 0}, {"delta", std::move(delta)}, {"finish_reason", finish}}}}});
  }

  Writer& w_;
  const Plan& p_;
};

std::unique_ptr<Dialect> MakeDialect(Writer& w, const Plan& p) {
  switch (p.api) {
    case Api::kAnthropic:
      return std::make_unique<AnthropicDialect>(w, p);
    case Api::kChat:
      return std::make_unique<ChatDialect>(w, p);
    case Api::kResponses:
      return MakeResponsesDialect(w, p);
  }
  return nullptr;
}

}  // namespace

bool StreamAnswer(httplib::DataSink& sink, const Plan& p, std::mt19937_64& rng) {
  Writer w(sink, p.m);
  auto dialect = MakeDialect(w, p);
  std::uniform_real_distribution<double> jitter(0, std::max(0.0, p.m.jitter_ms));
  dialect->Opening();
  // The first output is due ttft after the request arrived, whatever the work before it cost.
  SleepUntil(p.start + std::chrono::microseconds(static_cast<long>(p.m.ttft_ms * 1000)));
  for (int k = 0; k < p.tokens; ++k) {
    if (k > 0) SleepMs(p.m.token_ms + jitter(rng));
    if (k == p.m.stall_at_chunk) SleepMs(p.m.stall_ms);
    if (k == p.m.cut_at_chunk) {
      if (p.m.cut_mode == "clean") {
        sink.done();
        return true;
      }
      return false;
    }
    if (k == p.m.error_at_chunk) {
      dialect->Error(k);
      sink.done();
      return true;
    }
    dialect->Output(k);
  }
  dialect->Closing();
  sink.done();
  return true;
}

std::string FullAnswer(const Plan& p) {
  if (p.api == Api::kResponses) return FullResponsesAnswer(p);
  std::string text;
  for (int k = 0; k < p.tokens; ++k) text += Token(k);
  if (p.api == Api::kAnthropic) {
    return json::serialize(
        json::object{{"id", "msg_testbed"},
                     {"type", "message"},
                     {"role", "assistant"},
                     {"model", p.model},
                     {"content", json::array{json::object{{"type", "text"}, {"text", text}}}},
                     {"stop_reason", "end_turn"},
                     {"usage", json::object{{"input_tokens", 12}, {"output_tokens", p.tokens}}}});
  }
  return json::serialize(json::object{
      {"id", "chatcmpl-testbed"},
      {"object", "chat.completion"},
      {"model", p.model},
      {"choices",
       json::array{json::object{{"index", 0},
                                {"message", json::object{{"role", "assistant"}, {"content", text}}},
                                {"finish_reason", "stop"}}}},
      {"usage", json::object{{"prompt_tokens", 12},
                             {"completion_tokens", p.tokens},
                             {"total_tokens", 12 + p.tokens}}}});
}

}  // namespace reznet::testbed
