#pragma once
// A failure of a remote operation (connect, TLS, a query, a response that breaks the protocol).

#include <string>

namespace reznet::clients {

// `kind` is short, stable, snake_case ("connect", "timeout", "dns", "tls", "http_status",
// "body_too_large", "protocol", "io", …): it becomes the probes' `error` label. `detail` is for
// humans and must not carry secrets.
struct Error {
  std::string kind;
  std::string detail;
  bool operator==(const Error&) const = default;
};

}  // namespace reznet::clients
