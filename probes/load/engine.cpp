#include "probes/load/engine.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <cmath>
#include <list>
#include <random>
#include <stdexcept>
#include <thread>

#include "clients/ip_address.hpp"
#include "clients/json_path.hpp"
#include "probes/load/http1.hpp"
#include "probes/load/preflight.hpp"
#include "probes/load/request.hpp"
#include "probes/load/transport.hpp"

namespace reznet::probes::load {
namespace asio = boost::asio;
using asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;

namespace {

struct Shared {
  const LoadSettings& s;
  std::vector<tcp::endpoint> endpoints;
  std::vector<std::string> heads;     // per step: everything after the request target
  std::vector<std::string> prebuilt;  // per step: the whole request when it has no holes
  std::vector<bool> want_body;
  ConnOptions conn;
  SteadyClock::time_point t0;
  SteadyClock::time_point end_at;
  const std::atomic<bool>* stop;
  LiveCounters* live;
};

template <class Transport>
class Worker {
 public:
  using Conn = Http1Conn<Transport>;

  Worker(Shared& sh, int index, int threads)
      : sh_(sh),
        setup_(sh.s.target, clients::TlsOptions{sh.s.ca_file, sh.s.insecure_skip_verify},
               sh.s.think_max > SteadyClock::duration::zero() ||
                   sh.s.executor == Executor::kConstantArrivalRate),
        index_(index),
        threads_(threads),
        rng_(sh.s.seed ? sh.s.seed * 7919 + static_cast<std::uint64_t>(index)
                       : std::random_device{}()) {
    for (const auto& step : sh.s.scenario) stats_.Step(step.name);
  }

  void AddClosedUser(std::int64_t vu, SteadyClock::time_point start_at) {
    asio::co_spawn(io_, ClosedUser(vu, start_at), asio::detached);
    ++users_;
  }
  void AddOpenUser(std::int64_t vu) {
    asio::co_spawn(io_, OpenUser(vu), asio::detached);
    ++users_;
  }
  void Run() {
    asio::co_spawn(io_, Watchdog(), asio::detached);
    io_.run();
    Flush();
  }
  LoadStats& stats() { return stats_; }
  SteadyClock::time_point first_start() const { return first_start_; }
  SteadyClock::time_point last_end() const { return last_end_; }

 private:
  bool Stopping() const {
    return SteadyClock::now() >= sh_.end_at ||
           (sh_.stop && sh_.stop->load(std::memory_order_relaxed));
  }

  SteadyClock::time_point Intended(std::uint64_t ticket) const {
    const double at = (static_cast<double>(ticket) * threads_ + index_) / sh_.s.rate;
    return sh_.t0 + std::chrono::nanoseconds(static_cast<std::int64_t>(at * 1e9));
  }

  // Sleeps until `until` unless the test is stopping; the watchdog cancels sleeps on stop.
  asio::awaitable<void> Sleep(asio::steady_timer& timer, SteadyClock::time_point until) {
    timer.expires_at(std::min(until, sh_.end_at));
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }

  // Runs step `i` for one user and records it (a step whose template cannot be filled fails
  // without being sent). Only the exchange is awaited: building the request and judging the
  // response are plain calls, so this coroutine's frame stays small enough for Asio to recycle
  // (a frame of every request).
  asio::awaitable<void> DoStep(std::size_t i, std::size_t slot, Vars& vars, std::string& request,
                               Response& response, SteadyClock::time_point intended) {
    const std::string* bytes = Request(i, vars, request);
    if (bytes == nullptr) co_return;
    Conn& conn = *conns_[slot];
    const auto start = SteadyClock::now();
    first_start_ = std::min(first_start_, start);
    conn.SetDeadline(start + sh_.s.request_timeout);
    deadlines_[slot] = start + sh_.s.request_timeout;
    co_await conn.Exchange(*bytes, sh_.want_body[i], response);
    deadlines_[slot] = kIdle;
    Record(i, vars, response, start, intended);
  }

  // The bytes of step `i`: prebuilt, or `request` filled from the user's variables; nullptr (the
  // step recorded as failed) when a variable is missing or cannot be sent.
  const std::string* Request(std::size_t i, const Vars& vars, std::string& request) {
    if (!sh_.prebuilt[i].empty()) return &sh_.prebuilt[i];
    std::string error;
    if (BuildRequest(sh_.s, sh_.s.scenario[i], sh_.heads[i], vars, request, error)) return &request;
    StepStats& st = stats_.steps[i];
    ++st.failed;
    ++st.errors["extract"];
    st.last_error = "extract: " + error;
    ++local_.failed;
    return nullptr;
  }

