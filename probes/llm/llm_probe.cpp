#include "probes/llm/llm_probe.hpp"

#include "probes/llm/stream_meter.hpp"
#include "probes/net/sse.hpp"

namespace reznet::probes::llm {
namespace {

using Clock = std::chrono::steady_clock;

long UtcDay() {
  return static_cast<long>(std::chrono::duration_cast<std::chrono::days>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count());
}

void RecordTransport(Outcome& out, const net::HttpTimings& t) {
  if (t.dns) out.Record("dns", *t.dns);
  if (t.connect) out.Record("connect", *t.connect);
  if (t.tls) out.Record("tls", *t.tls);
}

// What a streamed response left behind, filled by the body sink as bytes arrive.
struct StreamState {
  explicit StreamState(Provider p, std::size_t max_bytes) : provider(p), parser({1 << 20, max_bytes}) {}
  Provider provider;
  net::SseParser parser;
  std::optional<StreamMeter> meter;
  int status = 0;
  std::string error_body;  // non-2xx: collected by the client instead
  std::optional<ProbeError> failure;
  long events = 0;
};

}  // namespace

std::string StatusKind(int status) {
  if (status == 429) return "http_429";
  if (status == 529) return "http_529";
  return status >= 500 ? "http_5xx" : "http_4xx";
}

std::unique_ptr<Probe> LlmProbe::Create(const CreateArgs& args) {
  auto settings = std::dynamic_pointer_cast<const LlmSettings>(args.probe.settings);
  if (!settings || args.target == nullptr || !args.target->url) {
    throw std::invalid_argument("llm probe " + args.probe.name + " built without a valid config");
  }
  net::HttpLimits limits;
  limits.max_body_bytes = static_cast<std::size_t>(settings->max_stream_bytes);
  auto client = std::make_unique<net::HttpClient>(
      args.executor, *args.target->url, net::TlsOptions{args.target->ca_file, args.target->insecure_skip_verify}, limits);
  return std::make_unique<LlmProbe>(std::move(settings), *args.target, std::move(client));
}

LlmProbe::LlmProbe(std::shared_ptr<const LlmSettings> settings, const config::TargetConfig& target,
                   std::unique_ptr<net::HttpClient> client)
    : settings_(std::move(settings)), api_key_(target.api_key), client_(std::move(client)) {
  if (api_key_.empty()) {
    key_skip_reason_ = "no API key: target " + target.name + "'s api_key" +
                       (target.api_key_source.empty() ? " is not set" : " (" + target.api_key_source + ") is empty");
  }
}

net::HttpRequest LlmProbe::BuildRequest() const {
  net::HttpRequest req;
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
  const net::HttpRequest request = BuildRequest();
  if (!settings_->stream) {
    auto response = co_await client_->Send(request, ctx.deadline, false);
    if (!response) {
      out.Fail(response.error().kind, response.error().detail);
      co_return out;
    }
    RecordTransport(out, response->timings);
    out.Record("ttfb", response->timings.ttfb);
    out.SetCounter("status", response->status);
    if (response->status < 200 || response->status > 299) {
      out.Fail(StatusKind(response->status),
               "HTTP " + std::to_string(response->status) + ": " + DescribeErrorBody(response->body));
      co_return out;
    }
    out.Record("total", response->timings.ttfb + response->timings.transfer);
    WireBody body = DecodeBody(settings_->provider, response->body);
    if (body.bad_json) {
      out.Fail("bad_json", "response is not the provider's JSON: " + *body.bad_json);
    } else if (body.error) {
      out.Fail("stream_error", *body.error);
    }
    out.SetCounter("output_tokens", static_cast<double>(body.output_tokens.value_or(0)));
    out.SetCounter("usage_reported", body.output_tokens ? 1 : 0);
    co_return out;
  }

  StreamState st(settings_->provider, static_cast<std::size_t>(settings_->max_stream_bytes));
  net::BodySink sink;
  sink.on_headers = [&](int status, const net::Headers&) {
    st.status = status;
    return status >= 200 && status <= 299;
  };
  sink.on_body = [&](std::string_view piece, Clock::time_point arrived) -> std::optional<std::string> {
    if (!st.meter) return "internal: body before the request was sent";
    st.meter->Body(arrived);
    if (st.meter->ended()) return std::nullopt;  // bytes after the end marker are ignored
    auto limit = st.parser.Feed(piece, [&](const net::SseEvent& event) {
      if (st.failure || st.meter->ended()) return;
      ++st.events;
      WireStep step = DecodeEvent(st.provider, event);
      if (step.error) {
        st.failure = ProbeError{"stream_error", *step.error};
      } else if (step.bad_json) {
        st.failure = ProbeError{"bad_json", "event \"" + event.type + "\" is not JSON: " + *step.bad_json};
      }
      if (step.content) st.meter->Content(arrived);
      if (step.output_tokens) st.meter->Usage(*step.output_tokens);
      if (step.end) st.meter->End(arrived);
    });
    if (limit) st.failure = ProbeError{"truncated", *limit};
    if (st.failure) return st.failure->detail;
    return std::nullopt;
  };
  sink.on_sent = [&](Clock::time_point sent) { st.meter.emplace(sent); };
  auto response = co_await client_->Send(request, ctx.deadline, false, &sink);
  if (!st.meter) st.meter.emplace(Clock::now());  // failed before sending (dns, connect, tls)
  const std::string where = " after " + std::to_string(st.meter->chunks()) + " content events";
  if (!response) {
    const ProbeError& e = response.error();
    if (st.failure) {
      out.Fail(st.failure->kind, st.failure->detail);
    } else if (e.kind == "timeout" || e.kind == "cancelled") {
      if (!st.meter->any_content()) {
        out.Fail("no_content", "no content before the deadline (" + std::to_string(st.events) + " events)");
      } else {
        out.Fail("timeout", "stream stalled" + where);
      }
    } else if ((e.kind == "protocol" || e.kind == "io") && st.status != 0) {
      out.Fail("truncated", "connection closed mid-stream" + where + " (" + e.detail + ")");
    } else {
      out.Fail(e.kind, e.detail);
    }
    st.meter->Fill(out);
    co_return out;
  }
  RecordTransport(out, response->timings);
  out.SetCounter("status", response->status);
  if (response->status < 200 || response->status > 299) {
    out.Record("ttfb", response->timings.ttfb);
    out.Fail(StatusKind(response->status),
             "HTTP " + std::to_string(response->status) + ": " + DescribeErrorBody(response->body));
    co_return out;
  }
  st.parser.Finish();
  st.meter->Fill(out);
  if (!st.meter->ended()) {
    out.Fail("truncated", std::string("stream ended without ") +
                              (settings_->provider == Provider::kAnthropic ? "message_stop" : "data: [DONE]") + where);
  }
  co_return out;
}

}  // namespace reznet::probes::llm
