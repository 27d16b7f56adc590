#pragma once
// What a daemon.auth.basic_users hash must look like, shared by check-config/serve (config
// loader), the checker (api/basic_auth) and `reznet-perfd hash-password`, so that all three
// accept the same costs.

#include <optional>
#include <string>
#include <string_view>

#include "common/error.hpp"

namespace reznet::config {

// bcrypt's own minimum.
inline constexpr int kMinBcryptCost = 4;
// The most the daemon accepts. Each +1 doubles a check: cost 12 is ~0.2-0.25 s of one core here
// (bench/auth_flood.py), 16 is ~4 s and 31 is days. Every wrong password not seen before costs a
// check (and, so that timing hides which users exist, every check costs as much as the costliest
// hash), so above 12 a handful of wrong logins takes the CPU and a first login misses
// Prometheus's scrape timeout.
inline constexpr int kMaxBcryptCost = 12;
inline constexpr int kDefaultBcryptCost = 10;

// The cost of a well-formed hash ("$2b$10$…" → 10); call after ValidateBcryptHash accepted it.
inline int BcryptCost(std::string_view hash) { return (hash[4] - '0') * 10 + (hash[5] - '0'); }

// Why `hash` is not a bcrypt hash this daemon can check (without quoting it: hashes are
// secrets), or nothing. Form: "$2a$", "$2b$" or "$2y$", two cost digits, "$", 53 characters of
// bcrypt's base64 (22 of salt, 31 of hash).
inline common::Result<void> ValidateBcryptHash(std::string_view hash) {
  const std::string make = "; make one with `reznet-perfd hash-password --cost " +
                           std::to_string(kDefaultBcryptCost) + "`";
  if (!(hash.starts_with("$2y$") || hash.starts_with("$2b$") || hash.starts_with("$2a$")))
    return common::Invalid("expected a bcrypt hash starting with $2y$, $2b$ or $2a$" + make);
  if (hash.size() != 60)
    return common::Invalid("a bcrypt hash has 60 characters, this one " +
                           std::to_string(hash.size()) + make);
  const auto digit = [](char c) { return c >= '0' && c <= '9'; };
  if (!digit(hash[4]) || !digit(hash[5]) || hash[6] != '$')
    return common::Invalid(
        "expected two cost digits and '$' after the bcrypt prefix (\"$2b$10$…\")" + make);
  for (std::size_t i = 7; i < hash.size(); ++i) {
    const char c = hash[i];
    const bool b64 =
        c == '.' || c == '/' || digit(c) || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
    if (!b64)
      return common::Invalid("character " + std::to_string(i + 1) +
                             " is not bcrypt base64 ([./A-Za-z0-9])" + make);
  }
  const int cost = BcryptCost(hash);
  if (cost < kMinBcryptCost)
    return common::Invalid("bcrypt cost " + std::to_string(cost) +
                           " is below bcrypt's minimum of " + std::to_string(kMinBcryptCost) +
                           make);
  if (cost > kMaxBcryptCost) {
    // bcrypt itself stops at 31; a larger number is no hash at all.
    const std::string times = cost <= 31 ? std::to_string(1L << (cost - kMaxBcryptCost)) : "2^19+";
    return common::Invalid(
        "bcrypt cost " + std::to_string(cost) + " is above " + std::to_string(kMaxBcryptCost) +
        ", the most this daemon accepts: every check of a wrong password or an unknown user "
        "would take " +
        times +
        " times as long as at cost 12 (~0.25 s of CPU), so a few wrong logins would take the "
        "CPU and a first login would miss the scrape timeout" +
        make);
  }
  return {};
}

}  // namespace reznet::config
