// The cache probe against the real PostgreSQL (with pg_stat_statements) and Redis of
// scripts/services.sh ($REZNET_SERVICES_ENV; without it every test here fails and says how to
// start it), in front of a loopback application that does Redis cache-aside over PostgreSQL with
// real libpq and hiredis; raw TCP servers for what no real server does (accept, never answer).
#include "probes/cache/cache_probe.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <expected>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "clients/pg_conn.hpp"
#include "clients/redis_conn.hpp"
#include "config/config.hpp"
#include "probes/outcome.hpp"
#include "probes/probe.hpp"
#include "tests/support/loopback_server.hpp"
#include "tests/support/probe_runs.hpp"
#include "tests/support/raw_server.hpp"
#include "tests/support/services_env.hpp"

namespace reznet::probes::cache {
namespace {

using namespace std::chrono_literals;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::Service;
using ::testing::StartsWith;

// The probe of a config, built as the daemon builds it (tests/support/probe_runs.hpp).
using Built = testing::BuiltProbe<CacheProbe>;

// Names of this process only: the application's table (a temporary one, so each run has a
// statement of its own in pg_stat_statements, which keys statements by table, not by text) and
// its cache key.
const std::string kTable = "reznet_cache_unit_" + std::to_string(::getpid());
const std::string kKey = "reznet-unit:" + std::to_string(::getpid()) + ":items";

// The value of a set-up step that must work (the test fails with its error otherwise).
template <class T, class E>
T Must(std::expected<T, E> r) {
  if (!r) throw std::runtime_error(r.error().detail);
  return std::move(*r);
}

// The application under test: GET /items answers from Redis when kKey is there, else runs
// "SELECT … FROM kTable" on PostgreSQL and, with the cache on, stores the answer for 30 s.
// GET /broken answers 500. Handlers run on the server's threads, hence the lock.
class Backend {
 public:
  explicit Backend(bool cache) : cache_(cache) {
    const auto dsn =
        Must(clients::pg::ParseDsn(Service("REZNET_PG_DSN"), Service("REZNET_PG_PASSWORD")));
    db_ = Must(clients::pg::Connect(dsn, 5s, 5s));
    Sql("CREATE TEMP TABLE " + kTable + " (v text)", PGRES_COMMAND_OK);
    Sql("INSERT INTO " + kTable + " VALUES ('from the database')", PGRES_COMMAND_OK);
    redis_ = Must(clients::redis::Connect(
        Must(clients::redis::ParseRedisUrl(Service("REZNET_REDIS_URL"))), 5s));
    Redis({"DEL", kKey});  // the first request misses
    server_.emplace([this](httplib::Server& s) {
      s.Get("/items", [this](const httplib::Request&, httplib::Response& res) {
        res.set_content(Items(), "text/plain");
      });
      s.Get("/broken", [](const httplib::Request&, httplib::Response& res) { res.status = 500; });
    });
  }
  ~Backend() {
    server_.reset();  // no handler runs past here
    (void)clients::redis::Command(redis_.get(), {"DEL", kKey});
  }
  std::string url() const { return server_->url(); }

 private:
  std::string Items() {
    std::lock_guard lock(mutex_);
    if (cache_) {
      auto hit = Redis({"GET", kKey});
      if (hit->type == REDIS_REPLY_STRING) return std::string(hit->str, hit->len);
    }
    const auto rows = Sql("SELECT v FROM " + kTable, PGRES_TUPLES_OK);
    const std::string body = PQgetvalue(rows.get(), 0, 0);
    if (cache_) Redis({"SET", kKey, body, "EX", "30"});
    return body;
  }
  clients::pg::ResultPtr Sql(const std::string& sql, ExecStatusType expected) {
    auto result = Must(clients::pg::ExecParams(db_.get(), sql.c_str(), {}, 5s));
    if (PQresultStatus(result.get()) != expected) {
      throw std::runtime_error(sql + ": " + PQresultErrorMessage(result.get()));
    }
    return result;
  }
  clients::redis::ReplyPtr Redis(const std::vector<std::string>& args) {
    return Must(clients::redis::Command(redis_.get(), args));
  }

  bool cache_;
  std::mutex mutex_;
  clients::pg::ConnPtr db_;
  clients::redis::ContextPtr redis_;
  std::optional<testing::LoopbackServer> server_;  // last: its handlers use the members above
};

// A target block for the statistics role (the superuser: it reads every pg_stat_statements row).
std::string Stats(const std::string& password = Service("REZNET_PG_ADMIN_PASSWORD"),
                  const std::string& dsn = Service("REZNET_PG_ADMIN_DSN")) {
  return "{ dsn: \"" + dsn + "\", password: \"" + password + "\" }";
}
std::string RedisTarget(const std::string& url = Service("REZNET_REDIS_URL")) {
  return "{ url: \"" + url + "\" }";
}
std::string At(int port) { return "127.0.0.1:" + std::to_string(port); }

// One cache probe "p" on target `backend`, counting statements through target `db`, keyspace
// hits through target `cache` (when `redis` is set), `requests` times GET `path`.
struct CacheConfig {
  std::string backend;
  std::string db = Stats();
  std::string redis = RedisTarget();
  int requests = 20;
  std::string path = "/items";
  std::string timeout = "10s";

