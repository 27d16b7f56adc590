#pragma once
// A bounded, expiring set of 32-byte digests with least-recently-used eviction: BasicAuth keeps
// the credentials that passed and those that failed in two of these. Digests are keyed hashes
// (HMAC-SHA-256 with a per-process random key) of user, password and stored hash, so what is
// kept is no password equivalent and an attacker cannot aim a lookup at an entry.
//
// Not thread-safe (BasicAuth holds it under its lock). The clock is a parameter, so tests move
// time by hand.

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <list>
#include <unordered_map>

namespace reznet::api {

using Digest = std::array<unsigned char, 32>;

class CredentialMemory {
 public:
  using SteadyClock = std::chrono::steady_clock;

  // At most `capacity` (> 0) entries, each forgotten `ttl` after it was remembered.
  CredentialMemory(std::size_t capacity, SteadyClock::duration ttl);

  // True when `key` is remembered and not expired at `now` (it becomes the most recently used).
  bool Contains(const Digest& key, SteadyClock::time_point now);
  // Remembers `key` from `now` on; the least recently used entry makes room when full.
  void Remember(const Digest& key, SteadyClock::time_point now);

  std::size_t size() const { return index_.size(); }
  std::uint64_t evictions() const { return evictions_; }

 private:
  struct Entry {
    Digest key;
    SteadyClock::time_point expires;
  };
  struct Hash {
    // The digest is already uniform: its first bytes are a good hash.
    std::size_t operator()(const Digest& d) const {
      std::size_t h = 0;
      std::memcpy(&h, d.data(), sizeof h);
      return h;
    }
  };

  std::size_t capacity_;
  SteadyClock::duration ttl_;
  std::list<Entry> order_;  // most recently used first
  std::unordered_map<Digest, std::list<Entry>::iterator, Hash> index_;
  std::uint64_t evictions_ = 0;
};

}  // namespace reznet::api
