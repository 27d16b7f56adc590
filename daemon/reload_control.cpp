#include "daemon/reload_control.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <future>

#include "common/time.hpp"
#include "daemon/systemd_notify.hpp"

namespace reznet::daemon {
namespace asio = boost::asio;

namespace {
double Now() { return common::UnixSeconds(std::chrono::system_clock::now()); }
}  // namespace

ReloadRunner::ReloadRunner(Reloader& reloader, asio::io_context& io)
    : reloader_(reloader), io_(io) {}

ReloadRunner::~ReloadRunner() { thread_.join(); }

api::ReloadRecord ReloadRunner::StartLocked(const std::string& trigger) {
  api::ReloadRecord r;
  r.id = next_id_++;
  r.trigger = trigger;
  r.running = true;
  r.started_at = Now();
  running_ = r;
  LogRequestLocked(trigger + ": reload " + std::to_string(r.id) + " started");
  asio::post(thread_, [this, id = r.id] { Run(id); });
  return r;
}

void ReloadRunner::LogRequestLocked(const std::string& line) {
  const auto swallowed = request_log_.Allow(std::chrono::steady_clock::now());
  if (!swallowed) return;
  if (*swallowed > 0) {
    spdlog::info("{} ({} more reload request(s) since the last line)", line, *swallowed);
  } else {
    spdlog::info("{}", line);
  }
}

ReloadRunner::Started ReloadRunner::Start(const std::string& trigger) {
  std::lock_guard lock(mutex_);
  if (running_) {
    LogRequestLocked(trigger + ": refused, reload " + std::to_string(running_->id) + " is running");
    return {false, *running_};
  }
  return {true, StartLocked(trigger)};
}

void ReloadRunner::StartOrFollow(const std::string& trigger) {
  std::lock_guard lock(mutex_);
  if (!running_) {
    StartLocked(trigger);
    return;
  }
  LogRequestLocked(trigger + ": reload " + std::to_string(running_->id) +
                   " is running; another reload follows it");
  follow_up_ = trigger;
}

api::ReloadRecord ReloadRunner::Wait(std::uint64_t id, std::chrono::milliseconds bound) {
  std::unique_lock lock(mutex_);
  auto find = [&]() -> const api::ReloadRecord* {
    for (const auto& r : finished_) {
      if (r.id == id) return &r;
    }
    return nullptr;
  };
  finished_cv_.wait_for(lock, bound, [&] { return find() != nullptr; });
  if (const auto* r = find()) return *r;
  if (running_ && running_->id == id) return *running_;
  api::ReloadRecord gone;  // finished, and more than kKeep reloads since: cannot say
  gone.id = id;
  gone.outcome.errors = {"reload " + std::to_string(id) + " is no longer kept"};
  return gone;
}

std::optional<api::ReloadRecord> ReloadRunner::Current() const {
  std::lock_guard lock(mutex_);
  if (running_) return running_;
  if (finished_.empty()) return std::nullopt;
  return finished_.back();
}

void ReloadRunner::Run(std::uint64_t id) {
  systemd::Notify("RELOADING=1");
  spdlog::debug("reload {} started", id);
  auto outcome = PrepareAndApply();
  systemd::Notify("READY=1");
  Finish(std::move(outcome));
}

// Prepare here; the swap on the probe thread, waited for. When the probe io_context has stopped
// (shutdown) the swap never runs: say so instead of waiting forever.
api::ReloadOutcome ReloadRunner::PrepareAndApply() {
  auto prepared = reloader_.Prepare();
  if (!prepared.outcome.errors.empty()) return std::move(prepared.outcome);
  return ApplyOnIo(std::move(prepared));
}

void ReloadRunner::RefreshDiscovery() {
  if (discovery_queued_.exchange(true)) return;
  asio::post(thread_, [this] {
    discovery_queued_ = false;
    auto prepared = reloader_.Prepare(true);
    if (prepared.nothing || !prepared.outcome.errors.empty()) return;
    ApplyOnIo(std::move(prepared));
  });
}

api::ReloadOutcome ReloadRunner::ApplyOnIo(Reloader::Prepared prepared) {
  auto applied = std::make_shared<std::promise<api::ReloadOutcome>>();
  auto future = applied->get_future();
  auto step = std::make_shared<Reloader::Prepared>(std::move(prepared));
  asio::post(io_, [this, applied, step] {
    try {
      applied->set_value(reloader_.Apply(std::move(*step)));
    } catch (...) {
      applied->set_exception(std::current_exception());
    }
  });
  while (future.wait_for(std::chrono::milliseconds(50)) != std::future_status::ready) {
    if (io_.stopped()) {
      api::ReloadOutcome r;
      r.errors = {"the daemon is stopping: the reload was not applied"};
      return r;
    }
  }
  try {
    return future.get();
  } catch (const std::exception& e) {
    api::ReloadOutcome r;
    r.errors = {std::string("internal error while swapping in the new config (it may be "
                            "partly applied): ") +
                e.what()};
    spdlog::error("reload: {}", r.errors.front());
    return r;
  }
}

void ReloadRunner::Finish(api::ReloadOutcome outcome) {
  std::lock_guard lock(mutex_);
  api::ReloadRecord r = std::move(*running_);
  r.running = false;
  r.finished_at = Now();
  r.outcome = std::move(outcome);
  finished_.push_back(std::move(r));
  if (finished_.size() > kKeep) finished_.pop_front();
  running_.reset();
  finished_cv_.notify_all();
  if (follow_up_) {
    StartLocked(*follow_up_);
    follow_up_.reset();
  }
}

}  // namespace reznet::daemon
