#include "clients/tls.hpp"

#include <openssl/x509.h>

#include <ctime>
#include <stdexcept>

namespace reznet::clients {
namespace ssl = boost::asio::ssl;

namespace {

std::optional<std::int64_t> EarliestNotAfter(STACK_OF(X509) * chain) {
  std::optional<std::int64_t> earliest;
  const int n = chain == nullptr ? 0 : sk_X509_num(chain);
  for (int i = 0; i < n; ++i) {
    std::tm tm{};
    const ASN1_TIME* not_after = X509_get0_notAfter(sk_X509_value(chain, i));
    if (not_after == nullptr || ASN1_TIME_to_tm(not_after, &tm) != 1) continue;
    const std::int64_t t = timegm(&tm);  // ASN1_TIME_to_tm gives UTC
    if (!earliest || t < *earliest) earliest = t;
  }
  return earliest;
}

}  // namespace

std::string TlsVersionName(const SSL* ssl) {
  switch (SSL_version(ssl)) {
    case TLS1_3_VERSION:
      return "TLS 1.3";
    case TLS1_2_VERSION:
      return "TLS 1.2";
    default:
      return SSL_get_version(ssl);
  }
}

std::optional<std::int64_t> EarliestPeerCertExpiry(const SSL* ssl) {
  // The client side's peer chain starts with the leaf (SSL_get_peer_cert_chain(3)).
  return EarliestNotAfter(SSL_get_peer_cert_chain(ssl));
}

std::optional<std::int64_t> EarliestVerifiedChainExpiry(const SSL* ssl) {
  if (SSL_get_verify_result(ssl) != X509_V_OK) return std::nullopt;
  return EarliestNotAfter(SSL_get0_verified_chain(ssl));
}

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
