// The postgres probe against the real PostgreSQL of scripts/services.sh ($REZNET_SERVICES_ENV;
// without it every test here fails and says how to start it), and against raw TCP servers for
// what a real server cannot be made to do (accept and never answer).
#include "probes/postgres/pg_probe.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "config/config.hpp"
#include "probes/outcome.hpp"
#include "probes/probe.hpp"
#include "tests/support/probe_runs.hpp"
#include "tests/support/raw_server.hpp"
#include "tests/support/services_env.hpp"

namespace reznet::probes::pg {
namespace {

using namespace std::chrono_literals;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::Service;

// The probe of a config, built as the daemon builds it (tests/support/probe_runs.hpp).
using Built = testing::BuiltProbe<PostgresProbe>;

// A target block for the test database, as a user writes it (the password beside the DSN).
std::string Db(const std::string& password, const std::string& dsn) {
  return "{ dsn: \"" + dsn + "\", password: \"" + password + "\" }";
}
std::string Db() { return Db(Service("REZNET_PG_PASSWORD"), Service("REZNET_PG_DSN")); }
std::string DbAt(int port) {
  return Db(Service("REZNET_PG_PASSWORD"),
            "host=127.0.0.1 port=" + std::to_string(port) + " dbname=reznet user=reznet");
}

// One postgres probe "p" on target `db`, its block `block`.
std::string Yaml(const std::string& db, const std::string& block,
                 const std::string& timeout = "5s") {
  return "targets:\n  db: " + db + "\nprobes:\n  - name: p\n    kind: postgres\n    target: db\n" +
         "    timeout: " + timeout + "\n    postgres: " + block + "\n";
}
const std::string kSelectOne = "{ queries: [{ name: q, sql: \"SELECT 1\" }] }";

// A port nothing listens on: taken from the kernel, then released.
int ClosedPort() {
  testing::RawServer server([](testing::RawConn&) {});
  return server.port();
}

TEST(PostgresProbe, TimesEachQueryAndCountsTheirRows) {
  Built p(Yaml(Db(), R"y({ queries: [
      { name: series, sql: "SELECT generate_series(1, 3)" },
      { name: sum, sql: "SELECT $1::int + $2::int", params: ["2", "3"] } ] })y"));
  const Outcome o = p.Run();
  ASSERT_TRUE(o.ok()) << o.error->detail;
  ASSERT_NE(o.FindPhase("connect"), nullptr);
  EXPECT_EQ(o.FindPhase("connect")->samples.size(), 1u);
  ASSERT_NE(o.FindPhase("query"), nullptr);
  ASSERT_EQ(o.FindPhase("query")->samples.size(), 2u);  // every query, pooled, in order
  ASSERT_NE(o.FindPhase("query:series"), nullptr);
  ASSERT_NE(o.FindPhase("query:sum"), nullptr);
  EXPECT_EQ(o.FindPhase("query:series")->samples, std::vector{o.FindPhase("query")->samples[0]});
  EXPECT_EQ(o.FindPhase("query:sum")->samples, std::vector{o.FindPhase("query")->samples[1]});
  EXPECT_EQ(o.Counter("rows"), 3 + 1);
  EXPECT_THAT(p.Json(o), Not(HasSubstr(Service("REZNET_PG_PASSWORD"))));
}

TEST(PostgresProbe, KeepsItsConnectionUnlessFreshConnectionIsSet) {
  Built kept(Yaml(Db(), kSelectOne));
  ASSERT_TRUE(kept.Run().ok());
  const Outcome again = kept.Run();
  ASSERT_TRUE(again.ok()) << again.error->detail;
  EXPECT_EQ(again.FindPhase("connect"), nullptr) << "the second run reused the connection";
  EXPECT_EQ(again.FindPhase("query")->samples.size(), 1u);

  Built fresh(Yaml(Db(), "{ fresh_connection: true, queries: [{ name: q, sql: \"SELECT 1\" }] }"));
  for (int run = 0; run < 2; ++run) {
    const Outcome o = fresh.Run();
    ASSERT_TRUE(o.ok()) << o.error->detail;
    ASSERT_NE(o.FindPhase("connect"), nullptr) << "run " << run;
    EXPECT_EQ(o.FindPhase("connect")->samples.size(), 1u);
  }
}

TEST(PostgresProbe, WrongPasswordIsAuthAndTheFailureShowsNoPassword) {
  const std::string wrong = "wrong-pg-password-5d2f";
  for (const bool redacted : {true, false}) {
    SCOPED_TRACE(redacted ? "through the registry" : "the kind alone, without redaction");
    Built p(Yaml(Db(wrong, Service("REZNET_PG_DSN")), kSelectOne), redacted);
    const Outcome o = p.Run();
    ASSERT_TRUE(o.error);
    EXPECT_EQ(o.error->kind, ErrorKind::kAuth);
    EXPECT_THAT(o.error->detail,
                AllOf(HasSubstr("password authentication failed for user \"reznet\""),
                      Not(HasSubstr(wrong)), Not(HasSubstr(Service("REZNET_PG_PASSWORD")))));
    EXPECT_THAT(p.Json(o), AllOf(Not(HasSubstr(wrong)), HasSubstr(R"("kind": "auth")")));
  }
}

TEST(PostgresProbe, PasswordInsideTheDsnIsRefusedWithoutQuotingIt) {
  const std::string secret = "in-dsn-secret-77c1";
  const auto errors = testing::ConfigErrors(
      Yaml("{ dsn: \"" + Service("REZNET_PG_DSN") + " password=" + secret + "\" }", kSelectOne));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_THAT(errors[0], AllOf(HasSubstr("targets.db.dsn: the DSN carries a password"),
                               Not(HasSubstr(secret))));
}

TEST(PostgresProbe, ClosedPortIsConnect) {
  Built p(Yaml(DbAt(ClosedPort()), kSelectOne));
  const Outcome o = p.Run();
  ASSERT_TRUE(o.error);
  EXPECT_EQ(o.error->kind, ErrorKind::kConnect);
  EXPECT_THAT(o.error->detail, HasSubstr("Connection refused"));
  EXPECT_EQ(o.FindPhase("connect"), nullptr);
}

// A server that accepts and never answers (a wedged postmaster, a black-holing proxy): libpq's
// connect_timeout gives up, which clients::pg::Connect documents as error "connect" (libpq's
// "timeout expired"), not "timeout"; its whole seconds are at least 2, hence a 2s timeout here.
TEST(PostgresProbe, ServerThatNeverAnswersFailsWithinTheTimeout) {
  testing::RawServer silent([](testing::RawConn& c) { c.WaitForClose(); });
  Built p(Yaml(DbAt(silent.port()), kSelectOne, "2s"));
  std::chrono::steady_clock::duration took{};
  const Outcome o = p.Run(&took);
  ASSERT_TRUE(o.error);
  EXPECT_EQ(o.error->kind, ErrorKind::kConnect);
  EXPECT_THAT(o.error->detail, HasSubstr("timeout expired"));
  EXPECT_LT(took, p.timeout() + 2s);  // generous: the machine is shared
}

TEST(PostgresProbe, StatementPastTheTimeoutIsTimeoutAndTheConnectionSurvives) {
  Built p(Yaml(Db(), "{ queries: [{ name: nap, sql: \"SELECT pg_sleep(30)\" }] }", "500ms"));
  std::chrono::steady_clock::duration took{};
  const Outcome o = p.Run(&took);
  ASSERT_TRUE(o.error);
  EXPECT_EQ(o.error->kind, ErrorKind::kTimeout);
  EXPECT_EQ(o.error->detail, "nap: statement_timeout reached (SQLSTATE 57014)");
  EXPECT_EQ(o.FindPhase("query"), nullptr) << "no answer, no query time";
  EXPECT_LT(took, p.timeout() + 2s);
  const Outcome next = p.Run();  // the server cancelled the statement; the session is fine
  EXPECT_EQ(next.FindPhase("connect"), nullptr);
  ASSERT_TRUE(next.error);
  EXPECT_EQ(next.error->kind, ErrorKind::kTimeout);
}

TEST(PostgresProbe, SqlErrorsCarryTheSqlstateAndMaxRowsIsEnforced) {
  Built missing(Yaml(Db(), "{ queries: [{ name: q, sql: \"SELECT * FROM no_such_table\" }] }"));
  const Outcome sql = missing.Run();
  ASSERT_TRUE(sql.error);
  EXPECT_EQ(sql.error->kind, ErrorKind::kSql);
  EXPECT_THAT(sql.error->detail, HasSubstr("q: SQLSTATE 42P01: "));

  Built many(Yaml(Db(), R"y({ max_rows: 2, queries: [
      { name: three, sql: "SELECT generate_series(1, 3)" } ] })y"));
  const Outcome rows = many.Run();
  ASSERT_TRUE(rows.error);
  EXPECT_EQ(rows.error->kind, ErrorKind::kRows);
  EXPECT_EQ(rows.error->detail, "three: returned 3 rows, more than max_rows (2)");
  EXPECT_EQ(rows.Counter("rows"), 3);
}

