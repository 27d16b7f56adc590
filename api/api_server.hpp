#pragma once
// The daemon's HTTP server (GET /metrics, /healthz, /readyz, /api/v1/status, …) on Boost.Beast,
// with its own io_context and thread: rendering a scrape never delays a probe's timing on the
// probe io_context, and connections cost a coroutine each, not a thread.
//
// Why not cpp-httplib here (docs/design.md §8 named it): Debian's libcpp-httplib initialises
// OpenSSL's error strings when it is loaded (+1.7 MiB RSS for a daemon that may never speak TLS)
// and holds one pool thread per open connection. Measured in bench/compare_peers.py.
//
// Handlers run on a worker pool (or, marked inline, on the server thread), one request at a time
// per connection; they must be thread-safe with respect to the rest of the daemon. An exception
// escaping a handler becomes a 500 and a log line. Limits: request body 1 MiB, headers 16 KiB, 30 s
// idle keep-alive, 10 s from a request's first byte to its last, 512 connections and 128 per client
// address. At a cap the oldest idle connection (waiting for or dribbling a request) is closed to
// make room, so a new scrape is served; accept errors (out of descriptors) back off instead of
// spinning; repeated warnings are rate-limited with a count.
//
// TLS (UseTls): the handshake must finish within the 10 s request deadline, and a connection
// that has not finished it counts as idle, so floods of silent TCP connections are shed like
// idle ones. Basic auth (RequireBasicAuth): every request but a POST needs valid credentials
// (401 with WWW-Authenticate otherwise); POST routes authorise themselves (bearer token). Cached
// credentials (and remembered wrong ones) are checked on the server thread in microseconds;
// bcrypt runs on AuthChecks' threads, shared fairly between client addresses, with a bounded
// queue — a check shed from it is answered 503, so wrong passwords in a loop cannot delay a
// cached scrape, nor a new client's first login by more than about one check.

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/error.hpp"

namespace reznet::api {

struct HttpRequest {
  std::string method;
  std::string path;                            // without the query
  std::string query;                           // after '?', undecoded
  std::map<std::string, std::string> headers;  // names lower-case
  std::string body;
  std::string Header(const std::string& lower_name) const;
  std::string QueryParam(const std::string& name) const;  // first value, %-decoded
};

struct TlsSettings {
  std::string cert_file;       // PEM chain
  std::string key_file;        // PEM key, unencrypted
  std::string client_ca_file;  // when set: client certificates required and verified by these
  bool tls13_only = false;     // else TLS 1.2 and 1.3
};

// Why `settings` cannot serve TLS (file and OpenSSL's reason), by loading them; nothing when
// they can (check-config runs this).
common::Result<void> ValidateTls(const TlsSettings& settings);

class BasicAuth;

// The HTTP status that answers a domain refusal: kInvalid 400, kForbidden 403, kNotFound 404,
// kConflict 409, kUnavailable 503, kInternal 500. Domain code returns refusals; only the API
// speaks HTTP.
int HttpStatusOf(common::ErrorKind kind);

struct HttpReply {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

// Why `listen` ("host:port", port 0 picks a free one) cannot be bound, without binding; nothing
// when it is well-formed (check-config runs this).
common::Result<void> ValidateListen(const std::string& listen);

class ApiServer {
 public:
  using Handler = std::function<HttpReply(const HttpRequest&)>;

  ApiServer();
  ~ApiServer();
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  // Where a handler runs. kWorker (the default): on a small worker pool, so a handler that
  // reads a disk or a database, or waits for the probe thread, never delays another request;
  // when every worker is busy and the queue is full the request is answered 503 at once.
  // kInline: on the server thread itself — only for handlers that take nothing longer than a
  // short lock (/metrics, /healthz, /readyz).
  enum class Lane { kWorker, kInline };

  // Exact path, or a prefix when `path` ends with '/' and `prefix` is set. Before Start().
  void Route(const std::string& method, const std::string& path, Handler handler,
             bool prefix = false, Lane lane = Lane::kWorker);

  // A handler that answers later, for work on another thread (GET /probe runs a probe on the
  // probe io_context). It runs on the server thread and must return at once (no I/O, no
  // waiting); it calls `reply` exactly once, from any thread. A reply never given is answered
  // 500 after kAsyncReplyBound.
  using Reply = std::function<void(HttpReply)>;
  using AsyncHandler = std::function<void(const HttpRequest&, Reply)>;
  void RouteAsync(const std::string& method, const std::string& path, AsyncHandler handler);

  // Serve HTTPS instead of HTTP. Before Bind(), which loads the files.
  void UseTls(TlsSettings settings);
  // Every request but a POST needs basic auth checked by `auth`. Before Start().
  void RequireBasicAuth(std::shared_ptr<BasicAuth> auth);

  // Binds "host:port" (port 0 picks a free one) and returns the port. Throws std::runtime_error
  // (also when the TLS files do not load: naming the file and the reason).
  int Bind(const std::string& listen);
  void Start();  // serves on its own thread
  void Stop();   // closes the listener and every connection; joins the thread

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace reznet::api
