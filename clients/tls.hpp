#pragma once
// TLS client setup shared by every https client (the Beast HttpClient, the load engine), so that
// `ca_file` and `insecure_skip_verify` mean exactly the same everywhere. Includes OpenSSL: include
// it from sources (or headers only sources include), never from widely included headers.

#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/system/error_code.hpp>
#include <cstdint>
#include <optional>
#include <string>

#include "clients/http_client.hpp"

namespace reznet::clients {

// TLS 1.2 or later; the peer verified against `ca_file` (or the system trust store when empty)
// unless insecure_skip_verify. Throws std::runtime_error when the trust store cannot be loaded.
boost::asio::ssl::context MakeClientTlsContext(const TlsOptions& tls);

// Prepares a new connection before its handshake: SNI for host names (never for IP literals, RFC
// 6066 §3) and host-name verification unless insecure_skip_verify. False when SNI cannot be set.
template <class SslStream>
bool PrepareTlsClient(SslStream& stream, const std::string& host, bool host_is_ip_literal,
                      const TlsOptions& tls) {
  if (!host_is_ip_literal && !SSL_set_tlsext_host_name(stream.native_handle(), host.c_str()))
    return false;
  if (!tls.insecure_skip_verify)
    stream.set_verify_callback(boost::asio::ssl::host_name_verification(host));
  return true;
}

// The negotiated protocol as blackbox_exporter names it ("TLS 1.2", "TLS 1.3"); OpenSSL's own
// name for others.
std::string TlsVersionName(const SSL* ssl);
// The earliest NotAfter (Unix seconds) of the certificates the peer sent; none without any.
std::optional<std::int64_t> EarliestPeerCertExpiry(const SSL* ssl);
// The earliest NotAfter of the chain the peer was verified with (leaf to trust anchor); none when
// no chain was verified (insecure_skip_verify).
std::optional<std::int64_t> EarliestVerifiedChainExpiry(const SSL* ssl);

// "<what>: <OpenSSL's error>", plus the certificate verification result when that failed (e.g.
// "…: certificate verify failed (SSL routines): self-signed certificate"), and a hint when the
// peer answered in plain text ("wrong version number": an http server on an https URL).
std::string TlsFailure(const std::string& what, const SSL* ssl,
                       const boost::system::error_code& ec);

}  // namespace reznet::clients
