#include "testbed/llm_emulator.hpp"

#include <boost/json.hpp>
#include <random>
#include <thread>

#include "clients/sse.hpp"

namespace reznet::testbed {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

// Sleeps accurately (the kernel overshoots by 50-100 µs): to 300 µs short, then spins.
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

// Words of the answer; unicode on purpose.
std::string Token(int k) {
  static const char* kWords[] = {"Hello", " from", " the",  " RezNet", " testbed",
                                 " — ",   "héllo", " 世界", "!"};
  return kWords[k % 9];
}

std::string ErrorTypeFor(int status, bool anthropic) {
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

std::string ErrorJson(bool anthropic, const std::string& type, const std::string& message) {
  if (anthropic) {
    return json::serialize(json::object{
        {"type", "error"}, {"error", json::object{{"type", type}, {"message", message}}}});
  }
  return json::serialize(
      json::object{{"error", json::object{{"message", message}, {"type", type}, {"code", type}}}});
}

struct Plan {
  LlmModel m;
  std::chrono::steady_clock::time_point start;  // when the handler got the request
  bool anthropic = true;
  std::string model;
  int tokens = 0;
  bool include_usage = false;
};

class Writer {
 public:
  Writer(httplib::DataSink& sink, const Plan& p)
      : sink_(sink), nl_(p.m.crlf ? "\r\n" : "\n"), comments_(p.m.comments) {}
  bool Event(const std::string& type, const std::string& data) {
    std::string out;
    if (comments_) out += ": OPENROUTER PROCESSING" + nl_;
    if (!type.empty()) out += "event: " + type + nl_;
    out += "data: " + data + nl_ + nl_;
    return sink_.write(out.data(), out.size());
  }

 private:
  httplib::DataSink& sink_;
  std::string nl_;
  bool comments_;
};

// Streams one answer. Returns false to drop the connection (cut_mode close).
std::string OpenAiChunk(const Plan& p, const std::string& id, json::object delta,
                        json::value finish) {
  return json::serialize(json::object{
      {"id", id},
      {"object", "chat.completion.chunk"},
      {"created", 1700000000},
      {"model", p.model},
      {"choices", json::array{json::object{
                      {"index", 0}, {"delta", std::move(delta)}, {"finish_reason", finish}}}}});
}

// The events before the first token: message_start and the content block (Anthropic), or the
// role chunk (OpenAI, when the model sends one).
void Opening(Writer& w, const Plan& p, const std::string& id) {
  if (p.anthropic) {
    w.Event(
        "message_start",
        json::serialize(json::object{
            {"type", "message_start"},
            {"message",
             json::object{{"id", id},
                          {"type", "message"},
                          {"role", "assistant"},
                          {"model", p.model},
                          {"content", json::array{}},
                          {"stop_reason", nullptr},
                          {"usage", json::object{{"input_tokens", 12}, {"output_tokens", 1}}}}}}));
    w.Event(
        "content_block_start",
        R"({"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}})");
    w.Event("ping", R"({"type": "ping"})");
  } else if (p.m.role_chunk) {
    w.Event("", OpenAiChunk(p, id, json::object{{"role", "assistant"}, {"content", ""}}, nullptr));
  }
}

// The events after the last token: the stop events and usage, then the end marker.
void Closing(Writer& w, const Plan& p, const std::string& id) {
  if (p.anthropic) {
    w.Event("content_block_stop", R"({"type":"content_block_stop","index":0})");
    w.Event("message_delta",
            json::serialize(json::object{
                {"type", "message_delta"},
                {"delta", json::object{{"stop_reason", "end_turn"}, {"stop_sequence", nullptr}}},
                {"usage", json::object{{"output_tokens", p.tokens}}}}));
    w.Event("message_stop", R"({"type":"message_stop"})");
  } else {
    w.Event("", OpenAiChunk(p, id, json::object{}, "stop"));
    if (p.include_usage) {
      w.Event("", json::serialize(
                      json::object{{"id", id},
                                   {"object", "chat.completion.chunk"},
                                   {"model", p.model},
                                   {"choices", json::array{}},
                                   {"usage", json::object{{"prompt_tokens", 12},
                                                          {"completion_tokens", p.tokens},
                                                          {"total_tokens", 12 + p.tokens}}}}));
    }
    w.Event("", "[DONE]");
  }
}

