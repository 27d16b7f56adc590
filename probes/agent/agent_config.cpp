#include "probes/agent/agent_config.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "clients/headers.hpp"

namespace reznet::probes::agent {
namespace {

void ReadPath(config::MapReader& r, const std::string& key, const std::string& fallback,
              clients::JsonPath& out) {
  std::string text = fallback;
  r.Read(key, text);
  auto parsed = clients::ParseJsonPath(text);
  if (parsed) {
    out = *parsed;
  } else {
    r.diag().Error(r.MarkOf(key), r.PathOf(key), parsed.error().detail);
  }
}

}  // namespace

std::shared_ptr<const config::KindSettings> ParseAgentSettings(config::MapReader& r,
                                                               const config::TargetConfig* target,
                                                               const config::ProbeConfig& probe) {
  auto s = std::make_shared<AgentSettings>();
  auto& diag = r.diag();
  if (probe.target.empty()) {
    diag.Error(r.mark(), r.path(), "an agent probe needs the backend as target (target: backend)");
  } else if (target != nullptr && !target->url) {
    diag.Error(r.mark(), r.path(),
               "target \"" + target->name + "\" has no url; an agent probe needs one");
  }
  if (r.ReadRequestTarget("path", s->path, true) && !s->path.starts_with("/")) {
    diag.Error(r.MarkOf("path"), r.PathOf("path"),
               "must start with \"/\", like \"/api/agents/1/chat\"");
  }
  std::string message;
  r.Read("message", message);
  r.Read("body", s->body);
  if (!message.empty() && !s->body.empty()) {
    diag.Error(r.MarkOf("body"), r.PathOf("body"), "write message or body, not both");
  } else if (!message.empty()) {
    s->body = boost::json::serialize(boost::json::object{{"message", message}});
  } else if (s->body.empty()) {
    diag.Error(r.mark(), r.path(),
               "missing message; write message: \"Say hello\" (or body: a JSON string)");
  } else {
    boost::json::error_code ec;
    boost::json::parse(s->body, ec);
    if (ec) diag.Error(r.MarkOf("body"), r.PathOf("body"), "body is not JSON: " + ec.message());
  }
  r.Read("stream", s->stream);
  ReadPath(r, "reply_field", "reply", s->reply_field);
  ReadPath(r, "text_field", "text", s->text_field);
  ReadPath(r, "usage_field", "usage.output_tokens", s->usage_field);
  r.Read("end_event", s->end_event);
  r.Read("error_event", s->error_event);
  s->headers = clients::ReadHeaders(r, target);
  return s;
}

llm::WireStep DecodeAgentEvent(const AgentSettings& s, const clients::SseEvent& event) {
  llm::WireStep step;
  std::string_view data = event.data;
  if (data == "[DONE]") {
    step.end = true;
    return step;
  }
  boost::json::error_code ec;
  boost::json::value doc = boost::json::parse(data, ec);
  if (event.type == s.error_event) {
    step.error = ec ? std::string(data.substr(0, 120)) : llm::DescribeErrorBody(data);
    return step;
  }
  if (ec) {
    step.bad_json = std::string(data.substr(0, 80));
    return step;
  }
  if (const auto* usage = clients::Lookup(doc, s.usage_field); usage && usage->is_int64()) {
    step.output_tokens = static_cast<long>(usage->as_int64());
  }
  if (event.type == s.end_event) {
    step.end = true;
    return step;
  }
  if (const auto* text = clients::Lookup(doc, s.text_field);
      text && text->is_string() && !text->as_string().empty()) {
    step.content = true;
  }
  return step;
}

}  // namespace reznet::probes::agent
