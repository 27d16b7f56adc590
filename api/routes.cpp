#include "api/routes.hpp"

#include <spdlog/spdlog.h>

#include <boost/json.hpp>
#include <chrono>

#include "api/status_page.hpp"
#include "api/suite_routes.hpp"
#include "common/json.hpp"
#include "suite/service.hpp"
#include "telemetry/telemetry.hpp"

namespace reznet::api {
namespace {

HttpReply Json(int status, const boost::json::value& body) {
  return HttpReply{status, "application/json", common::WriteJson(body) + "\n", {}};
}

boost::json::array Strings(const std::vector<std::string>& v) {
  return boost::json::array(v.begin(), v.end());
}

}  // namespace

void AddMetricsRoutes(ApiServer& server, telemetry::Telemetry& sink, const Readiness& ready) {
  // Inline on the server thread: these take nothing longer than a short lock, and must answer
  // even when every worker is stuck behind a database.
  constexpr auto kInline = ApiServer::Lane::kInline;
  server.Route(
      "GET", "/metrics",
      [&sink](const HttpRequest&) {
        return HttpReply{200,
                         "text/plain; version=0.0.4; charset=utf-8",
                         sink.RenderMetrics(std::chrono::steady_clock::now()),
                         {}};
      },
      false, kInline);
  server.Route(
      "GET", "/healthz",
      [](const HttpRequest&) {
        return HttpReply{200, "text/plain", "ok\n", {}};
      },
      false, kInline);
  server.Route(
      "GET", "/readyz",
      [&ready](const HttpRequest&) {
        if (auto why = ready.NotReady()) return HttpReply{503, "text/plain", *why + "\n", {}};
        return HttpReply{200, "text/plain", "ready\n", {}};
      },
      false, kInline);
  server.Route("GET", "/api/v1/status", [&sink](const HttpRequest&) {
    return HttpReply{
        200, "application/json", sink.StatusJson(std::chrono::steady_clock::now()), {}};
  });
}

void AddStatusPageRoute(ApiServer& server, telemetry::Telemetry& sink, suite::SuiteService& suites,
                        std::string version, double started_wall) {
  server.Route("GET", "/", [&sink, &suites, version, started_wall](const HttpRequest&) {
    telemetry::StatusPageData data = sink.StatusPage(std::chrono::system_clock::now());
    data.version = version;
    data.started_wall = started_wall;
    try {
      for (const auto& r : suites.List(0, 5)) {
        data.runs.push_back({r.id, r.profile, r.state, r.started_at,
                             r.Count(suite::Verdict::kPassed), r.Count(suite::Verdict::kFailed),
                             r.Count(suite::Verdict::kSkipped)});
      }
    } catch (const std::exception& e) {
      data.runs_error = e.what();  // the store logs its own outages (rate-limited)
    }
    return HttpReply{200, "text/html; charset=utf-8", RenderStatusPage(data), {}};
  });
}

void AddReloadRoute(ApiServer& server, const config::ConfigHolder& config, std::string listen_host,
                    ReloadRunner reload) {
  server.Route("POST", "/-/reload", [&config, listen_host, reload](const HttpRequest& req) {
    if (auto denied = CheckTrigger(req, config.Get()->daemon, listen_host)) return *denied;
    const auto r = reload();
    if (!r) return Json(503, {{"error", "the daemon is busy or stopping"}});
    if (!r->ok) {
      return Json(400, {{"error", "reload refused; the running config is unchanged"},
                        {"errors", Strings(r->errors)}});
    }
    return Json(200, {{"status", "reloaded"},
                      {"added", Strings(r->added)},
                      {"changed", Strings(r->changed)},
                      {"removed", Strings(r->removed)},
                      {"kept", r->kept}});
  });
}

}  // namespace reznet::api
