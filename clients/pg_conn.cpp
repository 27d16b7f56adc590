#include "clients/pg_conn.hpp"

#include <poll.h>

#include <algorithm>
#include <cerrno>

namespace reznet::clients::pg {
namespace {

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

std::string ConnParams::Describe() const {
  std::string out;
  for (const auto& [k, v] : params) {
    if (k == "host" || k == "hostaddr" || k == "port" || k == "dbname" || k == "user") {
      out += (out.empty() ? "" : " ") + k + "=" + v;
    }
  }
  return out;
}

common::Result<ConnParams> ParseDsn(const std::string& dsn, std::string password) {
  char* err = nullptr;
  PQconninfoOption* options = PQconninfoParse(dsn.c_str(), &err);
  if (options == nullptr) {
    std::string why = err ? Trim(err) : "out of memory";
    PQfreemem(err);
    return common::Invalid(
        "not a libpq connection string (" + why +
        "); write it like \"host=127.0.0.1 port=5432 dbname=reznet user=reznet\"");
  }
  ConnParams out;
  bool inline_password = false;
  for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    if (o->val == nullptr) continue;
    if (std::string(o->keyword) == "password") {
      inline_password = true;
      continue;
    }
    out.params.emplace_back(o->keyword, o->val);
  }
  PQconninfoFree(options);
  if (inline_password) {
    return common::Invalid(
        "the DSN carries a password; move it to the target's password: \"${PGPASSWORD}\"");
  }
  out.password = std::move(password);
  return out;
}

std::expected<ConnPtr, Error> Connect(const ConnParams& p,
                                      std::chrono::milliseconds connect_timeout,
                                      std::chrono::milliseconds statement_timeout) {
  std::vector<std::pair<std::string, std::string>> kv = p.params;
  const auto seconds = std::max<long>(2, static_cast<long>((connect_timeout.count() + 999) / 1000));
  kv.emplace_back("connect_timeout", std::to_string(seconds));
  kv.emplace_back("application_name", "reznet-perfd");
  kv.emplace_back("options", "-c statement_timeout=" +
                                 std::to_string(std::max<long>(1, statement_timeout.count())));
  if (!p.password.empty()) kv.emplace_back("password", p.password);
  std::vector<const char*> keys, values;
  for (const auto& [k, v] : kv) {
    keys.push_back(k.c_str());
    values.push_back(v.c_str());
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
  ConnPtr conn(PQconnectdbParams(keys.data(), values.data(), 0));
  if (!conn)
    return std::unexpected(Error{ErrorKind::kConnect, "out of memory creating the connection"});
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    const std::string message = Trim(PQerrorMessage(conn.get()));
    const bool auth = message.find("password authentication failed") != std::string::npos ||
                      message.find("no password supplied") != std::string::npos ||
                      (message.find("role \"") != std::string::npos &&
                       message.find("does not exist") != std::string::npos);
    return std::unexpected(Error{auth ? ErrorKind::kAuth : ErrorKind::kConnect, message});
  }
  return conn;
}

Error ResultError(PGconn* conn, const PGresult* result) {
  if (PQstatus(conn) == CONNECTION_BAD) {
    return {ErrorKind::kConnect, "connection lost: " + Trim(PQerrorMessage(conn))};
  }
  const char* state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  const std::string sqlstate = state ? state : "";
  std::string message = Trim(result ? PQresultErrorMessage(result) : PQerrorMessage(conn));
  if (sqlstate == "57014")
    return {ErrorKind::kTimeout, "statement_timeout reached (SQLSTATE 57014)"};
  return {ErrorKind::kSql,
          "SQLSTATE " + (sqlstate.empty() ? std::string("?") : sqlstate) + ": " + message};
}

namespace {

// Waits until the connection's socket is ready for `events` or `until` passes.
bool WaitSocket(PGconn* conn, short events, std::chrono::steady_clock::time_point until) {
  for (;;) {
    const auto left =
        std::chrono::ceil<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd fd{PQsocket(conn), events, 0};
    const int n = ::poll(&fd, 1, static_cast<int>(left.count()));
    if (n > 0) return true;
    if (n < 0 && errno != EINTR) return true;  // let libpq find out what is wrong
  }
}

// The last result of what was just sent (`sent`: PQsend* returned 1), waiting at most `deadline`.
// A blocking connection flushes the query in PQsend*; socket buffers are far larger than any
// statement here, so only the answer needs waiting for.
std::expected<ResultPtr, Error> AwaitResult(PGconn* conn, int sent,
                                            std::chrono::milliseconds deadline) {
  if (sent == 0) return std::unexpected(ResultError(conn, nullptr));
  const auto until = std::chrono::steady_clock::now() + deadline;
  const Error late{ErrorKind::kTimeout,
                   "no answer from the server within " + std::to_string(deadline.count()) + " ms"};
  ResultPtr last;
  for (;;) {
    while (PQisBusy(conn) != 0) {
      if (!WaitSocket(conn, POLLIN, until)) return std::unexpected(late);
      if (PQconsumeInput(conn) == 0) return std::unexpected(ResultError(conn, nullptr));
    }
    PGresult* r = PQgetResult(conn);
    if (r == nullptr) break;
    last.reset(r);
  }
  if (!last) return std::unexpected(ResultError(conn, nullptr));
  return last;
}

std::vector<const char*> Values(const std::vector<std::string>& params) {
  std::vector<const char*> values;
  for (const auto& v : params) values.push_back(v.c_str());
  return values;
}

}  // namespace

std::expected<ResultPtr, Error> ExecParams(PGconn* conn, const char* sql,
                                           const std::vector<std::string>& params,
                                           std::chrono::milliseconds deadline) {
  const auto values = Values(params);
  return AwaitResult(conn,
                     PQsendQueryParams(conn, sql, static_cast<int>(values.size()), nullptr,
                                       values.data(), nullptr, nullptr, 0),
                     deadline);
}

std::expected<ResultPtr, Error> Prepare(PGconn* conn, const char* name, const char* sql,
                                        std::chrono::milliseconds deadline) {
  return AwaitResult(conn, PQsendPrepare(conn, name, sql, 0, nullptr), deadline);
}

std::expected<ResultPtr, Error> ExecPrepared(PGconn* conn, const char* name,
                                             const std::vector<std::string>& params,
                                             std::chrono::milliseconds deadline) {
  const auto values = Values(params);
  return AwaitResult(conn,
                     PQsendQueryPrepared(conn, name, static_cast<int>(values.size()), values.data(),
                                         nullptr, nullptr, 0),
                     deadline);
}

}  // namespace reznet::clients::pg
