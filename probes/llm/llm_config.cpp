#include "probes/llm/llm_config.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace reznet::probes::llm {

std::shared_ptr<const config::KindSettings> ParseLlmSettings(config::MapReader& r,
                                                             const config::TargetConfig* target,
                                                             const config::ProbeConfig& probe) {
  auto s = std::make_shared<LlmSettings>();
  auto& diag = r.diag();
  if (probe.target.empty()) {
    diag.Error(r.mark(), r.path(),
               "an llm probe needs a target with a url and an api_key (target: anthropic)");
  } else if (target != nullptr && !target->url) {
    diag.Error(r.mark(), r.path(),
               "target \"" + target->name + "\" has no url; an llm probe needs one");
  }
  if (r.Read("provider", s->provider_name, true)) {
    if (const ProviderInfo* info = FindProvider(s->provider_name)) {
      s->provider = info->provider;
    } else {
      diag.Error(r.MarkOf("provider"), r.PathOf("provider"),
                 "\"" + s->provider_name +
                     "\" is not a provider; write anthropic, openai (Chat Completions, any "
                     "OpenAI-compatible server) or openai-responses (Responses API)");
    }
  }
  r.Read("model", s->model, true);
  std::string prompt;
  r.Read("prompt", prompt);
  YAML::Node messages = r.Node("messages");
  if (messages.IsDefined() && !messages.IsNull()) {
    if (!prompt.empty())
      diag.Error(r.MarkOf("messages"), r.PathOf("messages"), "write prompt or messages, not both");
    if (config::IsSequence(messages, r.PathOf("messages"), diag)) {
      for (std::size_t i = 0; i < messages.size(); ++i) {
        config::MapReader m(messages[i], r.PathOf("messages") + "[" + std::to_string(i) + "]",
                            diag);
        std::string role = "user", content;
        m.Read("role", role);
        m.Read("content", content, true);
        if (role != "user" && role != "assistant") {
          diag.Error(m.MarkOf("role"), m.PathOf("role"),
                     "role is user or assistant (put the system prompt in system:)");
        }
        m.Finish();
        s->messages.emplace_back(role, content);
      }
    }
  } else if (!prompt.empty()) {
    s->messages.emplace_back("user", prompt);
  } else {
    diag.Error(r.mark(), r.path(),
               "missing prompt; write prompt: \"Reply with ok.\" or a messages: list");
  }
  r.Read("system", s->system);
  r.Read("max_tokens", s->max_tokens, 1, 1'000'000);
  if (r.Has("temperature")) {
    std::string t;
    r.Read("temperature", t);
    try {
      std::size_t used = 0;
      double v = std::stod(t, &used);
      if (used != t.size() || v < 0 || v > 2) throw std::invalid_argument(t);
      s->temperature = v;
    } catch (const std::exception&) {
      diag.Error(r.MarkOf("temperature"), r.PathOf("temperature"),
                 "expected a number from 0 to 2, got \"" + t + "\"");
    }
  }
  r.Read("stream", s->stream);
  std::map<std::string, std::string> headers;
  r.ReadHeaders("extra_headers", headers);
  for (auto& [k, v] : headers) s->extra_headers.emplace_back(k, v);
  s->path = InfoOf(s->provider).default_path;
  if (r.ReadRequestTarget("path", s->path) && !s->path.starts_with("/")) {
    diag.Error(r.MarkOf("path"), r.PathOf("path"), "must start with \"/\"");
  }
  r.Read("max_stream_bytes", s->max_stream_bytes, 1024, std::int64_t{1} << 30);
  config::MapReader budget(r.Node("budget"), r.PathOf("budget"), diag);
  budget.Read("daily_output_tokens", s->daily_output_tokens, 1, std::int64_t{1} << 40);
  budget.Finish();
  return s;
}

namespace {

constexpr ProviderInfo kProviders[] = {
    {Provider::kAnthropic, "anthropic", "/v1/messages", "message_stop"},
    {Provider::kOpenAI, "openai", "/v1/chat/completions", "data: [DONE]"},
    {Provider::kOpenAIResponses, "openai-responses", "/v1/responses", "response.completed"},
};

}  // namespace

const ProviderInfo& InfoOf(Provider provider) {
  for (const auto& info : kProviders) {
    if (info.provider == provider) return info;
  }
  return kProviders[0];  // unreachable: every enumerator has a row
}

const ProviderInfo* FindProvider(std::string_view name) {
  for (const auto& info : kProviders) {
    if (info.name == name) return &info;
  }
  return nullptr;
}

namespace {

// Responses API: `input` items instead of messages, the system prompt as `instructions`, and
// max_output_tokens (which includes reasoning tokens). store: false keeps the probe's answers
// out of the provider's stored responses.
std::string ResponsesRequestBody(const LlmSettings& s) {
  boost::json::object body;
  body["model"] = s.model;
  body["max_output_tokens"] = s.max_tokens;
  if (s.temperature) body["temperature"] = *s.temperature;
  boost::json::array input;
  for (const auto& [role, content] : s.messages)
    input.push_back(boost::json::object{{"role", role}, {"content", content}});
  body["input"] = std::move(input);
  if (!s.system.empty()) body["instructions"] = s.system;
  body["store"] = false;
  if (s.stream) body["stream"] = true;
  return boost::json::serialize(body);
}

}  // namespace

std::string RequestBody(const LlmSettings& s) {
  if (s.provider == Provider::kOpenAIResponses) return ResponsesRequestBody(s);
  boost::json::object body;
  body["model"] = s.model;
  body["max_tokens"] = s.max_tokens;
  if (s.temperature) body["temperature"] = *s.temperature;
  boost::json::array messages;
  if (s.provider == Provider::kOpenAI && !s.system.empty()) {
    messages.push_back(boost::json::object{{"role", "system"}, {"content", s.system}});
  }
  for (const auto& [role, content] : s.messages)
    messages.push_back(boost::json::object{{"role", role}, {"content", content}});
  body["messages"] = std::move(messages);
  if (s.provider == Provider::kAnthropic && !s.system.empty()) body["system"] = s.system;
  if (s.stream) {
    body["stream"] = true;
    if (s.provider == Provider::kOpenAI)
      body["stream_options"] = boost::json::object{{"include_usage", true}};
  }
  return boost::json::serialize(body);
}

}  // namespace reznet::probes::llm
