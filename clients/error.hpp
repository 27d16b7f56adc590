#pragma once
// A failure of the monitored system or of reaching it (connect, TLS, a query, a response that
// breaks the protocol, an assertion the answer failed): the kinds are the probes' `error` label,
// one vocabulary for every kind (docs/metrics.md lists them).

#include <iosfwd>
#include <string_view>

#include "common/error.hpp"

namespace reznet::clients {

enum class ErrorKind {
  // reaching the target
  kDns,
  kConnect,
  kTls,
  kTimeout,
  kCancelled,
  kIo,
  kProtocol,  // the answer breaks its protocol (malformed HTTP, a bad chunk)
  kBodyTooLarge,
  kHeaderTooLarge,
  kStream,  // a stream consumer stopped the exchange
  kAuth,    // the server refused our credentials
  kRedis,   // a Redis error reply
  kSql,     // a PostgreSQL error (SQLSTATE in the detail)
  // what the answer said
  kHttpStatus,
  kAssertion,
  kMismatch,  // a value read back is not the one written
  kRows,      // a query returned a row count not expected
  kExtract,   // a load step could not extract a variable from its answer
  // streamed LLM answers
  kHttp401,
  kHttp429,
  kHttp4xx,
  kHttp5xx,
  kOverloaded,
  kStreamError,
  kTruncated,
  kNoFirstToken,
  kBadPayload,
  // a load test as a whole
  kNoRequests,
  kAllFailed,
  // an exception escaped a probe (a bug); the last value
  kInternal,
};

// The label value: snake_case, stable ("http_5xx", "body_too_large", …).
std::string_view ToString(ErrorKind kind);
std::ostream& operator<<(std::ostream& out, ErrorKind kind);  // the label (test messages)

using Error = common::Error<ErrorKind>;

}  // namespace reznet::clients
