#include "probes/load/load_probe.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <thread>

namespace reznet::probes::load {
namespace asio = boost::asio;

namespace {

void RecordHistogram(Outcome& o, const std::string& phase, const stats::DenseHistogram& h) {
  if (h.summary().count == 0) return;
  for (int i = 0; i < stats::Bucketing::kCount; ++i) {
    if (auto c = h.BucketCount(i)) {
      // The bucket midpoint, kept inside the observed range (as the windows report it).
      const auto v = std::clamp(stats::Bucketing::Mid(i), h.summary().min_ns, h.summary().max_ns);
      o.RecordWeighted(phase, std::chrono::nanoseconds(v), c);
    }
  }
}

}  // namespace

Outcome ToOutcome(const LoadStats& s) {
  Outcome o;
  RecordHistogram(o, "request", Overall(s, false));
  const bool open = s.executor == "constant-arrival-rate";
  if (open) {
    RecordHistogram(o, "request_raw", Overall(s, true));
    RecordHistogram(o, "late_start", s.lateness);
  }
  RecordHistogram(o, "tls", s.tls);
  for (const auto& st : s.steps) RecordHistogram(o, "step:" + st.name, st.latency);
  const auto requests = s.Requests();
  const auto failed = s.Failed();
  o.SetCounter("requests", static_cast<double>(requests));
  o.SetCounter("failed", static_cast<double>(failed));
  o.SetCounter("error_rate", requests ? static_cast<double>(failed) / requests : 0);
  o.SetCounter("throughput_rps", s.seconds > 0 ? requests / s.seconds : 0);
  o.SetCounter("iterations", static_cast<double>(s.iterations));
  o.SetCounter("dropped", static_cast<double>(s.dropped));
  o.SetCounter("interrupted", static_cast<double>(s.interrupted));
  if (const auto handshakes = s.tls.summary().count) {
    o.SetCounter("tls_handshakes", static_cast<double>(handshakes));
    o.SetCounter("tls_resumed", static_cast<double>(s.tls_resumed));
  }
  if (requests == 0) {
    o.Fail(ErrorKind::kNoRequests, "the test sent no request (stopped before the first?)");
  } else if (failed == requests) {
    std::string last;
    for (const auto& st : s.steps) {
      if (!st.last_error.empty()) last = st.last_error;
    }
    o.Fail(ErrorKind::kAllFailed,
           "all " + std::to_string(requests) + " requests failed; last: " + last);
  }
  return o;
}

config::KindTraits LoadProbe::Traits() {
  // Its ratios are judged by the runs that make them (on demand), never exported as ratio gauges;
  // the live counters are reznet_perf_load_*_total.
  return {.name = std::string(kKind),
          .phases = {"request", "request_raw", "late_start", "tls", "step:*"},
          .ratios = {{"error_rate", ""}, {"throughput_rps", ""}, {"dropped", ""}},
          .chart_phase = "request",
          .default_samples = 1,
          .profiles = {"load"},
          .on_demand = true,
          .parse = &ParseSettings};
}

std::unique_ptr<Probe> LoadProbe::Create(const CreateArgs& args) {
  return std::make_unique<LoadProbe>(
      args.probe.name, std::static_pointer_cast<const LoadSettings>(args.probe.settings));
}

LoadProbe::LoadProbe(std::string name, std::shared_ptr<const LoadSettings> settings)
    : name_(std::move(name)), settings_(std::move(settings)), state_(std::make_shared<State>()) {}

LoadProbe::~LoadProbe() {
  std::lock_guard lock(state_->mutex);
  state_->abandoned = true;
  state_->stop = true;
}

std::chrono::nanoseconds LoadProbe::RunTimeout(std::chrono::nanoseconds configured) const {
  return std::max(configured, settings_->Span() + settings_->request_timeout);
}

asio::awaitable<Outcome> LoadProbe::Run(RunContext) {
  state_->stop = false;
  // The engine blocks its own threads for the whole test; this coroutine waits on a timer that
  // the engine's thread cancels (through this executor) when it is over. Shared state only: the
  // thread outlives nothing it uses. (Not async_initiate with a capturing lambda: g++ 12
  // destroys such co_await temporaries twice.)
  struct Completion {
    explicit Completion(asio::any_io_executor ex) : timer(std::move(ex)) {}
    asio::steady_timer timer;
    bool finished = false;
    LoadStats stats;
    std::string error;
  };
  auto done = std::make_shared<Completion>(co_await asio::this_coro::executor);
  done->timer.expires_at(asio::steady_timer::time_point::max());
  std::thread([settings = settings_, state = state_, name = name_, done] {
    LoadStats result;
    std::string error;
    // The thread's boundary: what the engine refuses is returned; anything thrown (out of
    // memory) must not end the process either.
    try {
      auto ran = RunLoad(*settings, {&state->stop, &state->live, name, "1/1"});
      if (ran) {
        result = std::move(*ran);
      } else {
        error = ran.error().detail;
      }
    } catch (const std::exception& e) {
      error = e.what();
    }
    // A probe destroyed meanwhile (daemon shutdown) may take its io_context with it: then the
    // result is dropped here instead of being posted to it.
    std::lock_guard lock(state->mutex);
    if (state->abandoned) return;
    asio::post(done->timer.get_executor(),
               [done, result = std::move(result), error = std::move(error)]() mutable {
                 done->stats = std::move(result);
                 done->error = std::move(error);
                 done->finished = true;
                 done->timer.cancel();
               });
  }).detach();
  while (!done->finished) {
    boost::system::error_code ec;
    co_await done->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  if (!done->error.empty()) {
    Outcome o;
    o.Fail(ErrorKind::kConnect, done->error);
    co_return o;
  }
  co_return ToOutcome(done->stats);
}

}  // namespace reznet::probes::load
