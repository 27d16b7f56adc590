#pragma once
// What GET /readyz answers: ready once the daemon serves and until it stops, unless a problem
// is set (the last history write failed: runs are being lost). Thread-safe and cheap for the
// inline /readyz handler: an atomic flag each, the reason under a small lock.

#include <atomic>
#include <mutex>
#include <optional>
#include <string>

#include "common/error.hpp"

namespace reznet::api {

class Readiness {
 public:
  void SetServing(bool serving) { serving_ = serving; }
  // `reason` empty clears the problem.
  void SetProblem(std::string reason) {
    std::lock_guard lock(mutex_);
    problem_ = !reason.empty();
    reason_ = std::move(reason);
  }
  // Nothing when ready, otherwise why not (kind kUnavailable).
  common::Result<void> Ready() const {
    if (!serving_) return common::Fail(common::ErrorKind::kUnavailable, "not ready");
    if (!problem_) return {};
    std::lock_guard lock(mutex_);
    if (reason_.empty()) return {};
    return common::Fail(common::ErrorKind::kUnavailable, reason_);
  }

 private:
  std::atomic<bool> serving_{false};
  std::atomic<bool> problem_{false};
  mutable std::mutex mutex_;
  std::string reason_;
};

}  // namespace reznet::api
