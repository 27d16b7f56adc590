#include "probes/load/request.hpp"

#include "config/host.hpp"

namespace reznet::probes::load {

namespace {

void AppendPathSegment(std::string_view value, std::string& out) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (const char ch : value) {
    const auto c = static_cast<unsigned char>(ch);
    const bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
}

}  // namespace

bool Vars::Fill(const Template& t, Into into, std::string& out, std::string& error) const {
  for (const auto& p : t.parts) {
    if (!p.var) {
      out += p.text;
      continue;
    }
    if (p.text == "vu") {
      out += std::to_string(vu);
      continue;
    }
    if (p.text == "iteration") {
      out += std::to_string(iteration);
      continue;
    }
    auto it = values.find(p.text);
    if (it == values.end()) {
      error = "{{" + p.text + "}} was not extracted by an earlier step";
      return false;
    }
    const std::string& v = it->second;
    if (into == Into::kPath) {
      AppendPathSegment(v, out);
    } else if (into == Into::kHeader && !config::ValidateHeaderValue(v)) {
      error = "{{" + p.text + "}} holds a control character; not sent in a header";
      return false;
    } else {
      out += v;
    }
  }
  return true;
}

std::string RequestHead(const LoadSettings& s, const Step& step) {
  std::string h = " HTTP/1.1\r\nHost: " + s.target.HostHeader() +
                  "\r\nUser-Agent: reznet-perfd-load\r\nAccept: */*\r\n";
  if (!s.keep_alive) h += "Connection: close\r\n";
  for (const auto& [k, v] : s.target_headers) {
    bool overridden = false;
    for (const auto& [sk, sv] : step.headers) overridden = overridden || sk == k;
    if (!overridden) h += k + ": " + v + "\r\n";
  }
  return h;
}

bool BuildRequest(const LoadSettings& s, const Step& step, const std::string& head,
                  const Vars& vars, std::string& out, std::string& error) {
  out.clear();
  out += step.method;
  out += ' ';
  out += s.target.path;
  if (!vars.Fill(step.path, Vars::Into::kPath, out, error)) return false;
  out += head;
  for (const auto& [k, v] : step.headers) {
    out += k;
    out += ": ";
    if (!vars.Fill(v, Vars::Into::kHeader, out, error)) return false;
    out += "\r\n";
  }
  std::string body;
  if (!vars.Fill(step.body, Vars::Into::kBody, body, error)) return false;
  if (!body.empty() || step.method == "POST" || step.method == "PUT" || step.method == "PATCH") {
    out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  out += "\r\n";
  out += body;
  return true;
}

}  // namespace reznet::probes::load
