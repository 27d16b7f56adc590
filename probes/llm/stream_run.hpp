#pragma once
// The measured run of one streamed (SSE) chat response, shared by the llm and agent kinds:
// sends the request, feeds the body to the SSE parser as it arrives, decodes each event with
// the kind's decoder and times it with StreamMeter (stream_meter.hpp). Error kinds: see
// llm_probe.hpp. Also the helpers both kinds use for plain responses.

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <functional>
#include <string>

#include "clients/http_client.hpp"
#include "probes/llm/wire.hpp"
#include "probes/outcome.hpp"

namespace reznet::probes::llm {

struct StreamSpec {
  std::function<WireStep(const clients::SseEvent&)> decode;
  std::size_t max_stream_bytes = 8 << 20;
  std::string end_marker;  // named in the "truncated" message
};

boost::asio::awaitable<Outcome> MeasureStream(clients::HttpClient& client,
                                              const clients::HttpRequest& request,
                                              std::chrono::steady_clock::time_point deadline,
                                              const StreamSpec& spec);

// Maps a non-2xx status to its error kind: http_401, http_429, overloaded (529), http_4xx or
// http_5xx.
clients::ErrorKind StatusKind(int status);
// The kind of a provider error reported inside a 200 response: overloaded (overloaded_error)
// or stream_error.
clients::ErrorKind StreamErrorKind(const std::string& provider_error);
// For a non-2xx response: fails `out` with the status kind and the provider's error, returns true.
bool FailOnStatus(Outcome& out, const clients::HttpResponse& response);
void RecordTransport(Outcome& out, const clients::HttpTimings& t);

}  // namespace reznet::probes::llm