bool StreamAnswer(httplib::DataSink& sink, const Plan& p, std::mt19937_64& rng) {
  Writer w(sink, p);
  std::uniform_real_distribution<double> jitter(0, std::max(0.0, p.m.jitter_ms));
  const std::string id = p.anthropic ? "msg_testbed" : "chatcmpl-testbed";
  Opening(w, p, id);
  // The first token is due ttft after the request arrived, whatever the work before it cost.
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
      w.Event(p.anthropic ? "error" : "",
              ErrorJson(p.anthropic, p.m.error_type, "injected mid-stream error"));
      sink.done();
      return true;
    }
    if (p.anthropic) {
      w.Event("content_block_delta",
              json::serialize(json::object{
                  {"type", "content_block_delta"},
                  {"index", 0},
                  {"delta", json::object{{"type", "text_delta"}, {"text", Token(k)}}}}));
    } else {
      w.Event("", OpenAiChunk(p, id, json::object{{"content", Token(k)}}, nullptr));
    }
  }
  Closing(w, p, id);
  sink.done();
  return true;
}

std::string FullAnswer(const Plan& p) {
  std::string text;
  for (int k = 0; k < p.tokens; ++k) text += Token(k);
  if (p.anthropic) {
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

}  // namespace

std::expected<LlmModel, std::string> ParseLlmModel(const std::string& text, LlmModel m) {
  json::error_code ec;
  json::value doc = json::parse(text, ec);
  if (ec || !doc.is_object()) return std::unexpected("llm must be a JSON object");
  for (const auto& kv : doc.as_object()) {
    const std::string key(kv.key());
    const json::value& v = kv.value();
    auto num = [&](double& out) -> bool {
      if (!v.is_number()) return false;
      out = v.to_number<double>();
      return out >= 0 && out <= 600000;
    };
    auto integer = [&](int& out) -> bool {
      if (!v.is_int64()) return false;
      out = static_cast<int>(v.as_int64());
      return out >= -1 && out <= 100000;
    };
    bool ok = true;
    if (key == "ttft_ms")
      ok = num(m.ttft_ms);
    else if (key == "token_ms")
      ok = num(m.token_ms);
    else if (key == "jitter_ms")
      ok = num(m.jitter_ms);
    else if (key == "stall_ms")
      ok = num(m.stall_ms);
    else if (key == "output_tokens")
      ok = integer(m.output_tokens) && m.output_tokens >= 0;
    else if (key == "status")
      ok = integer(m.status) && (m.status == 0 || (m.status >= 400 && m.status <= 599));
    else if (key == "error_at_chunk")
      ok = integer(m.error_at_chunk);
    else if (key == "stall_at_chunk")
      ok = integer(m.stall_at_chunk);
    else if (key == "cut_at_chunk")
      ok = integer(m.cut_at_chunk);
    else if (key == "error_type")
      ok = v.is_string() && (m.error_type = std::string(v.as_string()), true);
    else if (key == "cut_mode")
      ok = v.is_string() && (v.as_string() == "close" || v.as_string() == "clean") &&
           (m.cut_mode = std::string(v.as_string()), true);
    else if (key == "comments")
      ok = v.is_bool() && (m.comments = v.as_bool(), true);
    else if (key == "crlf")
      ok = v.is_bool() && (m.crlf = v.as_bool(), true);
    else if (key == "role_chunk")
      ok = v.is_bool() && (m.role_chunk = v.as_bool(), true);
    else if (key == "echo_key")
      ok = v.is_bool() && (m.echo_key = v.as_bool(), true);
    else
      return std::unexpected("unknown llm key " + key);
    if (!ok) return std::unexpected("bad value for llm." + key);
  }
  return m;
}

json::object LlmModelToJson(const LlmModel& m) {
  return {{"ttft_ms", m.ttft_ms},
          {"token_ms", m.token_ms},
          {"jitter_ms", m.jitter_ms},
          {"output_tokens", m.output_tokens},
          {"status", m.status},
          {"error_at_chunk", m.error_at_chunk},
          {"error_type", m.error_type},
          {"stall_at_chunk", m.stall_at_chunk},
          {"stall_ms", m.stall_ms},
          {"cut_at_chunk", m.cut_at_chunk},
          {"cut_mode", m.cut_mode},
          {"comments", m.comments},
          {"crlf", m.crlf},
          {"role_chunk", m.role_chunk},
          {"echo_key", m.echo_key}};
}

LlmModel LlmEmulator::Get() const {
  std::lock_guard lock(mutex_);
  return model_;
}

void LlmEmulator::Set(const LlmModel& m) {
  std::lock_guard lock(mutex_);
  model_ = m;
}

namespace {

using Emit = std::function<void(const std::string& type, const std::string& data)>;

// Streams one answer from the (emulated) provider at `self` and relays it as agent events.
void RelayFromProvider(const std::string& self, const std::string& upstream, const Emit& emit) {
  httplib::Client client(self);
  client.set_tcp_nodelay(true);
  client.set_read_timeout(120, 0);
  // With --tls-cert the testbed calls itself over https, with its own (throwaway) certificate.
  client.enable_server_certificate_verification(false);
  clients::SseParser parser;
  long tokens = 0;
  bool finished = false;
  httplib::Request up;
  up.method = "POST";
  up.path = "/v1/messages";
  up.headers = {{"x-api-key", "testbed-agent-key"},
                {"anthropic-version", "2023-06-01"},
                {"Accept", "text/event-stream"}};
  up.body = upstream;
  up.set_header("Content-Type", "application/json");
  int status = 0;
  up.response_handler = [&](const httplib::Response& r) {
    status = r.status;
    return true;
  };
  up.content_receiver = [&](const char* data, std::size_t len, std::uint64_t, std::uint64_t) {
    if (status != 200) return true;  // reported below as "provider answered HTTP <status>"
    parser.Feed(std::string_view(data, len), [&](const clients::SseEvent& e) {
      json::error_code jec;
      json::value v = json::parse(e.data, jec);
      if (jec) return;
      if (e.type == "content_block_delta") {
        const auto* delta = v.as_object().if_contains("delta");
        if (delta && delta->is_object()) {
          if (const auto* t = delta->as_object().if_contains("text"); t && t->is_string()) {
            emit("token", json::serialize(json::object{{"text", t->as_string()}}));
          }
        }
      } else if (e.type == "message_delta") {
        if (const auto* u = v.as_object().if_contains("usage"); u && u->is_object()) {
          if (const auto* o = u->as_object().if_contains("output_tokens"); o && o->is_int64())
            tokens = static_cast<long>(o->as_int64());
        }
      } else if (e.type == "message_stop") {
        finished = true;
        emit("done",
             json::serialize(json::object{{"usage", json::object{{"output_tokens", tokens}}}}));
      } else if (e.type == "error") {
        finished = true;
        emit("error", e.data);
      }
    });
    return true;
  };
  client.send(up);  // failures end up as !finished
  if (!finished) {
    const std::string why = status != 200 && status != 0
                                ? "provider answered HTTP " + std::to_string(status)
                                : "provider stream ended early";
    emit("error", json::serialize(json::object{
                      {"error", json::object{{"type", "upstream_error"}, {"message", why}}}}));
  }
}

}  // namespace

void LlmEmulator::Register(httplib::Server& server) {
  server.Post("/v1/messages", [this](const httplib::Request& req, httplib::Response& res) {
    Provider(req, res, true);
  });
  server.Post("/v1/chat/completions", [this](const httplib::Request& req, httplib::Response& res) {
    Provider(req, res, false);
  });
  // The RezNet agent endpoint: answers a message by streaming from the (emulated) Anthropic API
  // over HTTP, as the backend's agents do, and relays it as JSON or as its own SSE events:
  //   event: token  data: {"text": "…"}   …   event: done  data: {"usage": {"output_tokens": N}}
  //   event: error  data: {"error": {"type": "…", "message": "…"}}
  server.Post(R"(/api/agents/(\d+)/chat)",
              [this](const httplib::Request& req, httplib::Response& res) { AgentChat(req, res); });
}

void LlmEmulator::Provider(const httplib::Request& req, httplib::Response& res, bool anthropic) {
  Plan p;
  p.start = std::chrono::steady_clock::now();
  p.m = Get();
  p.anthropic = anthropic;
  const bool authed = anthropic ? !req.get_header_value("x-api-key").empty()
                                : req.get_header_value("Authorization").starts_with("Bearer ") &&
                                      req.get_header_value("Authorization").size() > 7;
  const int status = !authed ? 401 : p.m.status;
  if (status != 0) {
    res.status = status;
    std::string message = !authed ? "missing or invalid API key" : "injected fault";
    if (status == 401 && p.m.echo_key) {
      message = anthropic ? "invalid x-api-key: " + req.get_header_value("x-api-key")
                          : "Incorrect API key provided: " +
                                req.get_header_value("Authorization")
                                    .substr(std::min<std::size_t>(
                                        7, req.get_header_value("Authorization").size()));
    }
    res.set_content(ErrorJson(anthropic, ErrorTypeFor(status, anthropic), message),
                    "application/json");
    return;
  }
  json::error_code ec;
  json::value body = json::parse(req.body, ec);
  if (ec || !body.is_object() || !body.as_object().contains("model") ||
      !body.as_object().contains("messages")) {
    res.status = 400;
    res.set_content(ErrorJson(anthropic, "invalid_request_error", "body needs model and messages"),
                    "application/json");
    return;
  }
  const auto& obj = body.as_object();
  p.model = std::string(obj.at("model").as_string());
  long max_tokens = 4096;
  if (const auto* mt = obj.if_contains("max_tokens"); mt && mt->is_int64())
    max_tokens = static_cast<long>(mt->as_int64());
  p.tokens = static_cast<int>(std::min<long>(p.m.output_tokens, max_tokens));
  const auto* stream = obj.if_contains("stream");
  if (const auto* so = obj.if_contains("stream_options"); so && so->is_object()) {
    if (const auto* iu = so->as_object().if_contains("include_usage"); iu && iu->is_bool())
      p.include_usage = iu->as_bool();
  }
  if (!(stream && stream->is_bool() && stream->as_bool())) {
    SleepMs(p.m.ttft_ms + p.m.token_ms * std::max(0, p.tokens - 1));
    res.set_content(FullAnswer(p), "application/json");
    return;
  }
  res.set_header("Cache-Control", "no-cache");
  res.set_chunked_content_provider("text/event-stream", [p](std::size_t, httplib::DataSink& sink) {
    thread_local std::mt19937_64 rng(std::random_device{}());
    return StreamAnswer(sink, p, rng);
  });
}

void LlmEmulator::AgentChat(const httplib::Request& req, httplib::Response& res) {
  json::error_code ec;
  json::value body = json::parse(req.body, ec);
  if (ec || !body.is_object() || !body.as_object().contains("message")) {
    res.status = 422;
    res.set_content(R"({"detail": "body needs a message"})", "application/json");
    return;
  }
  const std::string message(body.as_object().at("message").as_string());
  const bool sse = req.get_header_value("Accept").find("text/event-stream") != std::string::npos;
  const std::string agent = req.matches[1];
  const std::string upstream = json::serialize(json::object{
      {"model", "claude-3-5-haiku-latest"},
      {"max_tokens", 256},
      {"stream", true},
      {"messages", json::array{json::object{{"role", "user"}, {"content", message}}}}});
  const std::string self = self_url_;
  auto relay = [self, upstream](const Emit& emit) { RelayFromProvider(self, upstream, emit); };
  if (!sse) {
    std::string reply;
    std::string error;
    long tokens = 0;
    relay([&](const std::string& type, const std::string& data) {
      json::value v = json::parse(data);
      if (type == "token") reply += std::string(v.as_object().at("text").as_string());
      if (type == "done")
        tokens =
            static_cast<long>(v.as_object().at("usage").as_object().at("output_tokens").as_int64());
      if (type == "error") error = data;
    });
    if (!error.empty()) {
      res.status = 502;
      res.set_content(error, "application/json");
      return;
    }
    res.set_content(
        json::serialize(json::object{{"agent_id", std::stol(agent)},
                                     {"reply", reply},
                                     {"usage", json::object{{"output_tokens", tokens}}}}),
        "application/json");
    return;
  }
  res.set_chunked_content_provider(
      "text/event-stream", [relay](std::size_t, httplib::DataSink& sink) {
        relay([&](const std::string& type, const std::string& data) {
          const std::string out = "event: " + type + "\ndata: " + data + "\n\n";
          sink.write(out.data(), out.size());
        });
        sink.done();
        return true;
      });
}

}  // namespace reznet::testbed
