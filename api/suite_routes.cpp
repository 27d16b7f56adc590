#include "api/suite_routes.hpp"

#include <boost/json.hpp>
#include <charconv>

#include "common/escape.hpp"
#include "common/json.hpp"
#include "probes/outcome.hpp"
#include "suite/report.hpp"
#include "suite/service.hpp"
#include "suite/trend.hpp"

namespace reznet::api {
namespace {

namespace json = boost::json;

HttpReply Json(int status, std::string body) {
  return HttpReply{status, "application/json", std::move(body) + "\n", {}};
}

HttpReply Json(int status, const json::object& doc) { return Json(status, common::WriteJson(doc)); }

HttpReply Error(int status, const std::string& message) {
  return Json(status, json::object{{"error", message}});
}

enum class Format { kJson, kMarkdown, kJUnit, kUnknown };

Format FormatOf(const HttpRequest& req) {
  const std::string f = req.QueryParam("format");
  if (!f.empty()) {
    if (f == "json") return Format::kJson;
    if (f == "markdown" || f == "md") return Format::kMarkdown;
    if (f == "junit" || f == "xml") return Format::kJUnit;
    return Format::kUnknown;
  }
  const std::string accept = req.Header("accept");
  if (accept.find("markdown") != std::string::npos) return Format::kMarkdown;
  if (accept.find("xml") != std::string::npos) return Format::kJUnit;
  return Format::kJson;
}

HttpReply RunReply(const suite::RunRecord& run, Format format) {
  switch (format) {
    case Format::kMarkdown:
      return {200, "text/markdown; charset=utf-8", suite::ToMarkdown(run), {}};
    case Format::kJUnit:
      return {200, "application/xml; charset=utf-8", suite::ToJUnit(run), {}};
    default:
      return Json(200, suite::ToJson(run));
  }
}

json::object Summary(const suite::RunRecord& r) {
  return {{"id", r.id},
          {"profile", r.profile},
          {"state", suite::ToString(r.state)},
          {"started_at", r.started_at},
          {"finished_at", r.finished_at},
          {"nfrs", json::object{{"passed", r.Count(suite::Verdict::kPassed)},
                                {"failed", r.Count(suite::Verdict::kFailed)},
                                {"inconclusive", r.Count(suite::Verdict::kInconclusive)},
                                {"skipped", r.Count(suite::Verdict::kSkipped)}}},
          {"status_url", "/runs/" + r.id}};
}

// Why `labels` cannot be stored ("" when they can): reports escape labels anyway, but a control
// character in one is a mistake (or an attack) worth refusing with a clear answer.
std::string LabelProblem(const std::map<std::string, std::string>& labels) {
  for (const auto& [k, v] : labels) {
    const std::size_t in_key = common::FindControlCharacter(k);
    const std::size_t in_value = common::FindControlCharacter(v);
    if (in_key == std::string::npos && in_value == std::string::npos) continue;
    return "labels[" + common::JsonQuote(k) + "]: control character or invalid UTF-8 in the " +
           (in_key != std::string::npos ? "key at byte " + std::to_string(in_key)
                                        : "value at byte " + std::to_string(in_value)) +
           " (a label is one line of printable text)";
  }
  return "";
}

// The history store is down or hung: 503 with its reason, until it is back.
HttpReply HistoryDown(const common::Error<>& e) {
  HttpReply r = Error(HttpStatusOf(e.kind), e.detail);
  if (e.kind == common::ErrorKind::kUnavailable) r.headers.emplace_back("Retry-After", "5");
  return r;
}

std::size_t SizeParam(const HttpRequest& req, const std::string& name, std::size_t fallback,
                      std::size_t max) {
  const std::string v = req.QueryParam(name);
  std::size_t out = fallback;
  if (!v.empty()) {
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
    if (ec != std::errc() || p != v.data() + v.size()) return fallback;
  }
  return std::min(out, max);
}

// GET /runs: newest first, `offset` and `limit` (at most 200), as JSON or Markdown.
HttpReply ListRuns(suite::SuiteService& suites, const HttpRequest& req) {
  const std::size_t offset = SizeParam(req, "offset", 0, 1'000'000);
  const std::size_t limit = SizeParam(req, "limit", 20, 200);
  const Format format = FormatOf(req);
  auto listed = suites.List(offset, limit);
  if (!listed) return HistoryDown(listed.error());
  const auto counted = suites.Count();
  if (!counted) return HistoryDown(counted.error());
  const std::vector<suite::RunRecord>& runs = *listed;
  const std::size_t total = *counted;
  if (format == Format::kMarkdown) {
    std::string md =
        "# Suite runs\n\n| run | profile | result | started | NFRs met / failed / "
        "inconclusive / skipped |\n|---|---|---|---|---|\n";
    for (const auto& r : runs) {
      md += "| [" + common::MarkdownText(r.id) + "](/runs/" + common::UrlEncode(r.id) +
            "?format=markdown) | " + common::MarkdownText(r.profile) + " | " +
            common::MarkdownText(suite::ToString(r.state)) + " | " +
            suite::FormatTime(r.started_at) + " | " +
            std::to_string(r.Count(suite::Verdict::kPassed)) + " / " +
            std::to_string(r.Count(suite::Verdict::kFailed)) + " / " +
            std::to_string(r.Count(suite::Verdict::kInconclusive)) + " / " +
            std::to_string(r.Count(suite::Verdict::kSkipped)) + " |\n";
    }
    return HttpReply{200, "text/markdown; charset=utf-8", md, {}};
  }
  if (format != Format::kJson) return Error(406, "runs are listed as json or markdown");
  json::array summaries;
  for (const auto& r : runs) summaries.push_back(Summary(r));
  return Json(
      200,
      json::object{
          {"total", total}, {"offset", offset}, {"limit", limit}, {"runs", std::move(summaries)}});
}

// GET /runs/trend?profile=&nfr=a,b&last=N&format=json|markdown: the trend table (trend.hpp).
HttpReply TrendReply(suite::SuiteService& suites, const config::Config& config,
                     const HttpRequest& req) {
  const Format format = FormatOf(req);
  if (format != Format::kJson && format != Format::kMarkdown)
    return Error(400, "format: write json or markdown");
  std::vector<std::string> nfrs;
  const std::string list = req.QueryParam("nfr");
  for (std::size_t at = 0; at < list.size();) {
    const std::size_t comma = std::min(list.find(',', at), list.size());
    if (comma > at) nfrs.push_back(list.substr(at, comma - at));
    at = comma + 1;
  }
  const std::string profile = req.QueryParam("profile");
  const auto trend = suite::TrendOf(
      config, [&](std::size_t o, std::size_t l) { return suites.List(o, l); }, profile,
      std::move(nfrs), std::max<std::size_t>(1, SizeParam(req, "last", 20, 200)));
  if (!trend) return HistoryDown(trend.error());
  if (format == Format::kMarkdown)
    return {200, "text/markdown; charset=utf-8", suite::TrendMarkdown(*trend), {}};
  return Json(200, suite::TrendJson(*trend));
}

}  // namespace

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  // Time depends only on the length of `a` (the presented value), never on where they differ.
  unsigned diff = a.size() != b.size() ? 1u : 0u;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const unsigned char expected = b.empty() ? 0 : static_cast<unsigned char>(b[i % b.size()]);
    diff |= static_cast<unsigned char>(a[i]) ^ expected;
  }
  return diff == 0;
}

