#pragma once
// Guarded<T>: a value reachable only under its own mutex (docs/style.md habit 17).
//
//   Guarded<std::map<std::string, int>> counts;
//   counts.Lock()->emplace("a", 1);   // locked for the full expression
//   { auto c = counts.Lock(); ... }   // locked while `c` lives
//
// Not recursive: locking twice from one thread deadlocks.

#include <mutex>
#include <utility>

namespace reznet::common {

template <typename T>
class Guarded {
 public:
  template <typename... Args>
  explicit Guarded(Args&&... args) : value_(std::forward<Args>(args)...) {}
  Guarded(const Guarded&) = delete;
  Guarded& operator=(const Guarded&) = delete;

  class Locked {
   public:
    T* operator->() const { return value_; }
    T& operator*() const { return *value_; }

   private:
    friend class Guarded;
    Locked(std::mutex& mutex, T& value) : lock_(mutex), value_(&value) {}
    std::unique_lock<std::mutex> lock_;
    T* value_;
  };

  Locked Lock() { return Locked(mutex_, value_); }

 private:
  std::mutex mutex_;
  T value_;
};

}  // namespace reznet::common
