#include "probes/load/load_config.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <set>

#include "clients/headers.hpp"
#include "config/host.hpp"

namespace reznet::probes::load {

std::vector<std::string> Template::Vars() const {
  std::vector<std::string> out;
  for (const auto& p : parts) {
    if (p.var) out.push_back(p.text);
  }
  return out;
}

Template ParseTemplate(const std::string& text) {
  Template t;
  std::size_t at = 0;
  while (at < text.size()) {
    const auto open = text.find("{{", at);
    const auto close = open == std::string::npos ? std::string::npos : text.find("}}", open + 2);
    if (open == std::string::npos || close == std::string::npos) {
      t.parts.push_back({text.substr(at), false});
      break;
    }
    if (open > at) t.parts.push_back({text.substr(at, open - at), false});
    std::string name = text.substr(open + 2, close - open - 2);
    while (!name.empty() && name.front() == ' ') name.erase(name.begin());
    while (!name.empty() && name.back() == ' ') name.pop_back();
    t.parts.push_back({name, true});
    at = close + 2;
  }
  return t;
}

namespace {

// The template's text with each {{hole}} written as as many 'x': checked as a request target,
// errors keep their positions; what fills a hole is encoded at run time (request.cpp).
std::string Masked(const std::string& text) {
  std::string out = text;
  std::size_t at = 0;
  while ((at = out.find("{{", at)) != std::string::npos) {
    const auto close = out.find("}}", at + 2);
    if (close == std::string::npos) break;
    std::fill(out.begin() + static_cast<std::ptrdiff_t>(at),
              out.begin() + static_cast<std::ptrdiff_t>(close + 2), 'x');
    at = close + 2;
  }
  return out;
}

}  // namespace

std::vector<Step> DefaultScenario() {
  std::vector<Step> s(4);
  s[0].name = "list_agents";
  s[0].path = ParseTemplate("/api/agents");
  s[1].name = "list_channels";
  s[1].path = ParseTemplate("/api/channels");
  s[1].extract.emplace_back("channel_id", *clients::ParseJsonPath("$[0].id"));
  s[2].name = "send_message";
  s[2].method = "POST";
  s[2].path = ParseTemplate("/api/channels/{{channel_id}}/messages");
  s[2].headers.emplace_back("Content-Type", ParseTemplate("application/json"));
  s[2].body = ParseTemplate(R"({"text": "load test message from user {{vu}}"})");
  s[3].name = "read_messages";
  s[3].path = ParseTemplate("/api/channels/{{channel_id}}/messages?limit=50");
  return s;
}

namespace {

bool ParseThinkTime(const std::string& text, Duration& lo, Duration& hi, std::string& why) {
  const auto dots = text.find("..");
  auto a = config::ParseDuration(dots == std::string::npos ? text : text.substr(0, dots));
  auto b = dots == std::string::npos ? a : config::ParseDuration(text.substr(dots + 2));
  if (!a || !b) {
    why = "expected a duration or a range like \"1s..3s\", got \"" + text + "\"";
    return false;
  }
  if (*b < *a) {
    why = "the range " + text + " ends before it starts; write the smaller value first";
    return false;
  }
  lo = *a;
  hi = *b;
  return true;
}

// Every variable a step uses must be extracted by an earlier step (or be vu / iteration).
void CheckVarsKnown(const Step& step, const std::set<std::string>& known_vars,
                    config::MapReader& sr, const std::string& path) {
  std::vector<std::string> used = step.path.Vars();
  for (const auto& [k, v] : step.headers) {
    auto vs = v.Vars();
    used.insert(used.end(), vs.begin(), vs.end());
  }
  auto body_vars = step.body.Vars();
  used.insert(used.end(), body_vars.begin(), body_vars.end());
  for (const auto& v : used) {
    if (!known_vars.count(v)) {
      sr.diag().Error(sr.mark(), path,
                      "{{" + v + "}} is not extracted by an earlier step; add extract: { " + v +
                          ": \"$.field\" } to one, or use {{vu}} / {{iteration}}");
    }
  }
}

void ParseScenario(config::MapReader& r, LoadSettings& s) {
  YAML::Node node = r.Node("scenario");
  if (!node.IsDefined() || node.IsNull()) {
    s.scenario = DefaultScenario();
    return;
  }
  if (!config::IsSequence(node, r.PathOf("scenario"), r.diag())) return;
  std::set<std::string> names;
  std::set<std::string> known_vars = {"vu", "iteration"};
  for (std::size_t i = 0; i < node.size(); ++i) {
    const std::string path = r.PathOf("scenario") + "[" + std::to_string(i) + "]";
    config::MapReader sr(node[i], path, r.diag());
    if (!node[i].IsMap()) {
      r.diag().Error(node[i].Mark(), path,
                     "expected a step like { name: list_agents, method: GET, path: /api/agents }");
      continue;
    }
    Step step;
    if (sr.Read("name", step.name, true) && !names.insert(step.name).second) {
      r.diag().Error(sr.MarkOf("name"), sr.PathOf("name"),
                     "another step is already named \"" + step.name + "\"");
    }
    for (char c : step.name) {
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-')) {
        r.diag().Error(sr.MarkOf("name"), sr.PathOf("name"),
                       "step names use letters, digits, _ and - (they become phase names)");
        break;
      }
    }
    if (sr.Read("method", step.method) &&
        (step.method.empty() || !std::all_of(step.method.begin(), step.method.end(),
                                             [](unsigned char c) { return std::isupper(c); }))) {
      r.diag().Error(sr.MarkOf("method"), sr.PathOf("method"),
                     "\"" + step.method + "\" is not an HTTP method; write GET, POST, PUT …");
    }
    std::string path_text;
    if (sr.Read("path", path_text, true) && !path_text.starts_with("/")) {
      r.diag().Error(sr.MarkOf("path"), sr.PathOf("path"), "must start with \"/\"");
    } else if (auto valid = config::ValidateRequestTarget(Masked(path_text)); !valid) {
      r.diag().Error(sr.MarkOf("path"), sr.PathOf("path"), valid.error().detail);
    }
    step.path = ParseTemplate(path_text);
    std::map<std::string, std::string> headers;
    sr.ReadHeaders("headers", headers);
    for (const auto& [k, v] : headers) step.headers.emplace_back(k, ParseTemplate(v));
    std::string body;
    sr.Read("body", body);
    step.body = ParseTemplate(body);
    CheckVarsKnown(step, known_vars, sr, path);
    std::map<std::string, std::string> extract;
    sr.Read("extract", extract);
    for (const auto& [var, json_path] : extract) {
      auto p = clients::ParseJsonPath(json_path);
      if (!p) {
        r.diag().Error(sr.MarkOf("extract"), sr.PathOf("extract"), p.error().detail);
        continue;
      }
      step.extract.emplace_back(var, *p);
      known_vars.insert(var);
    }
    config::MapReader expect(sr.Node("expect"), sr.PathOf("expect"), r.diag());
    step.expect_status = clients::ReadStatuses(expect, "status");
    expect.Read("body_contains", step.expect_body_contains);
    expect.Finish();
    if (sr.ReadRatio("weight", step.weight) && (step.weight <= 0 || step.weight > 1)) {
      r.diag().Error(sr.MarkOf("weight"), sr.PathOf("weight"),
                     "a weight is the fraction of iterations that run the step: (0, 1]");
    }
    sr.Finish();
    s.scenario.push_back(std::move(step));
  }
  if (node.size() == 0) {
    r.diag().Error(node.Mark(), r.PathOf("scenario"), "at least one step");
  }
}

}  // namespace

