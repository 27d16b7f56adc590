#include "testbed/llm_emulator.hpp"

#include <boost/json.hpp>
#include <random>

#include "clients/sse.hpp"
#include "testbed/llm_wire.hpp"

namespace reznet::testbed {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

}  // namespace

common::Result<LlmModel> ParseLlmModel(const std::string& text, LlmModel m) {
  json::error_code ec;
  json::value doc = json::parse(text, ec);
  if (ec || !doc.is_object()) return common::Invalid("llm must be a JSON object");
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
    else if (key == "tool_call")
      ok = v.is_bool() && (m.tool_call = v.as_bool(), true);
    else if (key == "error_event")
      ok = v.is_string() &&
           (v.as_string() == "response.failed" || v.as_string() == "response.incomplete" ||
            v.as_string() == "error") &&
           (m.error_event = std::string(v.as_string()), true);
    else
      return common::Invalid("unknown llm key " + key);
    if (!ok) return common::Invalid("bad value for llm." + key);
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
          {"echo_key", m.echo_key},
          {"tool_call", m.tool_call},
          {"error_event", m.error_event}};
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
    (void)parser.Push(std::string_view(data, len), [&](const clients::SseEvent& e) {
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
    Provider(req, res, Api::kAnthropic);
  });
  server.Post("/v1/chat/completions", [this](const httplib::Request& req, httplib::Response& res) {
    Provider(req, res, Api::kChat);
  });
  server.Post("/v1/responses", [this](const httplib::Request& req, httplib::Response& res) {
    Provider(req, res, Api::kResponses);
  });
  // The RezNet agent endpoint: answers a message by streaming from the (emulated) Anthropic API
  // over HTTP, as the backend's agents do, and relays it as JSON or as its own SSE events:
  //   event: token  data: {"text": "…"}   …   event: done  data: {"usage": {"output_tokens": N}}
  //   event: error  data: {"error": {"type": "…", "message": "…"}}
  server.Post(R"(/api/agents/(\d+)/chat)",
              [this](const httplib::Request& req, httplib::Response& res) { AgentChat(req, res); });
}

namespace {

// Answers a request without a valid key (401) or while a status fault is set, with the
// provider's error JSON; returns true when it did.
bool RejectRequest(const httplib::Request& req, httplib::Response& res, const LlmModel& m,
                   Api api) {
  const std::string bearer = req.get_header_value("Authorization");
  const bool authed = api == Api::kAnthropic ? !req.get_header_value("x-api-key").empty()
                                             : bearer.starts_with("Bearer ") && bearer.size() > 7;
  const int status = !authed ? 401 : m.status;
  if (status == 0) return false;
  res.status = status;
  std::string message = !authed ? "missing or invalid API key" : "injected fault";
  if (status == 401 && m.echo_key) {
    message = api == Api::kAnthropic ? "invalid x-api-key: " + req.get_header_value("x-api-key")
                                     : "Incorrect API key provided: " +
                                           bearer.substr(std::min<std::size_t>(7, bearer.size()));
  }
  res.set_content(ErrorJson(api, ErrorTypeFor(status, api), message), "application/json");
  return true;
}

}  // namespace

void LlmEmulator::Provider(const httplib::Request& req, httplib::Response& res, Api api) {
  Plan p;
  p.start = std::chrono::steady_clock::now();
  p.m = Get();
  p.api = api;
  if (RejectRequest(req, res, p.m, api)) return;
  // The Responses API takes `input` and max_output_tokens; the others messages and max_tokens.
  const bool responses = api == Api::kResponses;
  const char* input_key = responses ? "input" : "messages";
  json::error_code ec;
  json::value body = json::parse(req.body, ec);
  if (ec || !body.is_object() || !body.as_object().contains("model") ||
      !body.as_object().contains(input_key)) {
    res.status = 400;
    res.set_content(
        ErrorJson(api, "invalid_request_error", std::string("body needs model and ") + input_key),
        "application/json");
    return;
  }
  const auto& obj = body.as_object();
  p.model = std::string(obj.at("model").as_string());
  long max_tokens = 4096;
  if (const auto* mt = obj.if_contains(responses ? "max_output_tokens" : "max_tokens");
      mt && mt->is_int64())
    max_tokens = static_cast<long>(mt->as_int64());
  p.tokens = static_cast<int>(std::min<long>(p.m.output_tokens, max_tokens));
  p.incomplete = responses && p.m.output_tokens > max_tokens;
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
