#include "clients/tls.hpp"

#include <openssl/x509.h>

#include <stdexcept>

namespace reznet::clients {
namespace ssl = boost::asio::ssl;

ssl::context MakeClientTlsContext(const TlsOptions& tls) {
  ssl::context ctx(ssl::context::tls_client);
  if (SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION) != 1)
    throw std::runtime_error("TLS: cannot require TLS 1.2 or later");
  boost::system::error_code ec;
  if (tls.insecure_skip_verify) {
    ctx.set_verify_mode(ssl::verify_none);
    return ctx;
  }
  ctx.set_verify_mode(ssl::verify_peer);
  if (tls.ca_file.empty()) {
    ctx.set_default_verify_paths(ec);
  } else {
    ctx.load_verify_file(tls.ca_file, ec);
  }
  if (ec) throw std::runtime_error("TLS trust store: " + ec.message());
  return ctx;
}

std::string TlsFailure(const std::string& what, const SSL* ssl,
                       const boost::system::error_code& ec) {
  std::string out = what + ": " + ec.message();
  if (ssl != nullptr) {
    if (const long v = SSL_get_verify_result(ssl); v != X509_V_OK)
      out += std::string(": ") + X509_verify_cert_error_string(v);
  }
  if (out.find("wrong version number") != std::string::npos)
    out += " (does the server speak plain HTTP on this port?)";
  return out;
}

}  // namespace reznet::clients