std::shared_ptr<const config::KindSettings> ParseLoadSettings(config::MapReader& r,
                                                              const config::TargetConfig* target,
                                                              const config::ProbeConfig& probe) {
  auto s = std::make_shared<LoadSettings>();
  auto& diag = r.diag();
  if (probe.target.empty()) {
    diag.Error(r.mark(), r.path(), "a load test needs a target with a url (target: backend)");
  } else if (target != nullptr && !target->url) {
    diag.Error(r.mark(), "probes." + probe.name + ".target",
               "target \"" + target->name + "\" has no url; a load test needs one");
  } else if (target != nullptr) {
    s->target = *target->url;
    s->target_headers = target->headers;
    s->ca_file = target->ca_file;
    s->insecure_skip_verify = target->insecure_skip_verify;
  }
  std::string executor = "ramping-vus";
  if (r.Read("executor", executor)) {
    if (executor == "ramping-vus") {
      s->executor = Executor::kRampingVus;
    } else if (executor == "constant-arrival-rate") {
      s->executor = Executor::kConstantArrivalRate;
    } else {
      diag.Error(r.MarkOf("executor"), r.PathOf("executor"),
                 "\"" + executor + "\": write ramping-vus or constant-arrival-rate");
    }
  }
  config::MapReader limits(r.Node("limits"), r.PathOf("limits"), diag);
  limits.Read("max_users", s->limits.max_users, 1, 1'000'000);
  std::string max_rate;
  if (limits.Read("max_rate", max_rate) && !max_rate.empty()) {
    char* end = nullptr;
    s->limits.max_rate = std::strtod(max_rate.c_str(), &end);
    if (end == max_rate.c_str() || *end != '\0' || s->limits.max_rate <= 0)
      diag.Error(limits.MarkOf("max_rate"), limits.PathOf("max_rate"),
                 "expected iterations per second like 20000");
  }
  limits.Read("max_duration", s->limits.max_duration);
  limits.Finish();

  r.Read("users", s->users, 1, 1'000'000);
  r.Read("ramp_up", s->ramp_up);
  r.Read("duration", s->duration);
  std::string think = "0s";
  if (r.Read("think_time", think)) {
    std::string why;
    if (!ParseThinkTime(think, s->think_min, s->think_max, why))
      diag.Error(r.MarkOf("think_time"), r.PathOf("think_time"), why);
  }
  std::string rate;
  if (r.Read("rate", rate) && !rate.empty()) {
    char* end = nullptr;
    s->rate = std::strtod(rate.c_str(), &end);
    if (end == rate.c_str() || *end != '\0' || s->rate <= 0)
      diag.Error(r.MarkOf("rate"), r.PathOf("rate"), "expected iterations per second like 200");
  }
  r.Read("max_vus", s->max_vus, 1, 1'000'000);
  r.Read("max_lateness", s->max_lateness);
  r.Read("graceful_stop", s->graceful_stop);
  r.Read("request_timeout", s->request_timeout);
  r.Read("max_body_bytes", s->max_body_bytes, 1, std::int64_t{1} << 30);
  r.Read("keep_alive", s->keep_alive);
  std::int64_t threads = 0;
  r.Read("threads", threads, 1, 64);
  s->threads = static_cast<int>(threads);
  std::int64_t seed = 0;
  r.Read("seed", seed, 0, std::int64_t{1} << 62);
  s->seed = static_cast<std::uint64_t>(seed);
  const bool default_flow = !r.Has("scenario");
  ParseScenario(r, *s);
  // The RezNet user flow comes with its think time (1–3 s between steps) unless one is given.
  if (default_flow && !r.Has("think_time")) {
    s->think_min = std::chrono::seconds(1);
    s->think_max = std::chrono::seconds(3);
  }

  const std::string err = Apply(Overrides{}, *s);
  if (!err.empty()) diag.Error(r.mark(), r.path(), err);
  return s;
}