bool IsLoopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host == "[::1]" || host.starts_with("127.");
}

std::optional<HttpReply> CheckTrigger(const HttpRequest& req, const config::DaemonConfig& daemon,
                                      const std::string& listen_host) {
  if (!daemon.auth_token.empty()) {
    const std::string auth = req.Header("authorization");
    const std::string prefix = "Bearer ";
    if (!auth.starts_with(prefix) ||
        !ConstantTimeEquals(std::string_view(auth).substr(prefix.size()), daemon.auth_token)) {
      HttpReply r = Error(401, "missing or wrong bearer token (Authorization: Bearer <token>)");
      r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"reznet-perfd\"");
      return r;
    }
    return std::nullopt;
  }
  if (!IsLoopback(listen_host) && !daemon.allow_unauthenticated_triggers) {
    return Error(403,
                 "the daemon listens on " + listen_host +
                     " without daemon.auth.token: set a token, or set "
                     "daemon.auth.allow_unauthenticated_triggers: true to allow anyone to trigger");
  }
  return std::nullopt;
}

void AddSuiteRoutes(ApiServer& server, suite::SuiteService& suites,
                    const config::ConfigHolder& config, const std::string& listen_host) {
  server.Route("POST", "/run-suite", [&suites, &config, listen_host](const HttpRequest& req) {
    if (auto denied = CheckTrigger(req, config.Get()->daemon, listen_host)) return *denied;
    std::string profile;
    std::map<std::string, std::string> labels;
    try {
      const boost::json::value body = boost::json::parse(req.body.empty() ? "{}" : req.body);
      const auto& o = body.as_object();
      if (const auto* p = o.if_contains("profile")) profile = std::string(p->as_string());
      if (const auto* l = o.if_contains("labels")) {
        for (const auto& [k, v] : l->as_object()) {
          if (!v.is_string()) throw std::invalid_argument("labels are strings");
          labels[std::string(k)] = std::string(v.as_string());
        }
      }
    } catch (const std::exception&) {
      return Error(400,
                   "the body must be JSON like {\"profile\": \"quick\", \"labels\": {\"commit\": "
                   "\"abc123\"}}");
    }
    if (profile.empty()) return Error(400, "\"profile\" is missing, e.g. {\"profile\": \"quick\"}");
    if (auto problem = LabelProblem(labels); !problem.empty()) return Error(400, problem);
    auto started = suites.Start(profile, std::move(labels));
    if (!started) return Error(HttpStatusOf(started.error().kind), started.error().detail);
    const std::string url = "/runs/" + started->id;
    if (started->started) {
      HttpReply r = Json(202, json::object{{"id", started->id}, {"status_url", url}});
      r.headers.emplace_back("Location", url);
      return r;
    }
    return Json(
        409,
        json::object{{"error", started->detail}, {"running", started->id}, {"status_url", url}});
  });

  server.Route("GET", "/runs", [&suites](const HttpRequest& req) { return ListRuns(suites, req); });

  server.Route(
      "GET", "/runs/",
      [&suites, &config](const HttpRequest& req) {
        const std::string id = req.path.substr(std::string("/runs/").size());
        if (id == "trend") return TrendReply(suites, *config.Get(), req);
        const Format format = FormatOf(req);
        if (format == Format::kUnknown) return Error(400, "format: write json, markdown or junit");
        // Any run reference: an id, a unique id prefix, a commit label, latest, previous,
        // baseline (suite/run_ref.hpp).
        auto run = suites.Resolve(id);
        if (!run) {
          switch (run.error().kind) {
            case common::ErrorKind::kNotFound:
              return Error(404, run.error().detail);
            case common::ErrorKind::kInvalid:
              return Error(400, run.error().detail);
            default:
              return HistoryDown(run.error());
          }
        }
        return RunReply(*run, format);
      },
      true);
}

}  // namespace reznet::api
