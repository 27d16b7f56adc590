#include "clients/http_client.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/version.hpp>

#include "clients/ip_address.hpp"
#include "clients/tls.hpp"

namespace reznet::clients {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;
using boost::system::error_code;
using namespace asio::experimental::awaitable_operators;

constexpr auto kUserAgent = "reznet-perfd/0.1";

using Parser = http::response_parser<http::string_body>;

// 1xx other than 101 (which switches the connection to another protocol: a final response).
bool IsInterim(unsigned status) { return status >= 100 && status < 200 && status != 101; }

Error IoError(ErrorKind kind, const std::string& what, const error_code& ec) {
  if (ec == beast::error::timeout) return {ErrorKind::kTimeout, what + ": deadline reached"};
  if (ec == asio::error::operation_aborted) return {ErrorKind::kCancelled, what + ": cancelled"};
  return {kind, what + ": " + ec.message()};
}

bool IsStaleConnection(const error_code& ec) {
  return ec == http::error::end_of_stream || ec == asio::error::eof ||
         ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
         ec == http::error::partial_message;
}

}  // namespace

struct HttpClient::Impl {
  asio::any_io_executor executor;
  config::Url url;
  TlsOptions tls;
  HttpLimits limits;
  std::unique_ptr<ssl::context> ssl_ctx;
  std::unique_ptr<beast::tcp_stream> plain;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> secure;
  beast::flat_buffer buffer;
  std::optional<asio::ip::address> literal;
  PeerInfo peer;  // of the open connection

  bool connected() const { return plain || secure; }

  void Close() {
    error_code ignored;
    if (plain) plain->socket().close(ignored);
    if (secure) beast::get_lowest_layer(*secure).socket().close(ignored);
    plain.reset();
    secure.reset();
    buffer.consume(buffer.size());
  }

