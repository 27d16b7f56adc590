#include "api/probe_route.hpp"

#include <prometheus/counter.h>
#include <prometheus/registry.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cmath>
#include <expected>
#include <memory>

#include "api/blackbox_format.hpp"
#include "common/escape.hpp"
#include "common/exposition.hpp"
#include "common/format.hpp"
#include "common/metrics_registry.hpp"
#include "common/redact.hpp"
#include "config/module.hpp"
#include "config/secrets.hpp"
#include "probes/probe.hpp"
#include "probes/run_once.hpp"

namespace reznet::api {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

// A run shorter than this cannot measure anything; a scrape timeout leaving less is refused.
constexpr auto kMinRunTimeout = 100ms;
constexpr const char* kExposition = "text/plain; version=0.0.4; charset=utf-8";

struct State {
  explicit State(ProbeRouteDeps d)
      : deps(std::move(d)),
        requests(prometheus::BuildCounter()
                     .Name("reznet_perf_probe_requests_total")
                     .Help("GET /probe requests by module and result: success, failure, "
                           "bad_request, unknown_module, forbidden, refused (over the "
                           "concurrency limit), error.")
                     .Register(deps.metrics.families())) {}
  ProbeRouteDeps deps;
  prometheus::Family<prometheus::Counter>& requests;
  std::atomic<int> in_flight{0};

  void Count(const std::string& module, const std::string& result) {
    const common::ChangedOnReturn changed(deps.metrics);
    requests.Add({{"module", module}, {"result", result}}).Increment();
  }
};

HttpReply Text(int status, const std::string& body) {
  return HttpReply{status, "text/plain; charset=utf-8", body + "\n", {}};
}

// The run's timeout: the module's, or the scrape timeout minus the margin when shorter.
common::Result<probes::Duration> RunTimeout(const HttpRequest& req,
                                            const config::ModuleConfig& module,
                                            const config::Config& cfg) {
  probes::Duration timeout = module.probe.timeout;
  const std::string header = req.Header("x-prometheus-scrape-timeout-seconds");
  if (header.empty()) return timeout;
  double seconds = 0;
  auto [ptr, ec] = std::from_chars(header.data(), header.data() + header.size(), seconds);
  if (ec != std::errc() || ptr != header.data() + header.size() || !std::isfinite(seconds) ||
      seconds <= 0) {
    return common::Invalid("X-Prometheus-Scrape-Timeout-Seconds \"" + header.substr(0, 32) +
                           "\" is not a number of seconds");
  }
  const auto scrape = std::chrono::duration_cast<probes::Duration>(
      std::chrono::duration<double>(std::min(seconds, 86400.0)));
  const auto left = scrape - cfg.daemon.probe_endpoint.timeout_margin;
  if (left < kMinRunTimeout) {
    return common::Invalid("a scrape timeout of " + header + "s leaves " +
                           common::FormatSeconds(std::chrono::duration<double>(left).count()) +
                           " after daemon.probe_endpoint.timeout_margin; a run needs at least "
                           "0.1s: raise scrape_timeout");
  }
  return std::min(timeout, left);
}

std::string ModuleNames(const config::Config& cfg) {
  std::string out;
  for (const auto& [name, m] : cfg.modules) out += (out.empty() ? "" : ", ") + name;
  return out.empty() ? "none (configure modules:)" : out;
}

// What the module made of the target, for the debug page: its url, redis url (user-info masked)
// or dsn (which holds no password).
std::string ParsedTarget(const config::ModuleProbe& spec) {
  if (!spec.target) return {};
  if (spec.target->url) return common::MaskUrlUserInfo(spec.target->url->ToString());
  if (!spec.target->redis_url.empty()) return common::MaskUrlUserInfo(spec.target->redis_url);
  return spec.target->dsn;
}

// The answer to a finished run: the exposition, or with debug=true the debug page before it.
HttpReply Answer(const config::Config& cfg, const config::ModuleProbe& spec,
                 const std::optional<ProbeDebugInfo>& debug, const probes::Outcome& outcome,
                 double seconds) {
  std::string metrics = RenderProbeResult(spec.probe.kind, outcome, seconds);
  if (!debug) {
    return HttpReply{200, kExposition, config::SecretsOf(cfg)->Scrub(metrics), {}};
  }
  return HttpReply{200,
                   "text/plain; charset=utf-8",
                   RenderProbeDebug(*debug, outcome, seconds, metrics, *config::SecretsOf(cfg)),
                   {}};
}

asio::awaitable<void> Run(std::shared_ptr<State> state, std::shared_ptr<const config::Config> cfg,
                          std::shared_ptr<config::ModuleProbe> spec,
                          std::shared_ptr<probes::Probe> probe, probes::Duration timeout,
                          std::optional<ProbeDebugInfo> debug, ApiServer::Reply reply) {
  // `cfg` and `spec` stay alive for the run: the probe may refer to them.
  const auto start = std::chrono::steady_clock::now();
  HttpReply answer;
  try {
    probes::Outcome outcome = co_await probes::RunOnce(*probe, timeout);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    state->Count(spec->probe.name, outcome.ok() ? "success" : "failure");
    answer = Answer(*cfg, *spec, debug, outcome, seconds);
  } catch (const std::exception& e) {
    spdlog::error("/probe module {}: {}", spec->probe.name, e.what());
    state->Count(spec->probe.name, "error");
    answer = Text(500, "internal error");
  }
  --state->in_flight;
  probe.reset();
  cfg.reset();
  reply(std::move(answer));
}

}  // namespace

