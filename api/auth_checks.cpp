#include "api/auth_checks.hpp"

#include <arpa/inet.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <unistd.h>

#include <array>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cerrno>
#include <cstring>
#include <optional>

namespace reznet::api {
namespace asio = boost::asio;
namespace {

constexpr int kNice = 10;

void LowerThreadPriority() {
  thread_local bool done = false;
  if (done) return;
  done = true;
  // PRIO_PROCESS with a thread id changes only that thread on Linux.
  if (setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), kNice) != 0)
    spdlog::debug("auth thread: setpriority failed: {}", std::strerror(errno));
}

}  // namespace

std::string SourceOf(std::string_view address) {
  std::array<unsigned char, 16> a{};
  const std::string text(address);
  if (inet_pton(AF_INET6, text.c_str(), a.data()) != 1) return text;
  static constexpr std::array<unsigned char, 12> kMapped{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::equal(kMapped.begin(), kMapped.end(), a.begin()))
    return std::to_string(a[12]) + "." + std::to_string(a[13]) + "." + std::to_string(a[14]) + "." +
           std::to_string(a[15]);
  std::fill(a.begin() + 8, a.end(), 0);
  char out[INET6_ADDRSTRLEN];
  if (inet_ntop(AF_INET6, a.data(), out, sizeof out) == nullptr) return text;
  return std::string(out) + "/64";
}

AuthChecks::AuthChecks(std::shared_ptr<BasicAuth> auth) : auth_(std::move(auth)) {}

AuthChecks::~AuthChecks() {
  threads_.stop();
  threads_.join();
  std::lock_guard lock(mu_);
  while (auto job = queue_.Pop(std::chrono::steady_clock::now())) job->done(Outcome::kBusy);
}

void AuthChecks::Submit(std::string_view client, std::string authorization, Done done) {
  std::vector<Job> shed;
  {
    std::lock_guard lock(mu_);
    std::string source = SourceOf(client);
    shed = queue_.Push(source, Job{source, std::move(authorization), std::move(done)},
                       std::chrono::steady_clock::now());
    stats_.shed += shed.size();
  }
  // One task per job queued: a task serves whichever job is fairest when it runs.
  asio::post(threads_, [this] { RunOne(); });
  for (auto& job : shed) job.done(Outcome::kBusy);
}

void AuthChecks::RunOne() {
  std::optional<Job> job;
  {
    std::lock_guard lock(mu_);
    job = queue_.Pop(std::chrono::steady_clock::now());
  }
  if (!job) return;  // shed meanwhile
  LowerThreadPriority();
  Outcome outcome = Outcome::kDenied;
  bool costly = false;  // a bcrypt check that failed: what counts against a client address
  try {
    // The same credentials may have been checked while this waited (a flood repeating one
    // password, a scraper's parallel requests): then memory answers, without bcrypt.
    const auto verdict = auth_->Cached(job->authorization);
    if (verdict == BasicAuth::Verdict::kVerify) {
      {
        std::lock_guard lock(mu_);
        ++stats_.checks;
      }
      outcome = auth_->Verify(job->authorization).allowed ? Outcome::kAllowed : Outcome::kDenied;
      costly = outcome == Outcome::kDenied;
    } else {
      outcome = verdict == BasicAuth::Verdict::kAllowed ? Outcome::kAllowed : Outcome::kDenied;
    }
  } catch (const std::exception& e) {
    spdlog::error("internal error checking a password: {}", e.what());
  }
  if (!costly) {
    std::lock_guard lock(mu_);
    queue_.Refund(job->source, std::chrono::steady_clock::now());
  }
  job->done(outcome);
}

asio::awaitable<AuthChecks::Outcome> AuthChecks::Check(std::string client,
                                                       std::string authorization) {
  struct Waiter {
    asio::steady_timer timer;
    std::optional<Outcome> outcome;
    explicit Waiter(const asio::any_io_executor& ex)
        : timer(ex, asio::steady_timer::time_point::max()) {}
  };
  const auto ex = co_await asio::this_coro::executor;
  auto waiter = std::make_shared<Waiter>(ex);
  Submit(client, std::move(authorization), [waiter, ex](Outcome outcome) {
    asio::post(ex, [waiter, outcome] {
      waiter->outcome = outcome;
      waiter->timer.cancel();
    });
  });
  // The answer is posted to this executor, so it cannot arrive between the check and the wait.
  if (!waiter->outcome) {
    boost::system::error_code ec;
    co_await waiter->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  co_return waiter->outcome.value_or(Outcome::kBusy);
}

AuthChecks::Stats AuthChecks::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

}  // namespace reznet::api
