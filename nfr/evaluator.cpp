#include "nfr/evaluator.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace reznet::nfr {
namespace asio = boost::asio;
namespace {

void LogTransition(const config::NfrRule& rule, const RuleState& from, const RuleState& to,
                   const Observation& obs) {
  const std::string value = to.value ? config::FormatValue(rule, *to.value) : "no data";
  if (rule.burn_rate() && obs.burn) {
    const BurnRates& b = *obs.burn;
    spdlog::info(
        "NFR {}: {} -> {} ({} {}: {} bad, burn rates 5m {:.3g} 30m {:.3g} 1h {:.3g} 6h {:.3g}; "
        "pages over 14.4 on 1h and 5m or 6 on 6h and 30m; budget {} of {} {} {})",
        rule.name, StateName(from.state), StateName(to.state), rule.probe, rule.stat_name, value,
        b.burn_5m, b.burn_30m, b.burn_1h, b.burn_6h, config::FormatValue(rule, rule.ErrorBudget()),
        rule.stat_name, rule.op_text, config::FormatThreshold(rule, rule.threshold));
    return;
  }
  spdlog::info("NFR {}: {} -> {} ({} {} = {}; promise {} {})", rule.name, StateName(from.state),
               StateName(to.state), rule.probe, rule.stat_name, value, rule.op_text,
               config::FormatThreshold(rule, rule.threshold));
}

}  // namespace

void Evaluator::SetRules(std::vector<config::NfrRule> rules,
                         std::chrono::system_clock::time_point wall) {
  for (const auto& rule : rules_) {
    const bool kept = std::any_of(rules.begin(), rules.end(),
                                  [&](const config::NfrRule& n) { return n.name == rule.name; });
    if (kept) continue;
    if (auto st = states_.find(rule.name);
        st != states_.end() && st->second.state == NfrState::kFiring && ports_.notify) {
      ports_.notify(rule, {Notification::Kind::kResolved, st->second.value.value_or(0),
                           st->second.active_since, wall});
    }
    states_.erase(rule.name);
    if (ports_.retire) ports_.retire(rule.name);
  }
  rules_ = std::move(rules);
  for (const auto& rule : rules_) {
    if (ports_.publish) ports_.publish(rule, states_[rule.name]);
  }
  if (ports_.installed) ports_.installed(rules_);
}

void Evaluator::Evaluate(std::chrono::steady_clock::time_point now,
                         std::chrono::system_clock::time_point wall) {
  for (const auto& rule : rules_) {
    const Observation obs =
        rule.baseline_runs > 0 && !rule.reference ? Observation{} : ports_.observe(rule, now);
    RuleState& state = states_[rule.name];
    auto result = Step(rule, state, obs, now, wall);
    if (result.state.state != state.state) LogTransition(rule, state, result.state, obs);
    state = result.state;
    if (ports_.publish) ports_.publish(rule, state);
    if (result.notification && ports_.notify) ports_.notify(rule, *result.notification);
  }
}

asio::awaitable<void> RunEvaluator(Evaluator& evaluator,
                                   std::function<std::chrono::nanoseconds()> interval,
                                   const bool& stopping) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  while (!stopping) {
    timer.expires_after(interval());
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (stopping) break;
    evaluator.Evaluate(std::chrono::steady_clock::now(), std::chrono::system_clock::now());
  }
}

}  // namespace reznet::nfr