  asio::awaitable<std::optional<Error>> Connect(SteadyClock::time_point deadline, HttpTimings& t) {
    std::vector<tcp::endpoint> endpoints;
    if (literal) {
      endpoints.emplace_back(*literal, url.port);
    } else {
      const auto t0 = SteadyClock::now();
      tcp::resolver resolver(executor);
      asio::steady_timer timer(executor, deadline);
      auto result = co_await (resolver.async_resolve(url.host.text, std::to_string(url.port),
                                                     asio::as_tuple(asio::use_awaitable)) ||
                              timer.async_wait(asio::as_tuple(asio::use_awaitable)));
      if (result.index() == 1)
        co_return Error{ErrorKind::kTimeout,
                        "dns lookup of " + url.host.text + ": deadline reached"};
      auto [ec, results] = std::get<0>(std::move(result));
      if (ec)
        co_return Error{ErrorKind::kDns, "dns lookup of " + url.host.text + ": " + ec.message()};
      for (const auto& entry : results) endpoints.push_back(entry.endpoint());
      t.dns = SteadyClock::now() - t0;
    }
    // The address about to be tried, so a failed connect still says where it went (as
    // blackbox_exporter's resolved address); the connected one replaces it below.
    peer = PeerInfo{};
    if (!endpoints.empty()) peer.address = endpoints.front().address().to_string();
    t.peer = peer;
    auto stream = std::make_unique<beast::tcp_stream>(executor);
    stream->expires_at(deadline);
    error_code ec;
    const auto t1 = SteadyClock::now();
    co_await stream->async_connect(endpoints, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return IoError(ErrorKind::kConnect, "connect to " + url.HostHeader(), ec);
    t.connect = SteadyClock::now() - t1;
    if (const auto remote = stream->socket().remote_endpoint(ec); !ec) {
      peer.address = remote.address().to_string();
    }
    t.peer = peer;
    stream->socket().set_option(tcp::no_delay(true), ec);
    if (url.scheme != "https") {
      plain = std::move(stream);
      co_return std::nullopt;
    }
    auto tls_stream =
        std::make_unique<beast::ssl_stream<beast::tcp_stream>>(std::move(*stream), *ssl_ctx);
    if (!PrepareTlsClient(*tls_stream, url.host.text, literal.has_value(), tls)) {
      co_return Error{ErrorKind::kTls, "cannot set SNI host name"};
    }
    beast::get_lowest_layer(*tls_stream).expires_at(deadline);
    const auto t2 = SteadyClock::now();
    co_await tls_stream->async_handshake(ssl::stream_base::client,
                                         asio::redirect_error(asio::use_awaitable, ec));
    if (ec == beast::error::timeout || ec == asio::error::operation_aborted)
      co_return IoError(ErrorKind::kTls, "TLS handshake with " + url.host.text, ec);
    if (ec)
      co_return Error{ErrorKind::kTls, TlsFailure("TLS handshake with " + url.host.text,
                                                  tls_stream->native_handle(), ec)};
    t.tls = SteadyClock::now() - t2;
    const SSL* session = tls_stream->native_handle();
    peer.tls_version = TlsVersionName(session);
    peer.cert_not_after = EarliestPeerCertExpiry(session);
    if (!tls.insecure_skip_verify)
      peer.verified_chain_not_after = EarliestVerifiedChainExpiry(session);
    t.peer = peer;
    secure = std::move(tls_stream);
    co_return std::nullopt;
  }

  // One request/response exchange on an open connection. `stale` is set when the failure looks
  // like a kept-alive connection the server had already closed (worth one retry).
  //
  // The socket is read by hand and the bytes fed to the parser right away, so every piece of the
  // body carries the time its bytes arrived (Beast's async_read would hand over buffered bytes
  // later, with no way to tell when they came).
  template <class Stream>
  asio::awaitable<std::expected<HttpResponse, Error>> Exchange(
      Stream& stream, const http::request<http::string_body>& req, SteadyClock::time_point deadline,
      HttpTimings t, bool& stale, BodySink* sink) {
    error_code ec;
    beast::get_lowest_layer(stream).expires_at(deadline);
    buffer.consume(buffer.size());
    // The ttfb clock starts as the request is handed to the socket, not when the write's
    // completion is delivered: that delivery goes through the event loop and can arrive after the
    // response itself, which would make ttfb read near zero (seen: 6 µs on loopback keep-alive).
    t.sent = SteadyClock::now();
    if (sink != nullptr && sink->on_sent) sink->on_sent(t.sent);
    co_await http::async_write(stream, req, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      stale = IsStaleConnection(ec);
      co_return std::unexpected(IoError(ErrorKind::kIo, "sending the request", ec));
    }
    std::optional<Parser> parser;
    NewParser(parser, req.method() == http::verb::head);
    std::optional<SteadyClock::time_point> first_byte;
    SteadyClock::time_point arrived{};
    bool headers_seen = false;
    bool streaming = false;
    int interim = 0;
    for (;;) {
      if (auto failed = Feed(*parser)) co_return std::unexpected(*failed);
      const auto skipped = SkipInterim(parser, interim, req.method() == http::verb::head);
      if (!skipped) co_return std::unexpected(skipped.error());
      if (*skipped) continue;  // the rest of the buffer goes to the new parser
      if (auto failed = ToSink(*parser, sink, headers_seen, streaming, arrived))
        co_return std::unexpected(*failed);
      if (parser->is_done()) break;
      const std::size_t n = co_await stream.async_read_some(
          buffer.prepare(16 * 1024), asio::redirect_error(asio::use_awaitable, ec));
      arrived = SteadyClock::now();
      if (ec == asio::error::eof || ec == ssl::error::stream_truncated) {
        if (!first_byte) {
          stale = true;
          co_return std::unexpected(
              Error{ErrorKind::kIo, "the server closed the connection without a response"});
        }
        error_code eof_ec;
        parser->put_eof(eof_ec);  // fine for a body delimited by the close
        if (eof_ec) {
          co_return std::unexpected(
              Error{ErrorKind::kProtocol,
                    "the server closed the connection before the response was complete"});
        }
        continue;
      }
      if (ec) {
        stale = !first_byte && IsStaleConnection(ec);
        co_return std::unexpected(IoError(
            ErrorKind::kIo, first_byte ? "reading the response" : "waiting for the response", ec));
      }
      buffer.commit(n);
      if (!first_byte) first_byte = arrived;
    }
    const auto done = SteadyClock::now();
    t.ttfb = *first_byte - t.sent;
    t.transfer = done - *first_byte;
    const bool until_close = parser->need_eof();
    co_return Finish(parser->release(), t, until_close);
  }

  // A parser for the next response head (Beast's parsers cannot be reset or moved).
  void NewParser(std::optional<Parser>& parser, bool head_request) const {
    parser.emplace();
    parser->body_limit(limits.max_body_bytes);
    parser->header_limit(static_cast<std::uint32_t>(limits.max_header_bytes));
    if (head_request) parser->skip(true);
  }

  // Checks a parsed head; when it is an interim response (100 Continue, 103 Early Hints: RFC 9110
  // §15.2, the final response follows), replaces the parser with a new one and says so.
  std::expected<bool, Error> SkipInterim(std::optional<Parser>& parser, int& interim,
                                         bool head_request) const {
    if (auto failed = CheckHead(*parser)) return std::unexpected(*failed);
    if (!parser->is_header_done() || !IsInterim(parser->get().result_int())) return false;
    if (++interim > kMaxInterimResponses) {
      return std::unexpected(
          Error{ErrorKind::kProtocol, "more than " + std::to_string(kMaxInterimResponses) +
                                          " interim (1xx) responses before the final one"});
    }
    NewParser(parser, head_request);
    return true;
  }

  // RFC 9112 §6 framing checks Beast leaves out (it already refuses Content-Length values that
  // differ or are not numbers, and Content-Length with a chunked Transfer-Encoding): any
  // Transfer-Encoding with a Content-Length (§6.3 item 3, whose safe reading is an error), and
  // Transfer-Encoding in an HTTP/1.0 response (§6.1: faulty framing).
  static std::optional<Error> CheckHead(const Parser& parser) {
    if (!parser.is_header_done()) return std::nullopt;
    const auto& msg = parser.get();
    if (msg.find(http::field::transfer_encoding) == msg.end()) return std::nullopt;
    if (msg.find(http::field::content_length) != msg.end())
      return Error{ErrorKind::kProtocol,
                   "malformed HTTP response: both Transfer-Encoding and Content-Length"};
    if (msg.version() == 10)
      return Error{ErrorKind::kProtocol,
                   "malformed HTTP response: Transfer-Encoding in an HTTP/1.0 response"};
    return std::nullopt;
  }

  // Hands the buffered bytes to the parser; an error when they break the protocol or a limit.
  std::optional<Error> Feed(Parser& parser) {
    error_code ec;
    while (buffer.size() > 0 && !parser.is_done()) {
      const std::size_t used = parser.put(buffer.data(), ec);
      buffer.consume(used);
      if (ec == http::error::need_more) return std::nullopt;
      if (ec) return ParseError(ec);
      if (used == 0) break;
    }
    return std::nullopt;
  }

  // A streaming sink sees the head once, then the body as it arrives (drained from the parser).
  static std::optional<Error> ToSink(Parser& parser, BodySink* sink, bool& headers_seen,
                                     bool& streaming, SteadyClock::time_point arrived) {
    if (parser.is_header_done() && !headers_seen) {
      headers_seen = true;
      if (sink != nullptr) {
        Headers headers;
        for (const auto& field : parser.get()) {
          headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
        }
        streaming = sink->on_headers(static_cast<int>(parser.get().result_int()), headers);
      }
    }
    if (streaming && !parser.get().body().empty()) {
      auto failed = sink->on_body(parser.get().body(), arrived);
      parser.get().body().clear();
      if (!failed) return Error{ErrorKind::kStream, failed.error().detail};
    }
    return std::nullopt;
  }

  // `until_close`: the body ended at the close. 101 Switching Protocols ends HTTP/1.1 on the
  // connection. Neither leaves a connection to reuse.
  HttpResponse Finish(http::response<http::string_body> msg, const HttpTimings& t,
                      bool until_close) {
    HttpResponse response;
    response.status = static_cast<int>(msg.result_int());
    response.version = static_cast<int>(msg.version());
    for (const auto& field : msg) {
      response.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    response.body = std::move(msg.body());
    response.timings = t;
    if (!msg.keep_alive() || until_close || response.status == 101) Close();
    return response;
  }

  Error ParseError(const error_code& ec) const {
    if (ec == http::error::body_limit) {
      return {ErrorKind::kBodyTooLarge, "response body exceeds max_body_bytes (" +
                                            std::to_string(limits.max_body_bytes) + " bytes)"};
    }
    if (ec == http::error::header_limit) {
      return {ErrorKind::kHeaderTooLarge,
              "response headers exceed " + std::to_string(limits.max_header_bytes) + " bytes"};
    }
    return {ErrorKind::kProtocol, "malformed HTTP response: " + ec.message()};
  }
};

HttpClient::HttpClient(asio::any_io_executor executor, config::Url url, TlsOptions tls,
                       HttpLimits limits)
    : impl_(std::make_unique<Impl>()) {
  impl_->executor = std::move(executor);
  impl_->url = std::move(url);
  impl_->tls = std::move(tls);
  impl_->limits = limits;
  impl_->literal = AddressOf(impl_->url.host);
  if (impl_->url.scheme == "https") {
    impl_->ssl_ctx = std::make_unique<ssl::context>(MakeClientTlsContext(impl_->tls));
  }
}

HttpClient::~HttpClient() { impl_->Close(); }

void HttpClient::Close() { impl_->Close(); }

asio::awaitable<std::expected<HttpResponse, Error>> HttpClient::Send(
    const HttpRequest& request, SteadyClock::time_point deadline, bool keep_alive, BodySink* sink,
    HttpTimings* measured) {
  const auto start = SteadyClock::now();
  http::request<http::string_body> req;
  const auto verb = http::string_to_verb(request.method);
  if (verb == http::verb::unknown) {
    req.method_string(request.method);
  } else {
    req.method(verb);
  }
  // The last line of defence for what config and /probe already checked: nothing that could end
  // the request line or a header goes out.
  const std::string target = impl_->url.path + request.target;
  if (auto valid = config::ValidateRequestTarget(target); !valid)
    co_return std::unexpected(
        Error{ErrorKind::kProtocol, "request target: " + valid.error().detail});
  for (const auto& [name, value] : request.headers) {
    auto valid = config::ValidateHeaderName(name);
    if (valid) valid = config::ValidateHeaderValue(value);
    if (!valid)
      co_return std::unexpected(Error{
          ErrorKind::kProtocol, "header " + name.substr(0, 64) + ": " + valid.error().detail});
  }
  req.target(target);
  req.version(11);
  req.set(http::field::host, impl_->url.HostHeader());
  req.set(http::field::user_agent, kUserAgent);
  for (const auto& [name, value] : request.headers) req.set(name, value);
  if (!request.body.empty() || verb == http::verb::post || verb == http::verb::put) {
    req.body() = request.body;
    req.prepare_payload();
  }
  req.keep_alive(keep_alive);

  for (int attempt = 0; attempt < 2; ++attempt) {
    HttpTimings timings;
    const bool reused = impl_->connected();
    if (!reused) {
      if (auto err = co_await impl_->Connect(deadline, timings)) {
        impl_->Close();
        if (measured != nullptr) *measured = timings;
        co_return std::unexpected(*err);
      }
    }
    timings.peer = impl_->peer;
    bool stale = false;
    // Not a ?: with co_await in both arms: g++ 12 destroys the result twice for that shape.
    std::expected<HttpResponse, Error> result;
    if (impl_->secure) {
      result = co_await impl_->Exchange(*impl_->secure, req, deadline, timings, stale, sink);
    } else {
      result = co_await impl_->Exchange(*impl_->plain, req, deadline, timings, stale, sink);
    }
    if (!result) {
      impl_->Close();
      if (reused && stale) continue;  // the server closed the idle connection: open a new one
      if (measured != nullptr) *measured = timings;
      co_return result;
    }
    if (!keep_alive) impl_->Close();
    result->timings.total = SteadyClock::now() - start;
    result->reused_connection = reused;
    co_return result;
  }
  co_return std::unexpected(Error{ErrorKind::kIo, "connection closed by the server twice"});
}

}  // namespace reznet::clients