// A server that freezes mid-statement (SIGSTOP on the probe's backend: a hung host, or a cut its
// kernel still acks) frees the probe's pool thread about a second after the run's deadline, as a
// timeout, and the next run after it thaws connects afresh.
TEST(PostgresProbe, AFrozenServerIsATimeoutNotAStuckThread) {
  const std::string marker = "frozen_" + std::to_string(::getpid());
  Built p(Yaml(Db(), "{ queries: [{ name: q, sql: \"SELECT 1 AS " + marker + "\" }] }", "1s"));
  ASSERT_TRUE(p.Run().ok());
  // The probe's backend: the one whose last statement was ours.
  const std::string admin =
      Service("REZNET_PG_ADMIN_DSN") + " password=" + Service("REZNET_PG_ADMIN_PASSWORD");
  ConnPtr c(PQconnectdb(admin.c_str()));
  ASSERT_EQ(PQstatus(c.get()), CONNECTION_OK) << PQerrorMessage(c.get());
  ResultPtr r(PQexec(c.get(), ("SELECT pid FROM pg_stat_activity WHERE query LIKE '%AS " + marker +
                               "%' AND pid <> pg_backend_pid()")
                                  .c_str()));
  ASSERT_EQ(PQntuples(r.get()), 1);
  const pid_t backend = std::stoi(PQgetvalue(r.get(), 0, 0));
  ASSERT_EQ(::kill(backend, SIGSTOP), 0);
  std::chrono::steady_clock::duration took{};
  const Outcome frozen = p.Run(&took);
  ::kill(backend, SIGCONT);
  ASSERT_FALSE(frozen.ok());
  EXPECT_EQ(frozen.error->kind, clients::ErrorKind::kTimeout) << frozen.error->detail;
  EXPECT_THAT(frozen.error->detail, HasSubstr("no answer from the server"));
  EXPECT_LT(took, p.timeout() + 5s);  // not until the server thaws
  const Outcome thawed = p.Run();
  ASSERT_TRUE(thawed.ok()) << thawed.error->detail;
  EXPECT_NE(thawed.FindPhase("connect"), nullptr);  // the unanswered connection was dropped
}

// What the rest of the daemon knows of the kind (its traits).
TEST(PostgresKind, DeclaresItsSuiteDefaultsScheduleAndPhases) {
  const config::KindTraits t = PostgresProbe::Traits();
  EXPECT_EQ(t.name, "postgres");
  EXPECT_EQ(t.default_samples, 20);
  EXPECT_EQ(t.profiles, (std::vector<std::string>{"quick", "standard"}));
  EXPECT_FALSE(t.on_demand);
  EXPECT_EQ(t.chart_phase, "query");
  EXPECT_THAT(t.phases, ::testing::ElementsAre("connect", "query", "query:*"));
  EXPECT_TRUE(t.labels.empty());
}

}  // namespace
}  // namespace reznet::probes::pg
