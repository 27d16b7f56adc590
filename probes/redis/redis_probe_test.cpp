// The redis probe against the real Redis of scripts/services.sh ($REZNET_SERVICES_ENV; without it
// every test here fails and says how to start it), and against a raw TCP server for what a real
// server cannot be made to do on its own (accept and never answer).
#include "probes/redis/redis_probe.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "clients/redis_conn.hpp"
#include "config/config.hpp"
#include "probes/outcome.hpp"
#include "probes/probe.hpp"
#include "tests/support/probe_runs.hpp"
#include "tests/support/raw_server.hpp"
#include "tests/support/services_env.hpp"

namespace reznet::probes::redis {
namespace {

using namespace std::chrono_literals;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::Service;

// The probe of a config, built as the daemon builds it (tests/support/probe_runs.hpp).
using Built = testing::BuiltProbe<RedisProbe>;

// Keys of this process only, so parallel runs of the suite do not meet.
const std::string kPrefix = "reznet-unit:" + std::to_string(::getpid()) + ":";

// One redis probe "p" on target `cache`.
std::string Yaml(const std::string& target, const std::string& block = "{}",
                 const std::string& timeout = "2s") {
  return "targets:\n  cache: " + target +
         "\nprobes:\n  - name: p\n    kind: redis\n    target: cache\n    timeout: " + timeout +
         "\n    redis: " + block + "\n";
}
std::string Url(int port) { return "redis://127.0.0.1:" + std::to_string(port) + "/0"; }
std::string Cache() { return "{ url: \"" + Service("REZNET_REDIS_URL") + "\" }"; }
std::string OwnKeys() { return "{ key_prefix: \"" + kPrefix + "\" }"; }

// A plain client of the test Redis, to look at what the probe did and to make traffic.
class Client {
 public:
  Client() {
    auto ep = ParseRedisUrl(Service("REZNET_REDIS_URL"));
    if (!ep) throw std::runtime_error(ep.error().detail);
    auto c = Connect(*ep, 2s);
    if (!c) throw std::runtime_error(c.error().detail);
    ctx_ = std::move(*c);
  }
  ReplyPtr Do(const std::vector<std::string>& args) {
    auto r = Command(ctx_.get(), args);
    if (!r) throw std::runtime_error(args[0] + ": " + r.error().detail);
    return std::move(*r);
  }

 private:
  ContextPtr ctx_;
};

// A port nothing listens on: taken from the kernel, then released.
int ClosedPort() {
  testing::RawServer server([](testing::RawConn&) {});
  return server.port();
}

TEST(RedisProbe, SetsItsOwnKeyWithTheTtlAndGetsItBack) {
  Built p(Yaml(Cache(), "{ key_prefix: \"" + kPrefix + "\", ttl: 30s, value_bytes: 100 }"));
  const Outcome o = p.Run();
  ASSERT_TRUE(o.ok()) << o.error->detail;
  for (const char* phase : {"connect", "set", "get"}) {
    ASSERT_NE(o.FindPhase(phase), nullptr) << phase;
    EXPECT_EQ(o.FindPhase(phase)->samples.size(), 1u) << phase;
  }
  EXPECT_FALSE(o.Counter("hit_ratio")) << "a first run has no previous INFO to compare with";

  Client redis;
  const std::string key = kPrefix + "p";  // the prefix and the probe's name
  const auto value = redis.Do({"GET", key});
  ASSERT_EQ(value->type, REDIS_REPLY_STRING);
  const std::string text(value->str, value->len);
  EXPECT_EQ(text.size(), 100u);
  EXPECT_TRUE(text.starts_with("reznet-perfd 1 ")) << text;
  const auto ttl = redis.Do({"TTL", key});
  EXPECT_GT(ttl->integer, 0);
  EXPECT_LE(ttl->integer, 30);
  redis.Do({"DEL", key});
}

// keyspace_hits/misses are server-wide: the traffic between two runs is the test's own (no other
// unit test binary uses Redis), minus the probe's own GET.
TEST(RedisProbe, HitRatioIsTheKeyspaceTrafficBetweenRuns) {
  Built p(Yaml(Cache(), OwnKeys()));
  ASSERT_TRUE(p.Run().ok());
  Client redis;
  redis.Do({"SET", kPrefix + "warm", "v", "EX", "30"});
  for (int i = 0; i < 3; ++i) redis.Do({"GET", kPrefix + "warm"});
  redis.Do({"GET", kPrefix + "absent"});
  const Outcome o = p.Run();
  ASSERT_TRUE(o.ok()) << o.error->detail;
  EXPECT_EQ(o.FindPhase("connect"), nullptr) << "the connection is kept between runs";
  EXPECT_EQ(o.Counter("keyspace_hits"), 3);
  EXPECT_EQ(o.Counter("keyspace_misses"), 1);
  EXPECT_EQ(o.Counter("hit_ratio"), 0.75);

  const Outcome quiet = p.Run();
  ASSERT_TRUE(quiet.ok()) << quiet.error->detail;
  EXPECT_EQ(quiet.Counter("keyspace_hits"), 0);
  EXPECT_EQ(quiet.Counter("keyspace_misses"), 0);
  EXPECT_FALSE(quiet.Counter("hit_ratio")) << "no traffic, no ratio";
  redis.Do({"DEL", kPrefix + "warm", kPrefix + "p"});
}

// An ACL user of the test Redis (which has no requirepass), removed at the end of the test.
class AclUser {
 public:
  AclUser(Client& redis, std::string name, const std::string& password)
      : redis_(redis), name_(std::move(name)) {
    redis_.Do({"ACL", "SETUSER", name_, "on", ">" + password, "~" + kPrefix + "*", "+@all"});
  }
  ~AclUser() { redis_.Do({"ACL", "DELUSER", name_}); }
  const std::string& name() const { return name_; }

