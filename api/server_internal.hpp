#pragma once
// Pieces of the server kept apart from api_server.cpp (for size), private to the api room: they
// pull in Asio, Beast and OpenSSL, which api_server.hpp keeps out of every other room.

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/http.hpp>
#include <expected>
#include <memory>
#include <string>

#include "api/api_server.hpp"
#include "common/error.hpp"

namespace reznet::api {

// http_message.cpp
HttpRequest ToRequest(boost::beast::http::request<boost::beast::http::string_body>&& msg);
boost::beast::http::response<boost::beast::http::string_body> ToResponse(HttpReply reply,
                                                                         unsigned version,
                                                                         bool keep_alive,
                                                                         bool head);
// "host:port" → an endpoint, or why not. Hosts: an IP address, [v6], *, localhost.
common::Result<boost::asio::ip::tcp::endpoint> ParseListen(const std::string& listen);

// tls_context.cpp: loads certificate chain, key (unencrypted: nobody is there to type a
// passphrase) and, when set, the client CAs (then a verified client certificate is required).
// The error names the file and OpenSSL's reason.
common::Result<std::unique_ptr<boost::asio::ssl::context>> MakeServerTlsContext(
    const TlsSettings& settings);

}  // namespace reznet::api
