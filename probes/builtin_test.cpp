// What every registered kind must be, whatever kind it is (issue #25: invariants, not a list).
// Adding a kind adds no line here; what a kind declares (its samples, profiles, ratios, labels)
// is asserted in its own folder's test, beside its Traits().
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "config/module.hpp"
#include "config/suite.hpp"
#include "probes/probe.hpp"

namespace reznet::probes {
namespace {

using ::testing::HasSubstr;

const config::KindTraitsMap& Builtin() {
  static const ProbeRegistry registry = [] {
    ProbeRegistry r;
    RegisterBuiltinProbes(r);
    return r;
  }();
  return registry.Kinds();
}

bool Matches(const std::string& s, const char* pattern) {
  return std::regex_match(s, std::regex(pattern));
}

TEST(EveryKind, IsNamedAndDescribesItsRuns) {
  ASSERT_GE(Builtin().size(), 7u);  // http, llm, agent, postgres, redis, cache, load at least
  for (const auto& [name, t] : Builtin()) {
    SCOPED_TRACE(name);
    EXPECT_EQ(t.name, name);
    EXPECT_TRUE(Matches(name, "[a-z][a-z0-9_]*")) << "a kind's name is a YAML value and a label";
    EXPECT_FALSE(t.phases.empty());
    std::set<std::string> unique(t.phases.begin(), t.phases.end());
    EXPECT_EQ(unique.size(), t.phases.size()) << "a phase listed twice";
    EXPECT_TRUE(unique.count(t.chart_phase)) << "the status page charts one of its phases";
    EXPECT_GE(t.default_samples, 1);
    for (const auto& p : t.profiles) {
      EXPECT_NE(p, config::kFullProfile) << "full runs every probe already";
      EXPECT_THAT(config::kDefaultProfiles, ::testing::Contains(p));
    }
    EXPECT_TRUE(static_cast<bool>(t.parse));
  }
}

TEST(EveryKind, NamesItsSeriesAsPrometheusExpects) {
  std::map<std::string, std::string> help_of;  // gauge -> HELP, across kinds
  for (const auto& [name, t] : Builtin()) {
    SCOPED_TRACE(name);
    std::set<std::string> counters;
    for (const auto& r : t.ratios) {
      EXPECT_TRUE(Matches(r.counter, "[a-z][a-z0-9_]*")) << r.counter;
      EXPECT_TRUE(counters.insert(r.counter).second) << "ratio counter listed twice: " << r.counter;
      if (r.gauge.empty()) continue;
      EXPECT_TRUE(Matches(r.gauge, "reznet_perf_[a-z0-9_]+_ratio")) << r.gauge;
      // Two kinds may export one gauge (redis and cache: the hit ratio), with one HELP.
      auto [it, fresh] = help_of.emplace(r.gauge, r.help);
      if (!fresh) {
        EXPECT_EQ(it->second, r.help) << r.gauge << " declared with two HELP texts";
      }
    }
    for (const auto& m : t.metrics) {
      EXPECT_TRUE(
          Matches(m.name, m.total ? "reznet_perf_[a-z0-9_]+_total" : "reznet_perf_[a-z0-9_]+"))
          << m.name;
      EXPECT_FALSE(m.counter.empty());
      EXPECT_FALSE(m.help.empty()) << m.name;
    }
    for (const auto& l : t.labels) {
      EXPECT_TRUE(Matches(l, "[a-z][a-z0-9_]*")) << l;
      // The labels every probe series has already, and Prometheus' own.
      for (const char* taken :
           {"probe", "kind", "phase", "le", "quantile", "target", "job", "instance"})
        EXPECT_NE(l, taken);
    }
  }
}

// A kind that takes an address given at run time puts it where it aims, and what every kind
// refuses (credentials) stays refused whatever the kind's own function would do.
TEST(EveryKind, ThatTakesAnAddressAimsWhereItSays) {
  int addressable = 0;
  for (const auto& [name, t] : Builtin()) {
    SCOPED_TRACE(name);
    if (t.address == nullptr) {
      EXPECT_FALSE(config::WithAddress({}, t.address, "127.0.0.1:9").has_value());
      continue;
    }
    ++addressable;
    auto a = config::WithAddress({}, t.address, "127.0.0.1:9");
    ASSERT_TRUE(a.has_value()) << a.error().detail;
    EXPECT_EQ(a->where.ToString(), "127.0.0.1:9");
    auto credentials = config::WithAddress({}, t.address, "user:s3cret@127.0.0.1:9");
    ASSERT_FALSE(credentials.has_value());
    EXPECT_THAT(credentials.error().detail, ::testing::Not(HasSubstr("s3cret")));
    auto junk = config::WithAddress({}, t.address, "127.0.0.1:9 password=x");
    EXPECT_FALSE(junk.has_value());
  }
  EXPECT_GE(addressable, 5);  // http, llm, agent, postgres, redis
}

}  // namespace
}  // namespace reznet::probes
