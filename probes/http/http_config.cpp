#include "probes/http/http_config.hpp"

#include <charconv>

#include "clients/headers.hpp"

namespace reznet::probes {

std::shared_ptr<const config::KindSettings> ParseHttpSettings(config::MapReader& r,
                                                              const config::TargetConfig* target,
                                                              const config::ProbeConfig& probe) {
  auto s = std::make_shared<HttpSettings>();
  auto& diag = r.diag();
  if (target != nullptr && !target->url) {
    diag.Error(r.mark(), "probes." + probe.name + ".target",
               "target \"" + target->name + "\" has no url; an http probe needs one");
  }
  if (probe.target.empty()) {
    diag.Error(r.mark(), r.path(), "an http probe needs a target with a url (target: backend)");
  }
  r.Read("method", s->method);
  for (char c : s->method) {
    if (!std::isupper(static_cast<unsigned char>(c))) {
      diag.Error(r.MarkOf("method"), r.PathOf("method"),
                 "\"" + s->method + "\" is not an HTTP method; write GET, POST, HEAD …");
      break;
    }
  }
  if (r.ReadRequestTarget("path", s->path) && !s->path.starts_with("/")) {
    diag.Error(r.MarkOf("path"), r.PathOf("path"), "must start with \"/\", like \"/health\"");
  }
  s->headers = clients::ReadHeaders(r, target);
  r.Read("body", s->body);
  std::int64_t samples = 1;
  r.Read("samples", samples, 1, 1000);
  s->samples = static_cast<int>(samples);
  r.Read("keep_alive", s->keep_alive);
  r.Read("max_body_bytes", s->max_body_bytes, 1, std::int64_t{1} << 30);

  config::MapReader expect(r.Node("expect"), r.PathOf("expect"), diag);
  s->expect_status = clients::ReadStatuses(expect, "status");
  expect.Read("body_contains", s->expect_body_contains);
  std::map<std::string, std::string> json;
  expect.Read("json", json);
  for (const auto& [path_text, value] : json) {
    auto path = clients::ParseJsonPath(path_text);
    if (!path) {
      diag.Error(expect.MarkOf("json"), expect.PathOf("json"), path.error().detail);
    } else {
      s->expect_json.push_back({*path, value});
    }
  }
  expect.Finish();
  return s;
}

}  // namespace reznet::probes
