#pragma once
// Work waiting for a scarce resource (bcrypt checks), shared fairly between sources (client
// addresses): Pop() serves the source that has used the least of it lately — its count of items
// served, halved every kHalfLife. A source that rarely needs a check (a scraper's first login
// after a restart) therefore goes ahead of sources that keep sending them (a flood), however
// many those are; sources that all keep sending share equally. Bounded: at most `per_source` items
// wait per source and `total` in all. A full source makes room by shedding its own oldest item; a
// full queue sheds the oldest item of the source with the most waiting (of those, the heaviest
// user, then the one that came last). Between sources that used as little, Pop serves the one
// waiting longest. So a flood from ever-new addresses (each as light as a new scraper) cannot
// hold a check waiting for long: once queued, it is served within `total` items, or refused at
// once when the queue is full of sources just like it. Sources
// no longer waiting are remembered (their usage) up to kRememberedSources, forgetting the lightest
// users first (as good as new anyway).
//
// Not thread-safe (AuthChecks holds it under its lock). Pure: the time is a parameter.

#include <algorithm>
#include <cassert>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace reznet::api {

template <class T>
class FairQueue {
 public:
  static constexpr std::size_t kRememberedSources = 1024;
  static constexpr std::chrono::seconds kHalfLife{10};
  using Time = std::chrono::steady_clock::time_point;

  FairQueue(std::size_t per_source, std::size_t total) : per_source_(per_source), total_(total) {
    assert(per_source_ > 0 && total_ >= per_source_);
  }

  // Queues `item` of `source`; returns the items shed to make room (to be answered "busy").
  std::vector<T> Push(const std::string& source, T item, Time now) {
    std::vector<T> shed;
    Source& s = sources_[source];
    if (s.waiting.size() >= per_source_) shed.push_back(TakeOldest(s));
    s.waiting.emplace_back(next_seq_++, std::move(item));
    ++waiting_;
    if (waiting_ > total_) shed.push_back(TakeOldest(Busiest(now)));
    Forget(now);
    return shed;
  }

  // The oldest item of the source that used the least lately, or nullopt when nothing waits.
  std::optional<T> Pop(Time now) {
    Source* next = nullptr;
    double least = 0;
    for (auto& [name, s] : sources_) {
      if (s.waiting.empty()) continue;
      const double usage = s.Usage(now);
      if (next == nullptr || usage < least ||
          (usage == least && s.waiting.front().first < next->waiting.front().first)) {
        next = &s;
        least = usage;
      }
    }
    if (next == nullptr) return std::nullopt;
    next->usage = least + 1;
    next->since = now;
    return TakeOldest(*next);
  }

  // Takes back the use Pop counted for `source` (an item that turned out cheap or legitimate:
  // AuthChecks counts only failed bcrypt checks, so a client whose passwords are right stays a
  // light user however often it logs in).
  void Refund(const std::string& source, Time now) {
    const auto it = sources_.find(source);
    if (it == sources_.end()) return;
    it->second.usage = std::max(0.0, it->second.Usage(now) - 1);
    it->second.since = now;
  }

  std::size_t waiting() const { return waiting_; }
  std::size_t sources() const { return sources_.size(); }  // remembered, waiting or not

 private:
  struct Source {
    std::deque<std::pair<std::uint64_t, T>> waiting;  // (arrival sequence, item), oldest first
    double usage = 0;  // items served, decayed by half every kHalfLife from `since` on
    Time since{};
    double Usage(Time now) const {
      const std::chrono::duration<double> age = now - since;
      return usage == 0 ? 0 : usage * std::exp2(-age.count() / kHalfLife.count());
    }
  };

  T TakeOldest(Source& s) {
    T item = std::move(s.waiting.front().second);
    s.waiting.pop_front();
    --waiting_;
    return item;
  }

  Source& Busiest(Time now) {
    Source* busiest = nullptr;
    for (auto& [name, s] : sources_) {
      if (s.waiting.empty()) continue;
      if (busiest == nullptr || s.waiting.size() > busiest->waiting.size()) {
        busiest = &s;
        continue;
      }
      if (s.waiting.size() < busiest->waiting.size()) continue;
      const double a = s.Usage(now), b = busiest->Usage(now);
      if (a > b || (a == b && s.waiting.front().first > busiest->waiting.front().first))
        busiest = &s;
    }
    return *busiest;
  }

  // Bounds the memory of idle sources. Forgetting the lightest user changes little: it would
  // have come (nearly) first anyway.
  void Forget(Time now) {
    while (sources_.size() > kRememberedSources) {
      auto lightest = sources_.end();
      double least = 0;
      for (auto it = sources_.begin(); it != sources_.end(); ++it) {
        if (!it->second.waiting.empty()) continue;
        const double usage = it->second.Usage(now);
        if (lightest == sources_.end() || usage < least) {
          lightest = it;
          least = usage;
        }
      }
      if (lightest == sources_.end()) return;  // all waiting: bounded by `total` already
      sources_.erase(lightest);
    }
  }

  std::size_t per_source_;
  std::size_t total_;
  std::map<std::string, Source> sources_;
  std::size_t waiting_ = 0;
  std::uint64_t next_seq_ = 0;
};

}  // namespace reznet::api