void AddProbeRoute(ApiServer& server, ProbeRouteDeps deps) {
  auto state = std::make_shared<State>(std::move(deps));
  server.RouteAsync("GET", "/probe", [state](const HttpRequest& req, ApiServer::Reply reply) {
    auto cfg = state->deps.config.Get();
    const auto refuse = [&](int status, const std::string& module, const char* result,
                            const std::string& why) {
      state->Count(module, result);
      // The message may quote the target or module as sent: control characters escaped, so a
      // body cannot carry a forged line into whatever logs it.
      HttpReply r = Text(status, common::LogText(why));
      if (status == 503) r.headers.emplace_back("Retry-After", "1");
      reply(std::move(r));
    };
    const std::string module_name = req.QueryParam("module");
    const auto it = cfg->modules.find(module_name);
    if (it == cfg->modules.end()) {
      return refuse(400, "", "unknown_module",
                    (module_name.empty() ? std::string("module parameter missing")
                                         : "unknown module \"" + module_name.substr(0, 64) + "\"") +
                        "; this daemon has: " + ModuleNames(*cfg));
    }
    const config::ModuleConfig& module = it->second;
    const std::string target = req.QueryParam("target");
    if (target.empty()) {
      return refuse(400, module.name, "bad_request",
                    "target parameter missing: /probe?module=" + module.name + "&target=host:port");
    }
    auto timeout = RunTimeout(req, module, *cfg);
    if (!timeout) return refuse(400, module.name, "bad_request", timeout.error().detail);
    auto resolved = config::ResolveModule(module, target, *cfg);
    if (!resolved) {
      const bool forbidden = resolved.error().kind == common::ErrorKind::kForbidden;
      return refuse(HttpStatusOf(resolved.error().kind), module.name,
                    forbidden ? "forbidden" : "bad_request", resolved.error().detail);
    }
    const int max = cfg->daemon.probe_endpoint.max_concurrent;
    if (state->in_flight.fetch_add(1) >= max) {
      --state->in_flight;
      return refuse(
          503, module.name, "refused",
          "busy: " + std::to_string(max) +
              " probe runs in progress (daemon.probe_endpoint.max_concurrent); try again");
    }
    auto spec = std::make_shared<config::ModuleProbe>(std::move(*resolved));
    std::shared_ptr<probes::Probe> probe;
    try {
      probe = state->deps.registry.Create(
          {spec->probe, spec->target.get(), state->deps.executor, state->deps.blocking, cfg.get()});
    } catch (const std::exception& e) {
      --state->in_flight;
      spdlog::error("/probe module {}: cannot build the probe: {}", module.name, e.what());
      return refuse(500, module.name, "error", "internal error building the probe");
    }
    std::optional<ProbeDebugInfo> debug;
    if (req.QueryParam("debug") == "true") {
      debug = ProbeDebugInfo{module.name, spec->probe.kind, target, ParsedTarget(*spec),
                             std::chrono::duration<double>(*timeout).count()};
    }
    asio::co_spawn(state->deps.executor,
                   Run(state, std::move(cfg), std::move(spec), std::move(probe), *timeout,
                       std::move(debug), std::move(reply)),
                   asio::detached);
  });
}

}  // namespace reznet::api
