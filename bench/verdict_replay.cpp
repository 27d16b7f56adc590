// Replays measured samples through the NFR rule step twice — the old method (a threshold on the
// window's point estimate) and the new (the whole 95 % interval beyond the threshold, issue #26)
// — and prints, per rule, false alarms per hour of a healthy service and how long each method
// takes to page after a slowdown. Driven by bench/verdicts.py, which measures the samples; see
// there for what the figures mean.
//
//   reznet-verdict-replay < input.json > output.json
//
// Input: {"seed", "healthy_hours", "trials", "eval_interval", "factors": [1.2, 2],
//         "rules": [{name, stat (p50|p90|p95|p99|mean), threshold, clear_threshold?, window,
//                    for, min_samples, interval, per_run, samples: [seconds…]}]}
// (durations in seconds). Every `interval` a probe run draws `per_run` samples from `samples`
// (with replacement, times the slowdown factor once it begins); every `eval_interval` the window's
// samples give the statistic (nearest rank, or the mean), its interval (stats/interval.hpp) and a
// step of each method (nfr/step.hpp).
#include <boost/json.hpp>
#include <chrono>
#include <cmath>
#include <deque>
#include <iostream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "config/nfr.hpp"
#include "nfr/step.hpp"
#include "stats/interval.hpp"

namespace {

namespace json = boost::json;
using reznet::config::NfrRule;
using reznet::config::NfrStat;
using Clock = std::chrono::steady_clock;

struct Sim {
  NfrRule rule;
  double window = 300, interval = 10, eval = 15;
  int per_run = 1;
  std::vector<double> pool;
};

double Quantile(NfrStat s) {
  switch (s) {
    case NfrStat::kP50:
      return 0.5;
    case NfrStat::kP90:
      return 0.9;
    case NfrStat::kP95:
      return 0.95;
    default:
      return 0.99;
  }
}

// The statistic of `window` and its 95 % interval.
reznet::nfr::Observation Observe(const Sim& sim, const std::deque<std::pair<double, double>>& w) {
  reznet::nfr::Observation o;
  o.samples = w.size();
  if (w.empty()) return o;
  std::vector<double> v;
  v.reserve(w.size());
  for (const auto& [t, x] : w) v.push_back(x);
  std::sort(v.begin(), v.end());
  if (sim.rule.stat == NfrStat::kMean) {
    double sum = 0, sq = 0;
    for (double x : v) sum += x;
    const double mean = sum / static_cast<double>(v.size());
    for (double x : v) sq += (x - mean) * (x - mean);
    const double sd = v.size() > 1 ? std::sqrt(sq / static_cast<double>(v.size() - 1)) : 0;
    o.value = mean;
    o.interval = reznet::stats::MeanInterval(v.size(), mean, sd);
    return o;
  }
  const double q = Quantile(sim.rule.stat);
  const auto k = std::clamp<std::size_t>(
      static_cast<std::size_t>(std::ceil(q * static_cast<double>(v.size()))), 1, v.size());
  o.value = v[k - 1];
  o.interval = reznet::stats::QuantileInterval(v, q);
  return o;
}

struct Run {
  int fired_old = 0, fired_new = 0;
  double first_old = -1, first_new = -1;  // seconds after `change_at` of the first page
};

// Simulates `seconds`; the slowdown `factor` applies from `change_at` on. With `stop_when_both`
// it ends once both methods have paged after the change.
Run Simulate(const Sim& sim, std::mt19937_64& rng, double seconds, double change_at, double factor,
             bool stop_when_both) {
  std::uniform_int_distribution<std::size_t> pick(0, sim.pool.size() - 1);
  std::deque<std::pair<double, double>> window;
  reznet::nfr::RuleState old_state, new_state;
  const auto t0 = Clock::time_point{};
  const auto wall0 = std::chrono::system_clock::time_point{};
  Run out;
  double next_run = std::uniform_real_distribution<double>(0, sim.interval)(rng);
  for (double t = sim.eval; t <= seconds; t += sim.eval) {
    for (; next_run <= t; next_run += sim.interval) {
      const double f = next_run >= change_at ? factor : 1.0;
      for (int i = 0; i < sim.per_run; ++i) window.emplace_back(next_run, sim.pool[pick(rng)] * f);
    }
    while (!window.empty() && window.front().first <= t - sim.window) window.pop_front();
    auto obs = Observe(sim, window);
    const auto now =
        t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(t));
    const auto wall = wall0 + std::chrono::duration_cast<std::chrono::system_clock::duration>(
                                  std::chrono::duration<double>(t));
    auto with = reznet::nfr::Step(sim.rule, new_state, obs, now, wall);
    obs.interval.reset();
    auto without = reznet::nfr::Step(sim.rule, old_state, obs, now, wall);
    auto fired = [](const auto& r) {
      return r.notification && r.notification->kind == reznet::nfr::Notification::Kind::kFiring;
    };
    // Counted: pages (firing notifications); after the change, the time until the rule is
    // firing (0 when it already was: a page that was already out).
    using reznet::nfr::NfrState;
    if (fired(with)) ++out.fired_new;
    if (fired(without)) ++out.fired_old;
    if (t >= change_at && out.first_new < 0 && with.state.state == NfrState::kFiring)
      out.first_new = t - change_at;
    if (t >= change_at && out.first_old < 0 && without.state.state == NfrState::kFiring)
      out.first_old = t - change_at;
    new_state = with.state;
    old_state = without.state;
    if (stop_when_both && out.first_new >= 0 && out.first_old >= 0) break;
  }
  return out;
}

