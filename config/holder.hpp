#pragma once
// The config in force, swapped whole by a reload. Readers take a shared_ptr and keep using it:
// a suite run that started before a reload finishes on the config it started with.

#include <memory>
#include <mutex>

#include "config/config.hpp"

namespace reznet::config {

class ConfigHolder {
 public:
  explicit ConfigHolder(std::shared_ptr<const config::Config> config)
      : current_(std::move(config)) {}
  std::shared_ptr<const config::Config> Get() const {
    std::lock_guard lock(mutex_);
    return current_;
  }
  void Set(std::shared_ptr<const config::Config> config) {
    std::lock_guard lock(mutex_);
    current_ = std::move(config);
  }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const config::Config> current_;
};

}  // namespace reznet::config
