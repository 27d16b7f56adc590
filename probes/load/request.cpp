#include "probes/load/request.hpp"

namespace reznet::probes::load {

bool Vars::Fill(const Template& t, std::string& out, std::string& missing) const {
  for (const auto& p : t.parts) {
    if (!p.var) {
      out += p.text;
    } else if (p.text == "vu") {
      out += std::to_string(vu);
    } else if (p.text == "iteration") {
      out += std::to_string(iteration);
    } else if (auto it = values.find(p.text); it != values.end()) {
      out += it->second;
    } else {
      missing = p.text;
      return false;
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
                  const Vars& vars, std::string& out, std::string& missing) {
  out.clear();
  out += step.method;
  out += ' ';
  out += s.target.path;
  if (!vars.Fill(step.path, out, missing)) return false;
  out += head;
  for (const auto& [k, v] : step.headers) {
    out += k;
    out += ": ";
    if (!vars.Fill(v, out, missing)) return false;
    out += "\r\n";
  }
  std::string body;
  if (!vars.Fill(step.body, body, missing)) return false;
  if (!body.empty() || step.method == "POST" || step.method == "PUT" || step.method == "PATCH") {
    out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  out += "\r\n";
  out += body;
  return true;
}

}  // namespace reznet::probes::load
