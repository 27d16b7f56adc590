// The parts of the server that are plain conversions: Beast messages <-> HttpRequest/HttpReply,
// query decoding and listen addresses.
#include <algorithm>

#include "api/server_internal.hpp"

namespace reznet::api {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

std::string PercentDecode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() &&
               std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
               std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace

std::string HttpRequest::Header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? "" : it->second;
}

std::string HttpRequest::QueryParam(const std::string& name) const {
  std::string_view rest = query;
  while (!rest.empty()) {
    auto amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    auto eq = pair.find('=');
    if (PercentDecode(pair.substr(0, eq)) == name) {
      return eq == std::string_view::npos ? "" : PercentDecode(pair.substr(eq + 1));
    }
    if (amp == std::string_view::npos) break;
    rest.remove_prefix(amp + 1);
  }
  return "";
}
HttpRequest ToRequest(http::request<http::string_body>&& msg) {
  HttpRequest req;
  req.method = std::string(msg.method_string());
  std::string_view target = msg.target();
  auto q = target.find('?');
  req.path = std::string(target.substr(0, q));
  if (q != std::string_view::npos) req.query = std::string(target.substr(q + 1));
  for (const auto& field : msg) {
    std::string name(field.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    req.headers[name] = std::string(field.value());
  }
  req.body = std::move(msg.body());
  return req;
}

http::response<http::string_body> ToResponse(HttpReply reply, unsigned version, bool keep_alive,
                                             bool head) {
  http::response<http::string_body> res{static_cast<http::status>(reply.status), version};
  res.set(http::field::server, "reznet-perfd");
  res.set(http::field::content_type, reply.content_type);
  for (const auto& [k, v] : reply.headers) res.set(k, v);
  res.body() = std::move(reply.body);
  res.keep_alive(keep_alive);
  res.prepare_payload();
  if (head) res.body().clear();
  return res;
}

common::Result<tcp::endpoint> ParseListen(const std::string& listen) {
  auto colon = listen.rfind(':');
  if (colon == std::string::npos)
    return common::Invalid("listen address needs host:port: " + listen);
  std::string host = listen.substr(0, colon);
  if (host.starts_with("[") && host.ends_with("]")) host = host.substr(1, host.size() - 2);
  if (host.empty() || host == "*") host = "0.0.0.0";
  if (host == "localhost") host = "127.0.0.1";
  boost::system::error_code ec;
  auto address = asio::ip::make_address(host, ec);
  if (ec)
    return common::Invalid("cannot listen on " + listen + ": \"" + host +
                           "\" is not an IP address");
  const std::string port_text = listen.substr(colon + 1);
  unsigned long port = 70000;
  if (!port_text.empty() && port_text.size() <= 5 &&
      std::all_of(port_text.begin(), port_text.end(), [](char c) { return c >= '0' && c <= '9'; }))
    port = std::stoul(port_text);
  if (port > 65535) return common::Invalid("bad port in listen address " + listen);
  return tcp::endpoint(address, static_cast<unsigned short>(port));
}

int HttpStatusOf(common::ErrorKind kind) {
  switch (kind) {
    case common::ErrorKind::kInvalid:
      return 400;
    case common::ErrorKind::kForbidden:
      return 403;
    case common::ErrorKind::kNotFound:
      return 404;
    case common::ErrorKind::kConflict:
      return 409;
    case common::ErrorKind::kUnavailable:
      return 503;
    case common::ErrorKind::kInternal:
      return 500;
  }
  return 500;
}

common::Result<void> ValidateListen(const std::string& listen) {
  auto endpoint = ParseListen(listen);
  if (endpoint) return {};
  return std::unexpected(endpoint.error());
}

}  // namespace reznet::api
