#pragma once
// The one error model (docs/style.md, Errors): an operation that can fail returns
// std::expected<T, Error<Kind>>. `Kind` is an enum of the room where callers branch on what went
// wrong (clients::ErrorKind: the probes' `error` label); elsewhere the generic ErrorKind below,
// which the HTTP API maps to a status code. `detail` is for humans and never carries a secret.
// Exceptions only at the config and start-up boundaries; broken invariants assert.

#include <expected>
#include <string>
#include <string_view>
#include <utility>

namespace reznet::common {

enum class ErrorKind {
  kInvalid,      // the input is malformed or refused (a parse error, a bad request): 400
  kForbidden,    // well-formed, but not allowed (an allow list said no): 403
  kNotFound,     // no such thing (a run id, a profile): 404
  kConflict,     // not now: something else holds it (a suite run is going): 409
  kUnavailable,  // a dependency did not answer or refused (a database, a disk): 503
  kInternal,     // a bug or an impossible state, reported rather than crashed on: 500
};

std::string_view ToString(ErrorKind kind);

template <class Kind = ErrorKind>
struct Error {
  Kind kind{};
  std::string detail;
  bool operator==(const Error&) const = default;
};

// A value or why not.
template <class T, class Kind = ErrorKind>
using Result = std::expected<T, Error<Kind>>;

// `return common::Fail(ErrorKind::kInvalid, "…");` in a function returning Result<T>.
template <class Kind>
std::unexpected<Error<Kind>> Fail(Kind kind, std::string detail) {
  return std::unexpected(Error<Kind>{kind, std::move(detail)});
}
inline std::unexpected<Error<>> Invalid(std::string detail) {
  return Fail(ErrorKind::kInvalid, std::move(detail));
}

// `f()` (returning Result<T>) with anything it throws anyway — out of memory, a library's own
// exception — turned into a kInternal error. For the boundaries where an escaping exception would
// end a thread or leave a coroutine half done: a detached suite run, a pool task, a CLI verb with
// a thread of its own.
template <class F>
auto Catching(F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const std::exception& e) {
    return Fail(ErrorKind::kInternal, e.what());
  }
}

}  // namespace reznet::common
