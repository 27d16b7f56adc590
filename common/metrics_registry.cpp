#include "common/metrics_registry.hpp"

#include <prometheus/metric_family.h>
#include <prometheus/registry.h>

#include "common/exposition.hpp"

namespace reznet::common {

MetricsRegistry::MetricsRegistry() : families_(std::make_shared<prometheus::Registry>()) {}

MetricsRegistry::~MetricsRegistry() = default;

std::uint64_t MetricsRegistry::Generation() const {
  std::uint64_t sum = generation_.load(std::memory_order_acquire);
  for (const auto* c : collectables_) sum += c->Generation();
  return sum;
}

bool MetricsRegistry::Live() const {
  for (const auto* c : collectables_) {
    if (c->Live()) return true;
  }
  return false;
}

std::vector<std::string> MetricsRegistry::FamilyNames() const {
  std::vector<std::string> names;
  for (const auto& f : families_->Collect()) names.push_back(f.name);
  for (const auto* c : collectables_) {
    auto more = c->FamilyNames();
    names.insert(names.end(), more.begin(), more.end());
  }
  return names;
}

void MetricsRegistry::Render(std::string& out, std::chrono::steady_clock::time_point now) {
  for (auto* c : collectables_) c->Collect(out, now);
  AppendExposition(out, families_->Collect());
}

}  // namespace reznet::common
