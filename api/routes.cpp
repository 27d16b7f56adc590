#include "api/routes.hpp"

#include <spdlog/spdlog.h>

#include <boost/json.hpp>
#include <chrono>

#include "api/status_page.hpp"
#include "api/suite_routes.hpp"
#include "common/json.hpp"
#include "suite/service.hpp"
#include "suite/trend.hpp"
#include "telemetry/prober_health.hpp"
#include "telemetry/telemetry.hpp"

namespace reznet::api {
namespace {

HttpReply Json(int status, const boost::json::value& body) {
  return HttpReply{status, "application/json", common::WriteJson(body) + "\n", {}};
}

boost::json::array Strings(const std::vector<std::string>& v) {
  return boost::json::array(v.begin(), v.end());
}

constexpr const char* kReloadStatusUrl = "/-/reload";

// The last 5 finished runs of the newest one's profile, at that run's significance and tolerance.
common::Result<telemetry::StatusPageData::Trend> StatusTrend(suite::SuiteService& suites) {
  const suite::RunLister list = [&](std::size_t o, std::size_t l) { return suites.List(o, l); };
  const auto newest = suite::FinishedRuns(list, "", 1);
  if (!newest) return std::unexpected(newest.error());
  telemetry::StatusPageData::Trend out;
  if (newest->empty()) return out;
  const auto& run = newest->front();
  const auto runs = suite::FinishedRuns(list, run.profile, 6);
  if (!runs) return std::unexpected(runs.error());
  const auto trend = suite::BuildTrend(*runs, {}, 5, {run.significance, run.tolerance});
  out.profile = run.profile;
  out.columns = trend.nfrs;
  for (const auto& r : trend.rows) {
    telemetry::StatusPageData::Trend::Row row{r.label, r.id, {}};
    for (const auto& c : r.cells) row.cells.push_back(suite::TrendCellText(c));
    out.rows.push_back(std::move(row));
  }
  return out;
}

}  // namespace

void AddMetricsRoutes(ApiServer& server, telemetry::Telemetry& sink, const Readiness& ready,
                      const telemetry::ProberHealth* prober) {
  // Inline on the server thread: these take nothing longer than a short lock, and must answer
  // even when every worker is stuck behind a database.
  constexpr auto kInline = ApiServer::Lane::kInline;
  server.Route(
      "GET", "/metrics",
      [&sink](const HttpRequest& req) {
        const auto now = std::chrono::steady_clock::now();
        // Prometheus asks for gzip: at 1,000 probes 8.6 MB of text travel as about 0.4 MB.
        if (req.Header("accept-encoding").find("gzip") != std::string::npos) {
          return HttpReply{200,
                           "text/plain; version=0.0.4; charset=utf-8",
                           sink.RenderMetricsGzip(now),
                           {{"Content-Encoding", "gzip"}, {"Vary", "Accept-Encoding"}}};
        }
        return HttpReply{200,
                         "text/plain; version=0.0.4; charset=utf-8",
                         sink.RenderMetrics(now),
                         {{"Vary", "Accept-Encoding"}}};
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
        if (auto ready_now = ready.Ready(); !ready_now)
          return HttpReply{503, "text/plain", ready_now.error().detail + "\n", {}};
        return HttpReply{200, "text/plain", "ready\n", {}};
      },
      false, kInline);
  server.Route("GET", "/api/v1/status", [&sink, prober](const HttpRequest&) {
    std::string body = sink.StatusJson(std::chrono::steady_clock::now());
    if (prober != nullptr) {
      body =
          telemetry::WithProberHealth(body, prober->Snapshot(), std::chrono::system_clock::now());
    }
    return HttpReply{200, "application/json", std::move(body), {}};
  });
}

void AddStatusPageRoute(ApiServer& server, telemetry::Telemetry& sink, suite::SuiteService& suites,
                        std::string version, double started_wall,
                        const telemetry::ProberHealth* prober) {
  server.Route("GET", "/", [&sink, &suites, version, started_wall, prober](const HttpRequest&) {
    telemetry::StatusPageData data = sink.status().StatusPage(std::chrono::system_clock::now());
    data.version = version;
    data.started_wall = started_wall;
    if (prober != nullptr) data.prober = prober->Snapshot();
    // A store that cannot be read: the page says why (the store logs its outages, rate-limited).
    if (auto runs = suites.List(0, 5); !runs) {
      data.runs_error = runs.error().detail;
    } else {
      for (const auto& r : *runs) {
        data.runs.push_back({r.id, r.profile, std::string(suite::ToString(r.state)), r.started_at,
                             r.Count(suite::Verdict::kPassed), r.Count(suite::Verdict::kFailed),
                             r.Count(suite::Verdict::kSkipped)});
      }
      if (auto trend = StatusTrend(suites); trend) {
        data.trend = std::move(*trend);
      } else {
        data.runs_error = trend.error().detail;
      }
    }
    return HttpReply{200, "text/html; charset=utf-8", RenderStatusPage(data), {}};
  });
}

namespace {

// A reload as POST and GET /-/reload show it.
boost::json::object ReloadJson(const ReloadRecord& r) {
  boost::json::object o{{"id", r.id},
                        {"trigger", r.trigger},
                        {"started_at", r.started_at},
                        {"status_url", kReloadStatusUrl}};
  if (r.running) {
    o["status"] = "in progress";
    return o;
  }
  o["finished_at"] = r.finished_at;
  if (!r.outcome.ok) {
    o["status"] = "refused";
    o["error"] = "reload refused; the running config is unchanged";
    o["errors"] = Strings(r.outcome.errors);
    return o;
  }
  o["status"] = "reloaded";
  o["added"] = Strings(r.outcome.added);
  o["changed"] = Strings(r.outcome.changed);
  o["removed"] = Strings(r.outcome.removed);
  o["kept"] = r.outcome.kept;
  return o;
}

}  // namespace

void AddReloadRoute(ApiServer& server, const config::ConfigHolder& config, std::string listen_host,
                    ReloadControl& reloads, std::chrono::milliseconds wait) {
  server.Route("POST", "/-/reload", [&config, listen_host, &reloads, wait](const HttpRequest& req) {
    if (auto denied = CheckTrigger(req, config.Get()->daemon, listen_host)) return *denied;
    const auto start = reloads.Start("POST /-/reload");
    if (!start.started) {
      return Json(409, {{"error",
                         "a reload is already running; see status_url for its outcome, "
                         "then retry if needed"},
                        {"running", ReloadJson(start.record)},
                        {"status_url", kReloadStatusUrl}});
    }
    const auto r = reloads.Wait(start.record.id, wait);
    if (r.running) {
      // The truth at the bound: not applied yet, not refused yet. GET status_url tells the end.
      auto reply = Json(202, ReloadJson(r));
      reply.headers.emplace_back("Location", kReloadStatusUrl);
      return reply;
    }
    return Json(r.outcome.ok ? 200 : 400, ReloadJson(r));
  });
  server.Route("GET", "/-/reload", [&reloads](const HttpRequest&) {
    const auto r = reloads.Current();
    return r ? Json(200, ReloadJson(*r)) : Json(200, {{"status", "none"}});
  });
}

}  // namespace reznet::api
