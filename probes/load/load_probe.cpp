#include "probes/load/load_probe.hpp"

#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <thread>

namespace reznet::probes::load {
namespace asio = boost::asio;

namespace {

void RecordHistogram(Outcome& o, const std::string& phase, const daemon::DenseHistogram& h) {
  if (h.summary().count == 0) return;
  for (int i = 0; i < daemon::Bucketing::kCount; ++i) {
    if (auto c = h.BucketCount(i)) {
      // The bucket midpoint, kept inside the observed range (as the windows report it).
      const auto v = std::clamp(daemon::Bucketing::Mid(i), h.summary().min_ns, h.summary().max_ns);
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
  if (requests == 0) {
    o.Fail("no_requests", "the test sent no request (stopped before the first?)");
  } else if (failed == requests) {
    std::string last;
    for (const auto& st : s.steps) {
      if (!st.last_error.empty()) last = st.last_error;
    }
    o.Fail("all_failed", "all " + std::to_string(requests) + " requests failed; last: " + last);
  }
  return o;
}

std::unique_ptr<Probe> LoadProbe::Create(const CreateArgs& args) {
  return std::make_unique<LoadProbe>(
      args.probe.name, std::static_pointer_cast<const LoadSettings>(args.probe.settings));
}

LoadProbe::LoadProbe(std::string name, std::shared_ptr<const LoadSettings> settings)
    : name_(std::move(name)), settings_(std::move(settings)), state_(std::make_shared<State>()) {}

LoadProbe::~LoadProbe() { state_->stop = true; }

std::chrono::nanoseconds LoadProbe::RunTimeout(std::chrono::nanoseconds configured) const {
  return std::max(configured, settings_->Span() + settings_->request_timeout);
}

asio::awaitable<Outcome> LoadProbe::Run(RunContext) {
  state_->stop = false;
  // The engine blocks its own threads for the whole test; this coroutine resumes on its executor
  // when it is over. The thread holds the settings and state it uses.
  auto stats = co_await asio::async_initiate<decltype(asio::use_awaitable), void(LoadStats)>(
      [settings = settings_, state = state_, name = name_](auto handler) {
        std::thread([settings, state, name, h = std::move(handler)]() mutable {
          LoadStats result;
          try {
            result = RunLoad(*settings, {&state->stop, &state->live, name, "1/1"});
          } catch (const std::exception& e) {
            result.test = name;
            result.executor = e.what();  // reported below
            result.seconds = -1;
          }
          auto ex = asio::get_associated_executor(h);
          asio::post(ex, [h = std::move(h), r = std::move(result)]() mutable { h(std::move(r)); });
        }).detach();
      },
      asio::use_awaitable);
  if (stats.seconds < 0) {
    Outcome o;
    o.Fail("connect", stats.executor);
    co_return o;
  }
  co_return ToOutcome(stats);
}

}  // namespace reznet::probes::load