std::string Apply(const Overrides& o, LoadSettings& s) {
  if (o.users > 0) s.users = o.users;
  if (o.max_users > 0) s.limits.max_users = o.max_users;
  if (o.duration > Duration::zero()) s.duration = o.duration;
  if (o.ramp_up_set) s.ramp_up = o.ramp_up;
  if (o.rate > 0) s.rate = o.rate;
  if (o.stress) {
    s.users *= 2;
    s.rate *= 2;
    s.max_vus *= 2;
  }
  // Limits are checked on the whole test (before splitting into segments), as configured.
  if (s.executor == Executor::kRampingVus && s.users > s.limits.max_users)
    return std::to_string(s.users) + " users exceed limits.max_users " +
           std::to_string(s.limits.max_users) +
           "; raise the limit in the config to allow it (or with --max-users on the command line)";
  if (s.executor == Executor::kConstantArrivalRate && s.rate > s.limits.max_rate)
    return "rate " + std::to_string(s.rate) + "/s exceeds limits.max_rate " +
           std::to_string(s.limits.max_rate) + "; raise the limit in the config to allow it";
  if (s.executor == Executor::kConstantArrivalRate && s.max_vus > s.limits.max_users)
    return std::to_string(s.max_vus) + " max_vus exceed limits.max_users " +
           std::to_string(s.limits.max_users) +
           "; raise the limit in the config to allow it (or with --max-users on the command line)";
  if (s.ramp_up + s.duration > s.limits.max_duration)
    return "ramp_up + duration " + config::FormatDuration(s.ramp_up + s.duration) +
           " exceeds limits.max_duration " + config::FormatDuration(s.limits.max_duration);
  if (s.duration <= Duration::zero()) return "duration must be greater than 0";
  if (o.segments > 1) {
    // Share I of N: users (or rate, max_vus) split as evenly as integers allow.
    auto share = [&](std::int64_t total) {
      return total * o.segment / o.segments - total * (o.segment - 1) / o.segments;
    };
    s.users = share(s.users);
    s.max_vus = std::max<std::int64_t>(1, share(s.max_vus));
    s.rate = s.rate / o.segments;
    if (s.executor == Executor::kRampingVus && s.users == 0)
      return "segment " + std::to_string(o.segment) + "/" + std::to_string(o.segments) +
             " gets no users; use fewer segments";
  }
  return "";
}

}  // namespace reznet::probes::load