  // Judges and records the exchange of step `i` that started at `start`.
  void Record(std::size_t i, Vars& vars, const Response& response, SteadyClock::time_point start,
              SteadyClock::time_point intended) {
    const Step& step = sh_.s.scenario[i];
    StepStats& st = stats_.steps[i];
    const auto end = SteadyClock::now();
    last_end_ = std::max(last_end_, end);
    if (response.handshake_ns > 0) {
      stats_.tls.Record(response.handshake_ns);
      stats_.tls_resumed += response.resumed;
    }
    if (response.error && cut_) {
      ++stats_.interrupted;  // cut by the end of the test
      return;
    }
    ++local_.requests;
    std::optional<clients::ErrorKind> kind;
    std::string detail;
    if (response.error) {
      kind = response.error;
      detail = response.detail;
    } else if (step.expect_status.empty()
                   ? (response.status < 200 || response.status > 299)
                   : std::find(step.expect_status.begin(), step.expect_status.end(),
                               response.status) == step.expect_status.end()) {
      kind =
          response.status >= 500 ? clients::ErrorKind::kHttp5xx : clients::ErrorKind::kHttpStatus;
      detail = "status " + std::to_string(response.status);
    } else if (!step.expect_body_contains.empty() &&
               response.body.find(step.expect_body_contains) == std::string::npos) {
      kind = clients::ErrorKind::kAssertion;
      detail = "body does not contain \"" + step.expect_body_contains + "\"";
    } else if (!step.extract.empty()) {
      boost::system::error_code ec;
      const auto doc = boost::json::parse(response.body, ec);
      for (const auto& [var, path] : step.extract) {
        const boost::json::value* v = ec ? nullptr : clients::Lookup(doc, path);
        if (v == nullptr) {
          kind = clients::ErrorKind::kExtract;
          detail = var + ": " + path.text + " not found in the response";
          vars.values.erase(var);
          break;
        }
        vars.values[var] =
            v->is_string() ? std::string(v->as_string()) : boost::json::serialize(*v);
      }
    }
    const auto raw = end - start;
    const auto corrected = end - std::min(intended, start);
    st.latency.Record(corrected.count());
    st.raw.Record(raw.count());
    if (!kind) {
      ++st.ok;
    } else {
      ++st.failed;
      const std::string label(clients::ToString(*kind));
      ++st.errors[label];
      st.last_error = label + ": " + detail;
      ++local_.failed;
    }
  }

  bool Runs(const Step& step) {
    return step.weight >= 1 || std::uniform_real_distribution<double>(0, 1)(rng_) < step.weight;
  }

  SteadyClock::duration Think() {
    if (sh_.s.think_max <= SteadyClock::duration::zero()) return {};
    std::uniform_int_distribution<std::int64_t> d(sh_.s.think_min.count(), sh_.s.think_max.count());
    return std::chrono::nanoseconds(d(rng_));
  }

  // Think times end on whole milliseconds: users whose pauses end in the same millisecond wake in
  // one pass of the event loop instead of a wake-up (a context switch) each. Under a millisecond
  // more of a pause of seconds changes nothing a user does.
  static SteadyClock::time_point ThinkEnd(SteadyClock::duration t) {
    return std::chrono::ceil<std::chrono::milliseconds>(SteadyClock::now() + t);
  }

  asio::awaitable<void> ClosedUser(std::int64_t vu, SteadyClock::time_point start_at) {
    asio::steady_timer timer(io_);
    auto slot = timers_.insert(timers_.end(), &timer);
    co_await Sleep(timer, start_at);
    Conn conn(io_, setup_, sh_.endpoints, sh_.conn);
    const std::size_t cslot = Attach(conn);
    ++local_.active;
    Vars vars;
    vars.vu = vu;
    std::string request;
    Response response;
    while (!Stopping()) {
      ++vars.iteration;
      ++stats_.iterations;
      ++local_.iterations;
      for (std::size_t i = 0; i < sh_.s.scenario.size() && !Stopping(); ++i) {
        if (!Runs(sh_.s.scenario[i])) continue;
        co_await DoStep(i, cslot, vars, request, response, SteadyClock::time_point::max());
        if (const auto t = Think(); t > SteadyClock::duration::zero()) {
          conn.Idle();
          co_await Sleep(timer, ThinkEnd(t));
        }
      }
    }
    --local_.active;
    Detach(cslot);
    timers_.erase(slot);
    --users_;
  }

