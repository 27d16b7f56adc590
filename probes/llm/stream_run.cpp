#include "probes/llm/stream_run.hpp"

#include "clients/sse.hpp"
#include "probes/llm/stream_meter.hpp"

namespace reznet::probes::llm {
namespace {

using SteadyClock = std::chrono::steady_clock;

// What a streamed response left behind, filled by the body sink as bytes arrive.
struct StreamState {
  explicit StreamState(std::size_t max_bytes) : parser({1 << 20, max_bytes}) {}
  clients::SseParser parser;
  std::optional<StreamMeter> meter;
  int status = 0;
  std::optional<ProbeError> failure;
  long events = 0;
};

}  // namespace

ErrorKind StatusKind(int status) {
  if (status == 429) return ErrorKind::kHttp429;
  if (status == 401) return ErrorKind::kHttp401;
  if (status == 529) return ErrorKind::kOverloaded;
  return status >= 500 ? ErrorKind::kHttp5xx : ErrorKind::kHttp4xx;
}

ErrorKind StreamErrorKind(const std::string& provider_error) {
  return provider_error.starts_with("overloaded_error") ? ErrorKind::kOverloaded
                                                        : ErrorKind::kStreamError;
}

bool FailOnStatus(Outcome& out, const clients::HttpResponse& response) {
  if (response.status >= 200 && response.status <= 299) return false;
  out.Fail(StatusKind(response.status),
           "HTTP " + std::to_string(response.status) + ": " + DescribeErrorBody(response.body));
  return true;
}

void RecordTransport(Outcome& out, const clients::HttpTimings& t) {
  if (t.dns) out.Record("dns", *t.dns);
  if (t.connect) out.Record("connect", *t.connect);
  if (t.tls) out.Record("tls", *t.tls);
}

boost::asio::awaitable<Outcome> MeasureStream(clients::HttpClient& client,
                                              const clients::HttpRequest& request,
                                              SteadyClock::time_point deadline,
                                              const StreamSpec& spec) {
  Outcome out;
  StreamState st(spec.max_stream_bytes);
  clients::BodySink sink;
  sink.on_headers = [&](int status, const clients::Headers&) {
    st.status = status;
    return status >= 200 && status <= 299;
  };
  sink.on_body = [&](std::string_view piece,
                     SteadyClock::time_point arrived) -> common::Result<void> {
    if (!st.meter) return common::Invalid("internal: body before the request was sent");
    st.meter->Body(arrived);
    if (st.meter->ended()) return {};  // bytes after the end marker are ignored
    auto pushed = st.parser.Push(piece, [&](const clients::SseEvent& event) {
      if (st.failure || st.meter->ended()) return;
      ++st.events;
      WireStep step = spec.decode(event);
      if (step.error) {
        st.failure = ProbeError{StreamErrorKind(*step.error), *step.error};
      } else if (step.bad_json) {
        st.failure = ProbeError{ErrorKind::kBadPayload,
                                "event \"" + event.type + "\" is not JSON: " + *step.bad_json};
      }
      if (step.content) st.meter->Content(arrived);
      if (step.output_tokens) st.meter->Usage(*step.output_tokens);
      if (step.end) st.meter->End(arrived);
    });
    if (!pushed) st.failure = ProbeError{ErrorKind::kTruncated, st.parser.failure()};
    if (st.failure) return common::Invalid(st.failure->detail);
    return {};
  };
  sink.on_sent = [&](SteadyClock::time_point sent) { st.meter.emplace(sent); };
  auto response = co_await client.Send(request, deadline, false, &sink);
  if (!st.meter) st.meter.emplace(SteadyClock::now());  // failed before sending (dns, connect, tls)
  const std::string where = " after " + std::to_string(st.meter->chunks()) + " content events";
  if (!response) {
    const ProbeError& e = response.error();
    if (st.failure) {
      out.Fail(st.failure->kind, st.failure->detail);
    } else if (e.kind == ErrorKind::kTimeout || e.kind == ErrorKind::kCancelled) {
      if (!st.meter->any_content()) {
        out.Fail(ErrorKind::kNoFirstToken,
                 "no content before the deadline (" + std::to_string(st.events) + " events)");
      } else {
        out.Fail(ErrorKind::kTimeout, "stream stalled" + where);
      }
    } else if ((e.kind == ErrorKind::kProtocol || e.kind == ErrorKind::kIo) && st.status != 0) {
      out.Fail(ErrorKind::kTruncated,
               "connection closed mid-stream" + where + " (" + e.detail + ")");
    } else {
      out.Fail(e.kind, e.detail);
    }
    st.meter->Fill(out);
    co_return out;
  }
  RecordTransport(out, response->timings);
  out.SetCounter("status", response->status);
  if (response->status < 200 || response->status > 299) out.Record("ttfb", response->timings.ttfb);
  if (FailOnStatus(out, *response)) co_return out;
  st.parser.Finish();
  st.meter->Fill(out);
  if (!st.meter->ended()) {
    out.Fail(ErrorKind::kTruncated, "stream ended without " + spec.end_marker + where);
  }
  co_return out;
}

}  // namespace reznet::probes::llm
