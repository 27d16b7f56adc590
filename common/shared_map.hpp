#pragma once
// SharedMap<T>: values by name, each behind its own lock, the map behind another (docs/style.md
// habit 17). The map's lock is held only to find, add, remove or list; a value's only to use it.
// So a reader going through every value (a scrape) waits for one writer at a time, and a writer
// for one reader. Values are shared: one removed while in use lives until its user lets go, and
// is freed outside the map's lock.

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/guarded.hpp"

namespace reznet::common {

template <typename T>
class SharedMap {
 public:
  using Shared = std::shared_ptr<Guarded<T>>;

  // The value of `name`, made (default-constructed) when there is none; `fresh` says which.
  Shared GetOrAdd(const std::string& name, bool* fresh = nullptr) {
    auto map = map_.Lock();
    auto& slot = (*map)[name];
    if (fresh != nullptr) *fresh = !slot;
    if (!slot) slot = std::make_shared<Guarded<T>>();
    return slot;
  }
  // Adds `value` unless `name` has one; whether it was added.
  bool Add(const std::string& name, Shared value) {
    return map_.Lock()->try_emplace(name, std::move(value)).second;
  }
  bool Contains(const std::string& name) { return map_.Lock()->count(name) > 0; }
  // Null when unknown.
  Shared Find(const std::string& name) {
    auto map = map_.Lock();
    auto it = map->find(name);
    return it == map->end() ? nullptr : it->second;
  }
  // Whether there was one to remove.
  bool Remove(const std::string& name) {
    Shared gone;  // declared before the lock: freed after it is released
    auto map = map_.Lock();
    auto it = map->find(name);
    if (it == map->end()) return false;
    gone = std::move(it->second);
    map->erase(it);
    return true;
  }
  // Every (name, value), ordered by name: what a reader goes through without the map's lock.
  std::vector<std::pair<std::string, Shared>> List() {
    auto map = map_.Lock();
    return {map->begin(), map->end()};
  }

 private:
  Guarded<std::map<std::string, Shared>> map_;
};

}  // namespace reznet::common
