#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "api/server_internal.hpp"

namespace reznet::api {
namespace {

namespace ssl = boost::asio::ssl;

std::string Failed(const std::string& key, const std::string& file, const std::string& what,
                   const boost::system::error_code& ec) {
  ERR_clear_error();
  return key + " \"" + file + "\": " + what + ": " + ec.message();
}

}  // namespace

common::Result<std::unique_ptr<ssl::context>> MakeServerTlsContext(const TlsSettings& s) {
  auto ctx = std::make_unique<ssl::context>(ssl::context::tls_server);
  SSL_CTX* native = ctx->native_handle();
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                   ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  if (SSL_CTX_set_min_proto_version(native, s.tls13_only ? TLS1_3_VERSION : TLS1_2_VERSION) != 1) {
    ERR_clear_error();
    return common::Invalid(std::string("cannot set the minimum TLS version"));
  }
  // An encrypted key would make OpenSSL prompt on the terminal; fail instead.
  ctx->set_password_callback([](std::size_t, ssl::context::password_purpose) { return ""; });
  boost::system::error_code ec;
  ctx->use_certificate_chain_file(s.cert_file, ec);
  if (ec) return common::Invalid(Failed("cert_file", s.cert_file, "cannot load", ec));
  ctx->use_private_key_file(s.key_file, ssl::context::pem, ec);
  const bool mismatch =
      ec && ec.category() == boost::asio::error::get_ssl_category() &&
      ERR_GET_REASON(static_cast<unsigned long>(ec.value())) == X509_R_KEY_VALUES_MISMATCH;
  if (ec && !mismatch) return common::Invalid(Failed("key_file", s.key_file, "cannot load", ec));
  if (mismatch || SSL_CTX_check_private_key(native) != 1) {
    ERR_clear_error();
    return common::Invalid("key_file \"" + s.key_file + "\" does not match cert_file \"" +
                           s.cert_file + "\"");
  }
  if (!s.client_ca_file.empty()) {
    ctx->load_verify_file(s.client_ca_file, ec);
    if (ec) return common::Invalid(Failed("client_ca_file", s.client_ca_file, "cannot load", ec));
    // Tell clients which CAs are accepted, so they pick the right certificate.
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(s.client_ca_file.c_str());
    if (names == nullptr) {
      ERR_clear_error();
      return common::Invalid("client_ca_file \"" + s.client_ca_file + "\": no certificate in it");
    }
    SSL_CTX_set_client_CA_list(native, names);  // takes ownership
    ctx->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
  }
  return ctx;
}

common::Result<void> ValidateTls(const TlsSettings& settings) {
  auto ctx = MakeServerTlsContext(settings);
  if (ctx) return {};
  return std::unexpected(ctx.error());
}

}  // namespace reznet::api