  asio::awaitable<void> OpenUser(std::int64_t vu) {
    asio::steady_timer timer(io_);
    auto slot = timers_.insert(timers_.end(), &timer);
    Conn conn(io_, setup_, sh_.endpoints, sh_.conn);
    const std::size_t cslot = Attach(conn);
    Vars vars;
    vars.vu = vu;
    std::string request;
    Response response;
    while (!Stopping()) {
      const SteadyClock::time_point intended = Intended(next_ticket_++);
      if (intended >= sh_.end_at) break;
      auto now = SteadyClock::now();
      if (intended > now) {
        co_await Sleep(timer, intended);
        if (Stopping()) break;
        now = SteadyClock::now();
      } else if (now - intended > sh_.s.max_lateness) {
        ++stats_.dropped;
        ++local_.dropped;
        continue;
      }
      stats_.lateness.Record(std::max<std::int64_t>(0, (now - intended).count()));
      ++vars.iteration;
      ++stats_.iterations;
      ++local_.iterations;
      ++local_.active;
      bool first = true;
      for (std::size_t i = 0; i < sh_.s.scenario.size() && !Stopping(); ++i) {
        if (!Runs(sh_.s.scenario[i])) continue;
        if (!first) {
          if (const auto t = Think(); t > SteadyClock::duration::zero()) {
            conn.Idle();
            co_await Sleep(timer, ThinkEnd(t));
          }
        }
        co_await DoStep(i, cslot, vars, request, response,
                        first ? intended : SteadyClock::time_point::max());
        first = false;
      }
      --local_.active;
    }
    Detach(cslot);
    timers_.erase(slot);
    --users_;
  }

  std::size_t Attach(Conn& conn) {
    std::size_t slot = conns_.size();
    if (free_slots_.empty()) {
      conns_.push_back(&conn);
      deadlines_.push_back(kIdle);
    } else {
      slot = free_slots_.back();
      free_slots_.pop_back();
      conns_[slot] = &conn;
    }
    return slot;
  }
  void Detach(std::size_t slot) {
    conns_[slot] = nullptr;
    deadlines_[slot] = kIdle;
    free_slots_.push_back(slot);
  }

  // Live counters are kept per thread and published every watchdog tick: one shared cache line
  // written per request by two threads cost more than the rest of the bookkeeping.
  struct Counts {
    std::uint64_t requests = 0, failed = 0, iterations = 0, dropped = 0;
    std::int64_t active = 0;
  };
  void Flush() {
    if (sh_.live == nullptr) return;
    auto& l = *sh_.live;
    l.requests.fetch_add(local_.requests - flushed_.requests, std::memory_order_relaxed);
    l.failed.fetch_add(local_.failed - flushed_.failed, std::memory_order_relaxed);
    l.iterations.fetch_add(local_.iterations - flushed_.iterations, std::memory_order_relaxed);
    l.dropped.fetch_add(local_.dropped - flushed_.dropped, std::memory_order_relaxed);
    l.active_users.fetch_add(local_.active - flushed_.active, std::memory_order_relaxed);
    flushed_ = local_;
  }

  // Request timeouts, the graceful stop and the hard cut, checked every 20 ms.
  asio::awaitable<void> Watchdog() {
    asio::steady_timer timer(io_);
    bool woke = false;
    while (users_ > 0) {
      timer.expires_after(std::chrono::milliseconds(20));
      boost::system::error_code ec;
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      Flush();
      const auto now = SteadyClock::now();
      if (Stopping() && !woke) {
        woke = true;
        stop_seen_ = now;
        for (auto* t : timers_) t->cancel();
      }
      cut_ = cut_ || (woke && now - stop_seen_ > sh_.s.graceful_stop);
      for (std::size_t i = 0; i < deadlines_.size(); ++i) {
        if (deadlines_[i] < now || (cut_ && deadlines_[i] != kIdle)) conns_[i]->Expire(now, cut_);
      }
      if (woke) {
        for (auto* t : timers_) t->cancel();  // users that slept through the first cancel
      }
    }
  }

