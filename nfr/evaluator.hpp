#pragma once
// The evaluation loop's state and one pass of it: every continuous NFR rule stepped against what
// the windows say now (Step, step.hpp), transitions logged, states published, firing and resolved
// alerts handed to delivery. Reads nothing itself: the observations, the metrics and the
// notifier are ports the daemon wires, and time is a parameter, so tests drive it by hand.
//
// Not thread-safe: the daemon runs the loop, reloads and baseline refreshes on one io_context.

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "config/nfr.hpp"
#include "nfr/step.hpp"

namespace reznet::nfr {

struct EvaluatorPorts {
  // What a rule reads now (a window statistic, an error rate, a ratio mean).
  std::function<Observation(const config::NfrRule&, std::chrono::steady_clock::time_point)> observe;
  // Exports a rule's state (reznet_perf_nfr_*).
  std::function<void(const config::NfrRule&, const RuleState&)> publish;
  // Drops a rule's series (it left the config).
  std::function<void(const std::string& rule)> retire;
  // Firing / resolved alerts to deliver.
  std::function<void(const config::NfrRule&, const Notification&)> notify;
  // The rules SetRules installed (whatever counts for them: the burn-rate rules' SloLedger).
  std::function<void(const std::vector<config::NfrRule>&)> installed;
};

class Evaluator {
 public:
  explicit Evaluator(EvaluatorPorts ports) : ports_(std::move(ports)) {}

  // Installs the rules to evaluate (at start and after a reload). States of rules that stay
  // survive; a firing rule that goes away is resolved (ends_at = wall), not left to expire; the
  // series of every rule that goes away are retired. Publishes every rule's state, then hands
  // the rules to `installed`.
  void SetRules(std::vector<config::NfrRule> rules, std::chrono::system_clock::time_point wall);
  // One pass over every rule at (now, wall). A regression rule still waiting for its first
  // baseline has no data.
  void Evaluate(std::chrono::steady_clock::time_point now,
                std::chrono::system_clock::time_point wall);

  // The rules in force; a baseline refresh replaces a rule's baseline in place.
  std::vector<config::NfrRule>& rules() { return rules_; }
  const std::map<std::string, RuleState>& states() const { return states_; }

 private:
  EvaluatorPorts ports_;
  std::vector<config::NfrRule> rules_;
  std::map<std::string, RuleState> states_;
};

// Evaluates every `interval()` (read each time: a reload may change it) until `stopping`.
boost::asio::awaitable<void> RunEvaluator(Evaluator& evaluator,
                                          std::function<std::chrono::nanoseconds()> interval,
                                          const bool& stopping);

}  // namespace reznet::nfr
