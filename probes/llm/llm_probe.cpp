#include "probes/llm/llm_probe.hpp"

#include "config/module.hpp"
#include "probes/llm/stream_run.hpp"

namespace reznet::probes::llm {
namespace {

using SteadyClock = std::chrono::steady_clock;

long UtcDay() {
  return static_cast<long>(std::chrono::duration_cast<std::chrono::days>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count());
}

}  // namespace

std::vector<config::KindMetric> LlmProbe::Metrics() {
  return {{.counter = "output_tokens",
           .name = "reznet_perf_llm_output_tokens_total",
           .help = "Output tokens of LLM probe runs (provider usage, else counted content events).",
           .total = true,
           .kind_labels = true},
          {.counter = "tokens_per_second",
           .name = "reznet_perf_llm_tokens_per_second",
           .help = "Decode rate of the last LLM run: (output_tokens - 1) / (total - ttft).",
           .kind_labels = true},
          {.counter = "budget_spent_tokens",
           .name = "reznet_perf_llm_budget_spent_tokens",
           .help = "Output tokens spent today (UTC) against the probe's daily budget."}};
}

config::KindTraits LlmProbe::Traits() {
  return {.name = std::string(kKind),
          .phases = {"dns", "connect", "tls", "ttfb", "ttft", "inter_chunk", "tpot", "total"},
          .metrics = Metrics(),
          .chart_phase = "total",
          .default_samples = 5,
          .profiles = {"standard"},
          .labels = {"provider", "model"},
          .address = config::UrlAddress,
          .settings_shared = true,
          .parse = &ParseSettings};
}

std::unique_ptr<Probe> LlmProbe::Create(const CreateArgs& args) {
  auto settings = std::dynamic_pointer_cast<const LlmSettings>(args.probe.settings);
  if (!settings || args.target == nullptr || !args.target->url) {
    throw std::invalid_argument("llm probe " + args.probe.name + " built without a valid config");
  }
  clients::HttpLimits limits;
  limits.max_body_bytes = static_cast<std::size_t>(settings->max_stream_bytes);
  auto client = std::make_unique<clients::HttpClient>(
      args.executor, *args.target->url,
      clients::TlsOptions{args.target->ca_file, args.target->insecure_skip_verify}, limits);
  return std::make_unique<LlmProbe>(std::move(settings), *args.target, std::move(client));
}

LlmProbe::LlmProbe(std::shared_ptr<const LlmSettings> settings, const config::TargetConfig& target,
                   std::unique_ptr<clients::HttpClient> client)
    : settings_(std::move(settings)), api_key_(target.api_key), client_(std::move(client)) {
  if (api_key_.empty()) {
    key_skip_reason_ =
        "no API key: target " + target.name + "'s api_key" +
        (target.api_key_source.empty() ? " is not set"
                                       : " (" + target.api_key_source + ") is empty");
  }
}

clients::HttpRequest LlmProbe::BuildRequest() const {
  clients::HttpRequest req;
  req.method = "POST";
  req.target = settings_->path;
  req.body = RequestBody(*settings_);
  req.headers.emplace_back("content-type", "application/json");
  if (settings_->stream) req.headers.emplace_back("accept", "text/event-stream");
  if (settings_->provider == Provider::kAnthropic) {
    req.headers.emplace_back("x-api-key", api_key_);
    req.headers.emplace_back("anthropic-version", "2023-06-01");
  } else {
    req.headers.emplace_back("authorization", "Bearer " + api_key_);
  }
  for (const auto& h : settings_->extra_headers) req.headers.push_back(h);
  return req;
}

boost::asio::awaitable<Outcome> LlmProbe::Run(RunContext ctx) {
  if (!key_skip_reason_.empty()) co_return Outcome::Skipped(key_skip_reason_);
  if (settings_->daily_output_tokens > 0) {
    if (const long today = UtcDay(); today != budget_day_) {
      budget_day_ = today;
      budget_spent_ = 0;
    }
    if (budget_spent_ >= settings_->daily_output_tokens) {
      Outcome skipped = Outcome::Skipped("budget: " + std::to_string(budget_spent_) + " of " +
                                         std::to_string(settings_->daily_output_tokens) +
                                         " daily output tokens spent; runs resume at 00:00 UTC");
      skipped.SetCounter("budget_spent_tokens", static_cast<double>(budget_spent_));
      co_return skipped;
    }
  }
  Outcome out = co_await Measure(ctx);
  if (settings_->daily_output_tokens > 0) {
    budget_spent_ += static_cast<long>(out.Counter("output_tokens").value_or(0));
    out.SetCounter("budget_spent_tokens", static_cast<double>(budget_spent_));
  }
  co_return out;
}

boost::asio::awaitable<Outcome> LlmProbe::Measure(RunContext ctx) {
  Outcome out;
  const clients::HttpRequest request = BuildRequest();
  if (!settings_->stream) {
    auto response = co_await client_->Send(request, ctx.deadline, false);
    if (!response) {
      out.Fail(response.error().kind, response.error().detail);
      co_return out;
    }
    RecordTransport(out, response->timings);
    out.SetCounter("status", response->status);
    if (FailOnStatus(out, *response)) co_return out;
    out.Record("total", response->timings.ttfb + response->timings.transfer);
    WireBody body = DecodeBody(settings_->provider, response->body);
    if (body.bad_json) {
      out.Fail(ErrorKind::kBadPayload, "response is not the provider's JSON: " + *body.bad_json);
    } else if (body.error) {
      out.Fail(StreamErrorKind(*body.error), *body.error);
    }
    out.SetCounter("output_tokens", static_cast<double>(body.output_tokens.value_or(0)));
    out.SetCounter("usage_reported", body.output_tokens ? 1 : 0);
    co_return out;
  }

  StreamSpec spec;
  spec.decode = [provider = settings_->provider](const clients::SseEvent& e) {
    return DecodeEvent(provider, e);
  };
  spec.max_stream_bytes = static_cast<std::size_t>(settings_->max_stream_bytes);
  spec.end_marker = InfoOf(settings_->provider).end_marker;
  co_return co_await MeasureStream(*client_, request, ctx.deadline, spec);
}

}  // namespace reznet::probes::llm