  Shared& sh_;
  typename Transport::Setup setup_;
  int index_;
  int threads_;
  std::mt19937_64 rng_;
  // One thread at a time: the main thread spawns the users before the worker's thread starts
  // and destroys it after the join; in between only the worker's thread (the stop flag is an
  // atomic the watchdog polls). So no locking in the scheduler or the reactor.
  asio::io_context io_{BOOST_ASIO_CONCURRENCY_HINT_UNSAFE};
  LoadStats stats_;
  std::list<asio::steady_timer*> timers_;
  // Slot per running user: its connection, and its request's deadline while one is in flight
  // (kIdle otherwise). The watchdog scans the dense deadlines instead of chasing every
  // connection: at 10,000 users with think time nearly all are idle, and visiting each
  // connection 50 times a second was the costliest thing the engine did (perf: 12 % of its CPU
  // at 2,000 users).
  static constexpr SteadyClock::time_point kIdle = SteadyClock::time_point::max();
  std::vector<Conn*> conns_;
  std::vector<SteadyClock::time_point> deadlines_;
  std::vector<std::size_t> free_slots_;
  std::int64_t users_ = 0;
  std::uint64_t next_ticket_ = 0;
  SteadyClock::time_point first_start_ = SteadyClock::time_point::max();
  SteadyClock::time_point last_end_{};
  SteadyClock::time_point stop_seen_{};
  bool cut_ = false;  // the graceful stop is over: requests still going are cut
  Counts local_;
  Counts flushed_;
};

// The threads, each with its users, from start to the merged result.
template <class Transport>
LoadStats RunWorkers(Shared& sh, const EngineOptions& o) {
  const LoadSettings& s = sh.s;
  const int threads = Threads(s);
  std::vector<std::unique_ptr<Worker<Transport>>> workers;
  for (int i = 0; i < threads; ++i)
    workers.push_back(std::make_unique<Worker<Transport>>(sh, i, threads));
  sh.t0 = SteadyClock::now() +
          std::chrono::milliseconds(20);  // every thread is up before the first start
  const bool open = s.executor == Executor::kConstantArrivalRate;
  sh.end_at = sh.t0 + (open ? s.duration : s.ramp_up + s.duration);
  if (open) {
    for (std::int64_t u = 0; u < s.max_vus; ++u) workers[u % threads]->AddOpenUser(u + 1);
  } else {
    for (std::int64_t u = 0; u < s.users; ++u) {
      const auto offset = std::chrono::nanoseconds(s.ramp_up.count() * u / s.users);
      workers[u % threads]->AddClosedUser(u + 1, sh.t0 + offset);
    }
  }
  std::vector<std::thread> pool;
  for (auto& w : workers) pool.emplace_back([&w] { w->Run(); });
  for (auto& t : pool) t.join();

  LoadStats out;
  out.test = o.test;
  out.executor = open ? "constant-arrival-rate" : "ramping-vus";
  out.segment = o.segment;
  // The test's time is from the first request's start to the last response's end: what the
  // engine does before (threads, the users' coroutines) and after (joining, merging) is not
  // charged to it. Each user's first request includes its connect, as every reconnect does.
  SteadyClock::time_point first = SteadyClock::time_point::max(), last{};
  for (auto& w : workers) {
    out.Merge(w->stats());
    first = std::min(first, w->first_start());
    last = std::max(last, w->last_end());
  }
  if (last < first) first = last = sh.t0;  // no request was made
  out.users = open ? s.max_vus : s.users;
  out.rate = open ? s.rate : 0;
  out.seconds = std::chrono::duration<double>(last - first).count();
  return out;
}

}  // namespace

common::Result<LoadStats> RunLoad(const LoadSettings& s, const EngineOptions& o) {
  if (auto enough = CheckFdLimit(s); !enough) return std::unexpected(enough.error());
  Shared sh{s,  {}, {},     {},    {}, {static_cast<std::size_t>(s.max_body_bytes), s.keep_alive},
            {}, {}, o.stop, o.live};
  if (auto literal = clients::AddressOf(s.target.host)) {
    sh.endpoints.emplace_back(*literal, s.target.port);  // exactly the address the config gave
  } else {
    asio::io_context io;
    tcp::resolver resolver(io);
    boost::system::error_code ec;
    auto results = resolver.resolve(s.target.host.text, std::to_string(s.target.port), ec);
    if (ec)
      return common::Fail(common::ErrorKind::kUnavailable,
                          "cannot resolve " + s.target.host.text + ": " + ec.message());
    for (const auto& r : results) sh.endpoints.push_back(r.endpoint());
  }
  for (const auto& step : s.scenario) {
    std::string head = RequestHead(s, step);
    sh.heads.push_back(head);
    bool constant = step.path.constant() && step.body.constant();
    for (const auto& [k, v] : step.headers) constant = constant && v.constant();
    std::string whole, error;  // nothing can be missing from constant templates
    if (constant) BuildRequest(s, step, head, Vars{}, whole, error);
    sh.prebuilt.push_back(whole);
    sh.want_body.push_back(!step.extract.empty() || !step.expect_body_contains.empty());
  }
  // Chosen once: the plain path never looks at TLS.
  if (s.target.scheme == "https") return RunWorkers<TlsTransport>(sh, o);
  return RunWorkers<PlainTransport>(sh, o);
}

}  // namespace reznet::probes::load
