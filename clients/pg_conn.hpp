#pragma once
// libpq, wrapped: RAII handles, conninfo parsed once at load time (never built by string
// concatenation; the password is passed as its own parameter, never inside the DSN), and libpq
// failures classified into probe error kinds. Every call here blocks: run it through
// net::Offload on the blocking pool.

#include <libpq-fe.h>

#include <chrono>
#include <expected>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "clients/error.hpp"
#include "common/error.hpp"

namespace reznet::clients::pg {

struct ConnDeleter {
  void operator()(PGconn* c) const { PQfinish(c); }
};
struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using ConnPtr = std::unique_ptr<PGconn, ConnDeleter>;
using ResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

// Connection parameters: the DSN's keywords plus the password (secret).
struct ConnParams {
  std::vector<std::pair<std::string, std::string>> params;
  std::string password;
  std::string Describe() const;  // "host=… port=… dbname=… user=…" without the password
};

// Parses a libpq conninfo string ("host=… dbname=…" or a postgresql:// URI). A password inside
// the DSN is rejected: it belongs in `password` (from the environment or a file).
common::Result<ConnParams> ParseDsn(const std::string& dsn, std::string password);

// Connects, with connect_timeout (libpq takes whole seconds, at least 2) and statement_timeout
// set. Error kinds: auth (bad password, unknown role), connect (everything else).
std::expected<ConnPtr, Error> Connect(const ConnParams& params,
                                      std::chrono::milliseconds connect_timeout,
                                      std::chrono::milliseconds statement_timeout);

// Runs one statement (parameters in text format) and waits for its result at most `deadline`:
// a server that stops answering mid-statement (frozen, or cut off while its kernel still acks)
// is given up on here instead of blocking the caller for good. The result may be an error
// result (see ResultError). Errors: connect (the statement could not be sent or the connection
// broke), timeout (no whole answer in time; the connection is then unusable: drop it).
std::expected<ResultPtr, Error> ExecParams(PGconn* conn, const char* sql,
                                           const std::vector<std::string>& params,
                                           std::chrono::milliseconds deadline);

// PQprepare and PQexecPrepared bound by `deadline` as ExecParams is (same errors): a prepared
// statement on a server that freezes mid-answer frees its caller at the deadline.
std::expected<ResultPtr, Error> Prepare(PGconn* conn, const char* name, const char* sql,
                                        std::chrono::milliseconds deadline);
std::expected<ResultPtr, Error> ExecPrepared(PGconn* conn, const char* name,
                                             const std::vector<std::string>& params,
                                             std::chrono::milliseconds deadline);

// The error of a failed result: timeout (SQLSTATE 57014, statement_timeout), connect (the
// connection broke), sql (anything else, with the SQLSTATE in the detail).
Error ResultError(PGconn* conn, const PGresult* result);

}  // namespace reznet::clients::pg
