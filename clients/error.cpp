#include "clients/error.hpp"

#include <ostream>
#include <utility>

namespace reznet::clients {
namespace {

constexpr std::pair<ErrorKind, std::string_view> kLabels[] = {
    {ErrorKind::kDns, "dns"},
    {ErrorKind::kConnect, "connect"},
    {ErrorKind::kTls, "tls"},
    {ErrorKind::kTimeout, "timeout"},
    {ErrorKind::kCancelled, "cancelled"},
    {ErrorKind::kIo, "io"},
    {ErrorKind::kProtocol, "protocol"},
    {ErrorKind::kBodyTooLarge, "body_too_large"},
    {ErrorKind::kHeaderTooLarge, "header_too_large"},
    {ErrorKind::kStream, "stream"},
    {ErrorKind::kAuth, "auth"},
    {ErrorKind::kRedis, "redis"},
    {ErrorKind::kSql, "sql"},
    {ErrorKind::kHttpStatus, "http_status"},
    {ErrorKind::kAssertion, "assertion"},
    {ErrorKind::kMismatch, "mismatch"},
    {ErrorKind::kRows, "rows"},
    {ErrorKind::kExtract, "extract"},
    {ErrorKind::kHttp401, "http_401"},
    {ErrorKind::kHttp429, "http_429"},
    {ErrorKind::kHttp4xx, "http_4xx"},
    {ErrorKind::kHttp5xx, "http_5xx"},
    {ErrorKind::kOverloaded, "overloaded"},
    {ErrorKind::kStreamError, "stream_error"},
    {ErrorKind::kTruncated, "truncated"},
    {ErrorKind::kNoFirstToken, "no_first_token"},
    {ErrorKind::kBadPayload, "bad_payload"},
    {ErrorKind::kNoRequests, "no_requests"},
    {ErrorKind::kAllFailed, "all_failed"},
    {ErrorKind::kInternal, "internal"},
};

}  // namespace

std::string_view ToString(ErrorKind kind) {
  for (const auto& [k, label] : kLabels)
    if (k == kind) return label;
  return "internal";
}

std::ostream& operator<<(std::ostream& out, ErrorKind kind) { return out << ToString(kind); }

}  // namespace reznet::clients
