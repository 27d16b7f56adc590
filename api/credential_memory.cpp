#include "api/credential_memory.hpp"

#include <cassert>

namespace reznet::api {

CredentialMemory::CredentialMemory(std::size_t capacity, SteadyClock::duration ttl)
    : capacity_(capacity), ttl_(ttl) {
  assert(capacity_ > 0);
  index_.reserve(capacity_);
}

bool CredentialMemory::Contains(const Digest& key, SteadyClock::time_point now) {
  const auto it = index_.find(key);
  if (it == index_.end()) return false;
  if (now >= it->second->expires) {
    order_.erase(it->second);
    index_.erase(it);
    return false;
  }
  order_.splice(order_.begin(), order_, it->second);
  return true;
}

void CredentialMemory::Remember(const Digest& key, SteadyClock::time_point now) {
  if (const auto it = index_.find(key); it != index_.end()) {
    it->second->expires = now + ttl_;
    order_.splice(order_.begin(), order_, it->second);
    return;
  }
  if (index_.size() >= capacity_) {
    index_.erase(order_.back().key);
    order_.pop_back();
    ++evictions_;
  }
  order_.push_front({key, now + ttl_});
  index_.emplace(key, order_.begin());
}

}  // namespace reznet::api
