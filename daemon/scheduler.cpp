#include "daemon/scheduler.hpp"

#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>

#include "daemon/schedule.hpp"
#include "probes/run_once.hpp"
#include "telemetry/prober_health.hpp"
#include "telemetry/telemetry.hpp"

namespace reznet::daemon {
namespace asio = boost::asio;

struct Scheduler::Entry {
  Entry(asio::io_context& io, common::Clock& c, ScheduledProbe p,
        std::shared_ptr<std::atomic<int>> counter)
      : spec(std::move(p)),
        in_flight(std::move(counter)),
        clock(c),
        strand(asio::make_strand(io)),
        timer(clock.MakeTimer(strand)),
        schedule(spec.name, spec.interval, clock.Now()) {}
  ScheduledProbe spec;
  std::shared_ptr<std::atomic<int>> in_flight;  // shared by all entries of one scheduler
  common::Clock& clock;
  asio::strand<asio::io_context::executor_type> strand;
  std::unique_ptr<common::Timer> timer;
  ProbeSchedule schedule;
  bool stopping = false;  // strand-only
  bool last_ok = true;    // strand-only: log only changes of state
  telemetry::ProberHealth* health = nullptr;
};

namespace {

asio::awaitable<void> RunAndRecord(std::shared_ptr<Scheduler::Entry> e, telemetry::Telemetry& sink,
                                   SteadyClock::time_point due) {
  const auto late = e->clock.Now() - due;
  sink.probe_metrics().ObserveLateness(late);
  if (e->health != nullptr) e->health->ObserveLateness(late);
  auto outcome = co_await probes::RunOnce(*e->spec.probe, e->spec.timeout, 0, e->clock);
  sink.Consume(e->spec.name, outcome, e->clock.Now(), e->clock.WallNow());
  if (outcome.error && e->last_ok) {
    spdlog::warn("probe {} failing: {}: {}", e->spec.name, clients::ToString(outcome.error->kind),
                 outcome.error->detail);
  } else if (outcome.ok() && !e->last_ok) {
    spdlog::info("probe {} recovered", e->spec.name);
  }
  if (!outcome.skipped) e->last_ok = outcome.ok();
  e->schedule.OnFinished();
  --*e->in_flight;
}

asio::awaitable<void> Loop(std::shared_ptr<Scheduler::Entry> e, telemetry::Telemetry& sink) {
  while (!e->stopping) {
    sink.status().SetNextRun(
        e->spec.name,
        e->clock.WallNow() + std::chrono::duration_cast<std::chrono::system_clock::duration>(
                                 e->schedule.due() - e->clock.Now()));
    co_await e->timer->WaitUntil(e->schedule.due());
    if (e->stopping) break;
    const auto due = e->schedule.due();
    const auto before = e->schedule.overruns();
    const auto action = e->schedule.OnDue(e->clock.Now());
    if (const auto skipped = e->schedule.overruns() - before) {
      sink.probe_metrics().CountOverruns(e->spec.name, skipped);
      spdlog::warn("probe {}: run skipped, the previous one is still going (overrun)",
                   e->spec.name);
    }
    if (action == ProbeSchedule::Action::kStart) {
      ++*e->in_flight;
      asio::co_spawn(e->strand, RunAndRecord(e, sink, due), asio::detached);
    }
  }
}

}  // namespace

Scheduler::Scheduler(asio::io_context& io, telemetry::Telemetry& sink, common::Clock& clock)
    : io_(io), telemetry_(sink), clock_(clock), in_flight_(std::make_shared<std::atomic<int>>(0)) {}

Scheduler::~Scheduler() = default;

void Scheduler::Start(std::vector<ScheduledProbe> probes) {
  for (auto& p : probes) {
    telemetry_.AddProbe(p.name, p.kind, p.probe->Labels(), p.exported);
    auto entry = std::make_shared<Entry>(io_, clock_, std::move(p), in_flight_);
    entry->health = health_;
    Remove(entry->spec.name);  // names are unique; a second Start of one replaces it
    entries_[entry->spec.name] = entry;
    asio::co_spawn(entry->strand, Loop(entry, telemetry_), asio::detached);
  }
}

void Scheduler::Stop() {
  for (auto& [name, e] : entries_) {
    asio::post(e->strand, [e] {
      e->stopping = true;
      e->timer->Cancel();
    });
  }
}

void Scheduler::Remove(const std::string& name) {
  auto it = entries_.find(name);
  if (it == entries_.end()) return;
  auto e = it->second;
  asio::post(e->strand, [e] {
    e->stopping = true;
    e->timer->Cancel();
  });
  entries_.erase(it);
}

int Scheduler::InFlight() const { return in_flight_->load(); }

}  // namespace reznet::daemon