  std::string Yaml() const {
    return "targets:\n  backend: { url: \"" + backend + "\" }\n  db: " + db +
           (redis.empty() ? "" : "\n  cache: " + redis) +
           "\nprobes:\n  - name: p\n    kind: cache\n    target: backend\n    timeout: " + timeout +
           "\n    cache: { request: { path: " + path + " }, requests: " + std::to_string(requests) +
           ", db_target: db" + (redis.empty() ? "" : ", redis_target: cache") +
           ", query_pattern: \"FROM " + kTable + "\" }\n";
  }
};

// A port nothing listens on: taken from the kernel, then released.
int ClosedPort() {
  testing::RawServer server([](testing::RawConn&) {});
  return server.port();
}

TEST(CacheProbe, CachedBackendQueriesTheDatabaseOnceAndHitsRedisForTheRest) {
  Backend app(/*cache=*/true);
  Built p(CacheConfig{.backend = app.url()}.Yaml());
  const Outcome o = p.Run();
  ASSERT_TRUE(o.ok()) << o.error->detail;
  ASSERT_NE(o.FindPhase("total"), nullptr);
  EXPECT_EQ(o.FindPhase("total")->samples.size(), 20u);
  EXPECT_EQ(o.Counter("requests"), 20);
  EXPECT_EQ(o.Counter("db_queries"), 1);  // the first request missed
  EXPECT_DOUBLE_EQ(*o.Counter("query_reduction"), 1 - 1.0 / 20);
  // Keyspace counters are server-wide: no other unit test binary uses this Redis.
  EXPECT_EQ(o.Counter("hits"), 19);
  EXPECT_EQ(o.Counter("misses"), 1);
  EXPECT_DOUBLE_EQ(*o.Counter("hit_ratio"), 19.0 / 20);
  EXPECT_THAT(o.notes, ::testing::Contains(
                           std::pair<std::string, std::string>("db_source", "pg_stat_statements")));
  EXPECT_THAT(p.Json(o), Not(HasSubstr(Service("REZNET_PG_ADMIN_PASSWORD"))));
}

TEST(CacheProbe, UncachedBackendQueriesTheDatabaseEveryTime) {
  Backend app(/*cache=*/false);
  Built p(CacheConfig{.backend = app.url(), .requests = 10}.Yaml());
  const Outcome o = p.Run();
  ASSERT_TRUE(o.ok()) << o.error->detail;
  EXPECT_EQ(o.Counter("db_queries"), 10);
  EXPECT_EQ(o.Counter("query_reduction"), 0);
  EXPECT_EQ(o.Counter("hits"), 0);
  EXPECT_EQ(o.Counter("misses"), 0);
  EXPECT_FALSE(o.Counter("hit_ratio")) << "no keyspace traffic, no ratio";
}

// The postgres database has no pg_stat_statements (services.sh creates it in reznet only).
TEST(CacheProbe, WithoutPgStatStatementsCountsCommitsAndSaysSo) {
  Backend app(/*cache=*/true);
  std::string dsn = Service("REZNET_PG_ADMIN_DSN");
  dsn.replace(dsn.find("dbname=reznet"), 13, "dbname=postgres");
  Built p(CacheConfig{.backend = app.url(),
                      .db = Stats(Service("REZNET_PG_ADMIN_PASSWORD"), dsn),
                      .redis = "",
                      .requests = 5}
              .Yaml());
  const Outcome o = p.Run();
  ASSERT_TRUE(o.ok()) << o.error->detail;
  EXPECT_THAT(o.notes, ::testing::ElementsAre(std::pair<std::string, std::string>(
                           "db_source", "pg_stat_database.xact_commit")));
  EXPECT_EQ(o.Counter("requests"), 5);
  EXPECT_TRUE(o.Counter("query_reduction"));
  EXPECT_FALSE(o.Counter("hits")) << "no redis_target";
}

TEST(CacheProbe, WrongPasswordsAreAuthAndTheFailureShowsNoPassword) {
  Backend app(/*cache=*/true);
  const std::string wrong_db = "wrong-db-password-61aa";
  const std::string redis_pw = "redis-password-nobody-set-2c07";
  const CacheConfig bad_db{.backend = app.url(), .db = Stats(wrong_db)};
  // The test Redis has no password: AUTH with one is refused too.
  const CacheConfig bad_redis{
      .backend = app.url(),
      .redis = "{ url: \"" + Service("REZNET_REDIS_URL") + "\", password: \"" + redis_pw + "\" }"};
  for (const bool redacted : {true, false}) {
    SCOPED_TRACE(redacted ? "through the registry" : "the kind alone, without redaction");
    for (const auto& [config, secret, says] :
         {std::tuple{bad_db, wrong_db, "password authentication failed for user \"postgres\""},
          std::tuple{bad_redis, redis_pw,
                     "AUTH: ERR AUTH <password> called without any password"}}) {
      Built p(config.Yaml(), redacted);
      const Outcome o = p.Run();
      ASSERT_TRUE(o.error);
      EXPECT_EQ(o.error->kind, ErrorKind::kAuth);
      EXPECT_THAT(o.error->detail, AllOf(StartsWith("reading the counters before: "),
                                         HasSubstr(says), Not(HasSubstr(secret))));
      EXPECT_THAT(p.Json(o), Not(HasSubstr(secret)));
    }
  }
}

TEST(CacheProbe, ClosedPortsAreConnect) {
  Backend app(/*cache=*/true);
  const int port = ClosedPort();
  Built no_backend(CacheConfig{.backend = "http://" + At(port)}.Yaml());
  const Outcome backend = no_backend.Run();
  ASSERT_TRUE(backend.error);
  EXPECT_EQ(backend.error->kind, ErrorKind::kConnect);
  EXPECT_THAT(backend.error->detail, AllOf(StartsWith("request 1: "), HasSubstr("refused")));

  Built no_redis(
      CacheConfig{.backend = app.url(), .redis = RedisTarget("redis://" + At(port) + "/0")}.Yaml());
  const Outcome redis = no_redis.Run();
  ASSERT_TRUE(redis.error);
  EXPECT_EQ(redis.error->kind, ErrorKind::kConnect);
  EXPECT_EQ(redis.error->detail,
            "reading the counters before: connect to " + At(port) + ": Connection refused");
}

// The backend, or the Redis read around the requests, accepts and never answers.
TEST(CacheProbe, ServersThatNeverAnswerAreTimeoutWithinTheTimeout) {
  testing::RawServer silent([](testing::RawConn& c) { c.WaitForClose(); });
  Backend app(/*cache=*/true);
  const std::pair<CacheConfig, std::string> cases[] = {
      {{.backend = "http://" + At(silent.port()), .timeout = "1s"},
       "request 1: waiting for the response: deadline reached"},
      {{.backend = app.url(),
        .redis = RedisTarget("redis://" + At(silent.port()) + "/0"),
        .timeout = "1s"},
       "reading the counters before: INFO: command timeout reached"},
  };
  for (const auto& [config, detail] : cases) {
    SCOPED_TRACE(detail);
    Built p(config.Yaml());
    std::chrono::steady_clock::duration took{};
    const Outcome o = p.Run(&took);
    ASSERT_TRUE(o.error);
    EXPECT_EQ(o.error->kind, ErrorKind::kTimeout);
    EXPECT_EQ(o.error->detail, detail);
    EXPECT_LT(took, p.timeout() + 2s);  // generous: the machine is shared
  }
}

TEST(CacheProbe, FailedRequestNamesItsNumberAndStatus) {
  Backend app(/*cache=*/true);
  Built p(CacheConfig{.backend = app.url(), .path = "/broken"}.Yaml());
  const Outcome o = p.Run();
  ASSERT_TRUE(o.error);
  EXPECT_EQ(o.error->kind, ErrorKind::kHttpStatus);
  EXPECT_EQ(o.error->detail, "request 1: status 500");
  EXPECT_FALSE(o.Counter("query_reduction")) << "a failed run measures no reduction";
}

// What the rest of the daemon knows of the kind (its traits).
TEST(CacheKind, DeclaresItsSuiteDefaultsScheduleAndRatioGauges) {
  const config::KindTraits t = CacheProbe::Traits();
  EXPECT_EQ(t.name, "cache");
  EXPECT_EQ(t.default_samples, 1);
  EXPECT_EQ(t.profiles, (std::vector<std::string>{"quick", "standard"}));
  EXPECT_FALSE(t.on_demand);
  EXPECT_EQ(t.chart_phase, "total");
  std::vector<std::pair<std::string, std::string>> ratios;
  for (const auto& r : t.ratios) ratios.emplace_back(r.counter, r.gauge);
  using R = std::pair<std::string, std::string>;
  EXPECT_THAT(ratios, ::testing::ElementsAre(
                          R{"query_reduction", "reznet_perf_cache_query_reduction_ratio"},
                          R{"hit_ratio", "reznet_perf_cache_hit_ratio"}));
}

}  // namespace
}  // namespace reznet::probes::cache