double Num(const json::object& o, const char* k, double fallback) {
  const auto* v = o.if_contains(k);
  return v && v->is_number() ? v->to_number<double>() : fallback;
}

json::value Delays(std::vector<double> d, int trials) {
  json::object o;
  o["detected"] = static_cast<double>(d.size()) / trials;
  if (d.empty()) return o;
  std::sort(d.begin(), d.end());
  o["median_s"] = d[d.size() / 2];
  o["p90_s"] =
      d[std::min(d.size() - 1, static_cast<std::size_t>(0.9 * static_cast<double>(d.size())))];
  return o;
}

}  // namespace

int main() {
  std::string text(std::istreambuf_iterator<char>(std::cin), {});
  const auto in = json::parse(text).as_object();
  std::mt19937_64 rng(static_cast<std::uint64_t>(Num(in, "seed", 1)));
  const double hours = Num(in, "healthy_hours", 100);
  const int trials = static_cast<int>(Num(in, "trials", 50));
  json::array results;
  for (const auto& rv : in.at("rules").as_array()) {
    const auto& r = rv.as_object();
    Sim sim;
    sim.rule.name = std::string(r.at("name").as_string());
    const std::string stat(r.at("stat").as_string());
    sim.rule.stat = stat == "p50"   ? NfrStat::kP50
                    : stat == "p90" ? NfrStat::kP90
                    : stat == "p95" ? NfrStat::kP95
                    : stat == "p99" ? NfrStat::kP99
                                    : NfrStat::kMean;
    sim.rule.stat_name = stat;
    sim.rule.threshold = Num(r, "threshold", 1);
    if (r.contains("clear_threshold")) sim.rule.clear_threshold = Num(r, "clear_threshold", 0);
    sim.rule.for_ = std::chrono::duration_cast<reznet::config::Duration>(
        std::chrono::duration<double>(Num(r, "for", 0)));
    sim.rule.min_samples = static_cast<std::int64_t>(Num(r, "min_samples", 1));
    sim.window = Num(r, "window", 300);
    sim.interval = Num(r, "interval", 10);
    sim.eval = Num(in, "eval_interval", 15);
    sim.per_run = static_cast<int>(Num(r, "per_run", 1));
    for (const auto& s : r.at("samples").as_array()) sim.pool.push_back(s.to_number<double>());
    if (sim.pool.empty()) continue;

    const Run healthy = Simulate(sim, rng, hours * 3600, 1e300, 1.0, false);
    json::object row{{"name", sim.rule.name},
                     {"false_alarms_per_hour_old", healthy.fired_old / hours},
                     {"false_alarms_per_hour_new", healthy.fired_new / hours}};
    json::array detections;
    for (const auto& fv : in.at("factors").as_array()) {
      const double factor = fv.to_number<double>();
      std::vector<double> old_d, new_d;
      for (int i = 0; i < trials; ++i) {
        // A warm window of healthy samples, then the slowdown; two hours to page.
        const double change = sim.window + 600;
        const Run run = Simulate(sim, rng, change + 7200, change, factor, true);
        if (run.first_old >= 0) old_d.push_back(run.first_old);
        if (run.first_new >= 0) new_d.push_back(run.first_new);
      }
      detections.push_back(json::object{
          {"factor", factor}, {"old", Delays(old_d, trials)}, {"new", Delays(new_d, trials)}});
    }
    row["detection"] = std::move(detections);
    results.push_back(std::move(row));
  }
  std::cout << json::serialize(json::object{{"rules", std::move(results)}}) << "\n";
  return 0;
}