 private:
  Client& redis_;
  std::string name_;
};

TEST(RedisProbe, WrongPasswordIsAuthAndTheFailureShowsNoPassword) {
  Client redis;
  const std::string right = "right-redis-password-3e9a";
  const std::string wrong = "wrong-redis-password-8b41";
  AclUser user(redis, "reznet-unit-" + std::to_string(::getpid()), right);
  const auto target = [&](const std::string& password) {
    return "{ url: \"" + Service("REZNET_REDIS_URL") + "\", password: \"" + password + "\" }";
  };
  const std::string block =
      "{ key_prefix: \"" + kPrefix + "\", username: \"" + user.name() + "\" }";
  for (const bool redacted : {true, false}) {
    SCOPED_TRACE(redacted ? "through the registry" : "the kind alone, without redaction");
    Built p(Yaml(target(wrong), block), redacted);
    const Outcome o = p.Run();
    ASSERT_TRUE(o.error);
    EXPECT_EQ(o.error->kind, ErrorKind::kAuth);
    EXPECT_THAT(o.error->detail, AllOf(HasSubstr("WRONGPASS"), Not(HasSubstr(wrong))));
    EXPECT_THAT(p.Json(o), AllOf(Not(HasSubstr(wrong)), HasSubstr(R"("kind": "auth")")));
  }
  Built ok(Yaml(target(right), block));
  const Outcome o = ok.Run();
  ASSERT_TRUE(o.ok()) << o.error->detail;
  EXPECT_THAT(ok.Json(o), Not(HasSubstr(right)));
  redis.Do({"DEL", kPrefix + "p"});
}

TEST(RedisProbe, PasswordInTheUrlIsRefusedWithoutQuotingIt) {
  const std::string secret = "in-url-secret-0f3c";
  const auto errors = testing::ConfigErrors(Yaml(
      "{ url: \"redis://:" + secret + "@127.0.0.1:" + Service("REZNET_REDIS_PORT") + "/0\" }"));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_THAT(errors[0],
              AllOf(HasSubstr("targets.cache.url: expected a URL like"),
                    HasSubstr("credentials go in the target's password"), Not(HasSubstr(secret))));
}

TEST(RedisProbe, ClosedPortIsConnect) {
  const int port = ClosedPort();
  Built p(Yaml("{ url: \"" + Url(port) + "\" }"));
  const Outcome o = p.Run();
  ASSERT_TRUE(o.error);
  EXPECT_EQ(o.error->kind, ErrorKind::kConnect);
  EXPECT_EQ(o.error->detail,
            "connect to 127.0.0.1:" + std::to_string(port) + ": Connection refused");
  EXPECT_TRUE(o.phases.empty());
}

// A server that accepts and never answers (a frozen redis-server): the SET times out, and the
// dead connection is dropped, so the next run connects again.
TEST(RedisProbe, ServerThatNeverAnswersIsTimeoutAndTheNextRunReconnects) {
  std::atomic<int> connections = 0;
  testing::RawServer silent([&](testing::RawConn& c) {
    ++connections;
    c.WaitForClose();
  });
  Built p(Yaml("{ url: \"" + Url(silent.port()) + "\" }", "{}", "500ms"));
  for (int run = 1; run <= 2; ++run) {
    SCOPED_TRACE("run " + std::to_string(run));
    std::chrono::steady_clock::duration took{};
    const Outcome o = p.Run(&took);
    ASSERT_TRUE(o.error);
    EXPECT_EQ(o.error->kind, ErrorKind::kTimeout);
    EXPECT_EQ(o.error->detail, "SET: command timeout reached");
    ASSERT_NE(o.FindPhase("connect"), nullptr);  // TCP connected; the server said nothing
    EXPECT_EQ(o.FindPhase("set"), nullptr);
    EXPECT_LT(took, p.timeout() + 2s);  // generous: the machine is shared
    EXPECT_EQ(connections, run);
  }
}

// What the rest of the daemon knows of the kind (its traits).
TEST(RedisKind, DeclaresItsSuiteDefaultsScheduleAndHitRatioGauge) {
  const config::KindTraits t = RedisProbe::Traits();
  EXPECT_EQ(t.name, "redis");
  EXPECT_EQ(t.default_samples, 20);
  EXPECT_EQ(t.profiles, (std::vector<std::string>{"quick", "standard"}));
  EXPECT_FALSE(t.on_demand);
  EXPECT_EQ(t.chart_phase, "get");
  ASSERT_EQ(t.ratios.size(), 1u);
  EXPECT_EQ(t.ratios[0].counter, "hit_ratio");
  EXPECT_EQ(t.ratios[0].gauge, "reznet_perf_cache_hit_ratio");
}

}  // namespace
}  // namespace reznet::probes::redis
