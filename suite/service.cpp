#include "suite/service.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>

#include "common/offload.hpp"
#include "suite/run_ref.hpp"
#include "suite/suite_runner.hpp"

namespace reznet::suite {
namespace asio = boost::asio;

SuiteService::SuiteService(const config::ConfigHolder& config,
                           const probes::ProbeRegistry& registry, asio::any_io_executor executor,
                           asio::any_io_executor blocking, asio::any_io_executor storage,
                           suite::HistoryStore& history, SuiteHooks hooks)
    : config_(config),
      registry_(registry),
      executor_(std::move(executor)),
      blocking_(std::move(blocking)),
      storage_(std::move(storage)),
      history_(history),
      hooks_(std::move(hooks)) {
  Reconfigured();
}

void SuiteService::Reconfigured() {
  for (const auto& [name, p] : config::ResolveProfiles(*config_.Get()))
    if (hooks_.profile_declared) hooks_.profile_declared(name);
}

common::Result<SuiteService::Started> SuiteService::Start(
    const std::string& profile_name, std::map<std::string, std::string> labels) {
  // The run keeps the config it started with, whatever a reload does meanwhile.
  const std::shared_ptr<const config::Config> cfg = config_.Get();
  const auto profiles = config::ResolveProfiles(*cfg);
  auto it = profiles.find(profile_name);
  if (it == profiles.end()) {
    std::string known;
    for (const auto& [name, p] : profiles) known += (known.empty() ? "" : ", ") + name;
    return common::Invalid("no profile \"" + profile_name + "\"; profiles: " + known);
  }
  suite::RunRecord run;
  {
    std::lock_guard lock(mutex_);
    if (current_) return Started{false, current_->id, "run " + current_->id + " is still going"};
    run.started_at =
        std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    run.id = suite::NewRunId(run.started_at);
    run.profile = profile_name;
    run.labels = std::move(labels);
    current_ = run;
  }
  spdlog::info("suite run {} started: profile {}", run.id, profile_name);
  const config::SuiteProfile profile = it->second;
  asio::co_spawn(
      executor_,
      [this, profile, run, cfg]() mutable -> asio::awaitable<void> {
        auto viewed = co_await common::Offload(
            storage_, [this] { return common::Catching([this] { return HistoryView(); }); });
        SuiteHistoryView view;
        if (viewed) {
          view = std::move(*viewed);
        } else {
          spdlog::warn("suite run {}: history unavailable ({}); no baseline comparison", run.id,
                       viewed.error().detail);
        }
        SuiteContext ctx{cfg.get(),
                         &registry_,
                         executor_,
                         blocking_,
                         [this](const suite::RunRecord& r) {
                           std::lock_guard lock(mutex_);
                           current_ = r;
                         },
                         [this](const config::ProbeConfig& p, probes::Probe& probe, bool started) {
                           const probes::LiveCounters* live = probe.Live();
                           if (live == nullptr) return;
                           if (started && hooks_.live_started) {
                             hooks_.live_started(p.name, live);
                           } else if (!started && hooks_.live_ended) {
                             hooks_.live_ended(p.name);
                           }
                         },
                         &stop_};
        suite::RunRecord done = co_await RunSuite(ctx, profile, run, std::move(view));
        {
          std::lock_guard lock(mutex_);
          current_ = done;  // visible as finished until it is in history
        }
        const auto stored = co_await common::Offload(storage_, [this, &done] {
          return common::Catching([this, &done] { return history_.Append(done); });
        });
        const std::string failure = stored ? "" : stored.error().detail;
        if (failure.empty()) {
          // The store is back: earlier runs it refused go in now, behind this one.
          co_await common::Offload(storage_, [this] { StoreUnstored(); });
        } else {
          Unstored(done, failure);
          if (hooks_.history_written) hooks_.history_written(failure);
        }
        Finish(std::move(done));
      },
      asio::detached);
  return Started{true, run.id, ""};
}

void SuiteService::Unstored(suite::RunRecord& run, const std::string& failure) {
  spdlog::error(
      "suite run {}: not stored in history ({}); kept in memory and stored when history is back",
      run.id, failure);
  UnstoredRun waiting{run, run};
  // The verdicts stay: the run happened, only its record is at risk.
  waiting.shown.state = RunState::kError;
  waiting.shown.error = "not stored: " + failure;
  run = waiting.shown;
  std::lock_guard lock(mutex_);
  unstored_.push_front(std::move(waiting));
  if (unstored_.size() > kMaxUnstored) {
    spdlog::error("suite run {}: dropped; more than {} runs are waiting for history",
                  unstored_.back().run.id, kMaxUnstored);
    unstored_.pop_back();
  }
}

std::size_t SuiteService::UnstoredCount() {
  std::lock_guard lock(mutex_);
  return unstored_.size();
}

std::size_t SuiteService::StoreUnstored() {
  std::vector<suite::RunRecord> oldest_first;
  {
    std::lock_guard lock(mutex_);
    for (auto it = unstored_.rbegin(); it != unstored_.rend(); ++it)
      oldest_first.push_back(it->run);
  }
  if (oldest_first.empty()) {
    if (hooks_.history_written) hooks_.history_written("");
    return 0;
  }
  std::size_t left = oldest_first.size();
  for (const auto& run : oldest_first) {
    if (!common::Catching([this, &run] { return history_.Append(run); })) {
      return left;  // the store said why when it failed; the next attempt is on the timer
    }
    --left;
    std::lock_guard lock(mutex_);
    std::erase_if(unstored_, [&](const UnstoredRun& u) { return u.run.id == run.id; });
    spdlog::info("suite run {}: stored in history after all ({})", run.id, ToString(run.state));
  }
  if (hooks_.history_written) hooks_.history_written("");
  return 0;
}

void SuiteService::Finish(suite::RunRecord run) {
  const int failed = run.Count(suite::Verdict::kFailed);
  if (hooks_.run_finished) hooks_.run_finished(run);
  spdlog::info("suite run {} {}: profile {}, {} NFRs met, {} failed, {} inconclusive, {} skipped{}",
               run.id, suite::ToString(run.state), run.profile, run.Count(suite::Verdict::kPassed),
               failed, run.Count(suite::Verdict::kInconclusive),
               run.Count(suite::Verdict::kSkipped),
               run.error.empty() ? "" : " (" + run.error + ")");
  {
    std::lock_guard lock(mutex_);
    current_.reset();
  }
  if (on_finished_) on_finished_();
}

common::Result<std::vector<suite::RunRecord>> SuiteService::List(std::size_t offset,
                                                                 std::size_t limit) {
  std::vector<suite::RunRecord> head;  // the running run, then the unstored ones
  {
    std::lock_guard lock(mutex_);
    // A finished run stays listed from here until Finish, while it is being stored.
    if (current_) head.push_back(*current_);
    for (const auto& u : unstored_) head.push_back(u.shown);
  }
  if (head.empty()) return history_.List(offset, limit);
  // Rare (a run going, or history failing): merge the first offset + limit of both by start.
  auto stored = history_.List(0, offset + limit);
  if (!stored) return stored;
  std::vector<suite::RunRecord> all = std::move(*stored);
  std::erase_if(all, [&](const suite::RunRecord& r) {
    return std::any_of(head.begin(), head.end(), [&](const auto& h) { return h.id == r.id; });
  });
  all.insert(all.end(), head.begin(), head.end());
  std::stable_sort(all.begin(), all.end(),
                   [](const auto& a, const auto& b) { return a.started_at > b.started_at; });
  std::vector<suite::RunRecord> out;
  for (std::size_t i = offset; i < all.size() && out.size() < limit; ++i)
    out.push_back(std::move(all[i]));
  return out;
}

common::Result<std::size_t> SuiteService::Count() {
  auto n = history_.Count();
  if (!n) return n;
  std::lock_guard lock(mutex_);
  return *n + unstored_.size() + (current_ && !current_->finished() ? 1 : 0);
}

common::Result<std::optional<suite::RunRecord>> SuiteService::Find(const std::string& id) {
  {
    std::lock_guard lock(mutex_);
    if (current_ && current_->id == id) return current_;
    for (const auto& u : unstored_)
      if (u.shown.id == id) return std::optional<suite::RunRecord>(u.shown);
  }
  return history_.Get(id);
}

common::Result<suite::RunRecord> SuiteService::Resolve(const std::string& ref) {
  auto found = Find(ref);
  if (!found) return std::unexpected(found.error());
  if (*found) return std::move(**found);
  return ResolveRun(history_, ref);
}

common::Result<SuiteHistoryView> SuiteService::HistoryView() {
  SuiteHistoryView v;
  auto past = history_.List(0, 100);
  if (!past) return std::unexpected(past.error());
  v.past = std::move(*past);
  auto baseline = Baseline();
  if (!baseline) return std::unexpected(baseline.error());
  v.baseline = std::move(*baseline);
  return v;
}

common::Result<std::optional<suite::RunRecord>> SuiteService::Baseline() {
  auto id = history_.BaselineId();
  if (!id) return std::unexpected(id.error());
  if (!*id) return std::optional<suite::RunRecord>{};
  return history_.Get(**id);
}

bool SuiteService::Running() {
  std::lock_guard lock(mutex_);
  return current_.has_value();
}

}  // namespace reznet::suite
