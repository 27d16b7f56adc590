#include "probes/agent/agent_probe.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "config/module.hpp"
#include "probes/llm/llm_probe.hpp"
#include "probes/llm/stream_run.hpp"

namespace reznet::probes::agent {

config::KindTraits AgentProbe::Traits() {
  return {.name = std::string(kKind),
          // It measures its stream with llm's meter: the same phases.
          .phases = llm::LlmProbe::Traits().phases,
          .metrics = llm::LlmProbe::Metrics(),
          .chart_phase = "total",
          .default_samples = 10,
          .profiles = {"standard"},
          .labels = {"provider", "model"},
          .address = config::UrlAddress,
          .settings_shared = true,
          .parse = &ParseSettings};
}

std::unique_ptr<Probe> AgentProbe::Create(const CreateArgs& args) {
  auto settings = std::dynamic_pointer_cast<const AgentSettings>(args.probe.settings);
  if (!settings || args.target == nullptr || !args.target->url) {
    throw std::invalid_argument("agent probe " + args.probe.name + " built without a valid config");
  }
  clients::HttpLimits limits;
  limits.max_body_bytes = 8 << 20;
  auto client = std::make_unique<clients::HttpClient>(
      args.executor, *args.target->url,
      clients::TlsOptions{args.target->ca_file, args.target->insecure_skip_verify}, limits);
  return std::make_unique<AgentProbe>(std::move(settings), std::move(client));
}

boost::asio::awaitable<Outcome> AgentProbe::Run(RunContext ctx) {
  clients::HttpRequest request{"POST", settings_->path, settings_->headers, settings_->body};
  request.headers.emplace_back("content-type", "application/json");
  if (settings_->stream) {
    request.headers.emplace_back("accept", "text/event-stream");
    llm::StreamSpec spec;
    spec.decode = [s = settings_](const clients::SseEvent& e) { return DecodeAgentEvent(*s, e); };
    spec.end_marker = "event: " + settings_->end_event;
    co_return co_await llm::MeasureStream(*client_, request, ctx.deadline, spec);
  }
  Outcome out;
  request.headers.emplace_back("accept", "application/json");
  auto response = co_await client_->Send(request, ctx.deadline, false);
  if (!response) {
    out.Fail(response.error().kind, response.error().detail);
    co_return out;
  }
  llm::RecordTransport(out, response->timings);
  out.SetCounter("status", response->status);
  if (llm::FailOnStatus(out, *response)) co_return out;
  out.Record("total", response->timings.ttfb + response->timings.transfer);
  boost::json::error_code ec;
  boost::json::value doc = boost::json::parse(response->body, ec);
  if (ec) {
    out.Fail(ErrorKind::kBadPayload, "agent reply is not JSON: " + response->body.substr(0, 80));
    co_return out;
  }
  const auto* reply = clients::Lookup(doc, settings_->reply_field);
  if (!reply || !reply->is_string() || reply->as_string().empty()) {
    out.Fail(ErrorKind::kAssertion,
             "agent reply has no non-empty \"" + settings_->reply_field.text + "\"");
  }
  if (const auto* usage = clients::Lookup(doc, settings_->usage_field);
      usage && usage->is_int64()) {
    out.SetCounter("output_tokens", static_cast<double>(usage->as_int64()));
  }
  co_return out;
}

}  // namespace reznet::probes::agent
