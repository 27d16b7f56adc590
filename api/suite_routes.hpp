#pragma once
// HTTP routes of suite runs (docs/design.md §7):
//   POST /run-suite {"profile": "quick", "labels": {"commit": "abc123"}}
//        → 202 {id, status_url} | 409 {error, running, status_url} | 400 | 401 | 403
//   GET  /runs?offset=0&limit=20      newest first; JSON or Markdown
//   GET  /runs/{id}, GET /runs/baseline   JSON, Markdown or JUnit XML
//   GET  /runs/trend?profile=quick&nfr=a,b&last=20   the trend table (suite/trend.hpp), JSON or
//        Markdown; on a worker like every history route
// Format: ?format=json|markdown|junit, else the Accept header (application/json, text/markdown,
// application/xml or text/xml), else JSON.
//
// Triggers (POST) need `Authorization: Bearer <daemon.auth.token>` when a token is set (compared
// in constant time; 401 otherwise). Without a token they are allowed only when the daemon listens
// on loopback, or when daemon.auth.allow_unauthenticated_triggers is true (403 otherwise).

#include <optional>
#include <string>

#include "api/api_server.hpp"
#include "config/config.hpp"
#include "config/holder.hpp"

namespace reznet::suite {
class SuiteService;
}

namespace reznet::api {

// Reads daemon.auth from `config` at every request (a reload may change the token).
void AddSuiteRoutes(ApiServer& server, suite::SuiteService& suites,
                    const config::ConfigHolder& config, const std::string& listen_host);

// The authorization check of POST routes: nullopt when allowed, else the reply to send.
std::optional<HttpReply> CheckTrigger(const HttpRequest& request,
                                      const config::DaemonConfig& daemon,
                                      const std::string& listen_host);

bool ConstantTimeEquals(std::string_view a, std::string_view b);
bool IsLoopback(const std::string& host);

}  // namespace reznet::api
