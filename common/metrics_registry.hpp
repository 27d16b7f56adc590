#pragma once
// MetricsRegistry: the one registry every room puts its /metrics series on (docs/design.md §5).
// A room either registers prometheus-cpp families on families() (series it changes now and then:
// NFR states, suite results, reloads) or adds a Collectable that writes its series at scrape time
// from its own plain values (per-probe series, windows, live load counters). Render writes the
// collectables in the order added, then the families in the order registered.
//
// Every change of a series bumps a generation (Changed, or a collectable's own): equal
// generations mean equal text, so /metrics is rendered once per change and served cached between.
//
// Thread-safe: families lock themselves; Add happens at start-up, before the first Render.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace prometheus {
class Registry;
}

namespace reznet::common {

// A part of /metrics its owner writes at scrape time from its own state.
class Collectable {
 public:
  virtual ~Collectable() = default;
  // Appends its families (those with series) in the text exposition format. `now`: the steady
  // time the statistics are for.
  virtual void Collect(std::string& out, std::chrono::steady_clock::time_point now) = 0;
  // Bumped after every change of its series.
  virtual std::uint64_t Generation() const = 0;
  // Whether its series move without changes (a running load test): the text is not reused.
  virtual bool Live() const { return false; }
  // The names of the families it writes (without the kinds' own: see telemetry/probe_metrics.hpp).
  virtual std::vector<std::string> FamilyNames() const = 0;
};

class MetricsRegistry {
 public:
  MetricsRegistry();
  ~MetricsRegistry();
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  // Where rooms register their prometheus-cpp families.
  prometheus::Registry& families() { return *families_; }
  // A room changed a series of its families: call after the change (a scrape that read the
  // generation before may have missed it; the next sees a new one).
  void Changed() { generation_.fetch_add(1, std::memory_order_acq_rel); }
  // `c` must outlive the registry's renders.
  void Add(Collectable& c) { collectables_.push_back(&c); }

  // The sum of every part's generation: unchanged, the text is unchanged.
  std::uint64_t Generation() const;
  bool Live() const;
  // Names of the registered families and of the collectables' families: a kind may not name its
  // series after one of these.
  std::vector<std::string> FamilyNames() const;
  // Collectables, then families, in the text exposition format.
  void Render(std::string& out, std::chrono::steady_clock::time_point now);

 private:
  std::shared_ptr<prometheus::Registry> families_;
  std::vector<Collectable*> collectables_;
  std::atomic<std::uint64_t> generation_{0};
};

// RAII: calls registry.Changed() when it goes out of scope, i.e. after the change it guards.
class ChangedOnReturn {
 public:
  explicit ChangedOnReturn(MetricsRegistry& registry) : registry_(registry) {}
  ~ChangedOnReturn() { registry_.Changed(); }
  ChangedOnReturn(const ChangedOnReturn&) = delete;
  ChangedOnReturn& operator=(const ChangedOnReturn&) = delete;

 private:
  MetricsRegistry& registry_;
};

}  // namespace reznet::common
