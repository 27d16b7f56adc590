#include "probes/http/http_config.hpp"

#include <charconv>

namespace reznet::probes {

std::expected<JsonPath, std::string> ParseJsonPath(std::string_view text) {
  JsonPath path;
  path.text = std::string(text);
  std::string_view rest = text;
  if (rest.starts_with("$")) rest.remove_prefix(1);
  if (rest.starts_with(".")) rest.remove_prefix(1);
  const auto bad = [&] {
    return std::unexpected("bad JSON field path \"" + std::string(text) +
                           "\"; write it like \"status\", \"data.items[0].id\" or \"$[0].id\"");
  };
  while (!rest.empty()) {
    if (rest.front() == '[') {
      auto close = rest.find(']');
      if (close == std::string_view::npos) return bad();
      long index = -1;
      auto digits = rest.substr(1, close - 1);
      auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), index);
      if (ec != std::errc() || ptr != digits.data() + digits.size() || index < 0) return bad();
      path.steps.push_back({"", index});
      rest.remove_prefix(close + 1);
      if (rest.starts_with(".")) rest.remove_prefix(1);
      continue;
    }
    auto end = rest.find_first_of(".[");
    auto key = rest.substr(0, end);
    if (key.empty()) return bad();
    path.steps.push_back({std::string(key), -1});
    rest.remove_prefix(key.size());
    if (rest.starts_with(".")) rest.remove_prefix(1);
  }
  if (path.steps.empty()) return bad();
  return path;
}

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
  if (r.Read("path", s->path) && !s->path.starts_with("/")) {
    diag.Error(r.MarkOf("path"), r.PathOf("path"), "must start with \"/\", like \"/health\"");
  }
  std::map<std::string, std::string> headers;
  if (target != nullptr) headers = target->headers;
  std::map<std::string, std::string> own;
  r.Read("headers", own);
  for (auto& [k, v] : own) headers[k] = v;
  for (auto& [k, v] : headers) s->headers.emplace_back(k, v);
  r.Read("body", s->body);
  std::int64_t samples = 1;
  r.Read("samples", samples, 1, 1000);
  s->samples = static_cast<int>(samples);
  r.Read("keep_alive", s->keep_alive);
  r.Read("max_body_bytes", s->max_body_bytes, 1, std::int64_t{1} << 30);

  config::MapReader expect(r.Node("expect"), r.PathOf("expect"), diag);
  YAML::Node status = expect.Node("status");
  if (status.IsDefined() && !status.IsNull()) {
    std::vector<YAML::Node> items;
    if (status.IsSequence()) {
      for (const auto& n : status) items.push_back(n);
    } else {
      items.push_back(status);
    }
    for (const auto& n : items) {
      auto text = expect.Scalar(n, expect.PathOf("status"));
      if (!text) continue;
      int code = 0;
      auto [ptr, ec] = std::from_chars(text->data(), text->data() + text->size(), code);
      if (ec != std::errc() || ptr != text->data() + text->size() || code < 100 || code > 599) {
        diag.Error(n.Mark(), expect.PathOf("status"),
                   "expected an HTTP status code like 200, got \"" + *text + "\"");
      } else {
        s->expect_status.push_back(code);
      }
    }
  }
  expect.Read("body_contains", s->expect_body_contains);
  std::map<std::string, std::string> json;
  expect.Read("json", json);
  for (const auto& [path_text, value] : json) {
    auto path = ParseJsonPath(path_text);
    if (!path) {
      diag.Error(expect.MarkOf("json"), expect.PathOf("json"), path.error());
    } else {
      s->expect_json.push_back({*path, value});
    }
  }
  expect.Finish();
  return s;
}

}  // namespace reznet::probes
