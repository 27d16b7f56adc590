#include "probes/postgres/pg_address.hpp"

#include <gtest/gtest.h>

#include "probes/postgres/pg_probe.hpp"

namespace reznet::probes::pg {
namespace {

// Through the kind's traits, as a module or a discovered target reaches it.
common::Result<config::Addressed> Put(const config::TargetConfig& tmpl, std::string_view address) {
  return config::WithAddress(tmpl, PostgresProbe::Traits().address, address);
}

TEST(PostgresAddress, TakesHostAndPortIntoTheDsn) {
  config::TargetConfig pg;
  pg.dsn = "dbname=app user=probe";
  auto p = Put(pg, "db.svc");
  ASSERT_TRUE(p.has_value()) << p.error().detail;
  EXPECT_EQ(p->target.dsn, "dbname=app user=probe host=db.svc port=5432");
  // Nothing that could start another libpq keyword gets through.
  EXPECT_FALSE(Put(pg, "db.svc password=x").has_value());
  EXPECT_FALSE(Put(pg, "db'svc").has_value());
}

TEST(PostgresAddress, ReplacesTheAuthorityOfAUriDsn) {
  config::TargetConfig pg;
  pg.dsn = "postgresql://probe:s3cret@placeholder:5432/app?sslmode=disable";
  auto p = Put(pg, "10.1.2.3:6432");
  ASSERT_TRUE(p.has_value()) << p.error().detail;
  EXPECT_EQ(p->target.dsn, "postgresql://probe:s3cret@10.1.2.3:6432/app?sslmode=disable");
  EXPECT_EQ(p->where.ToString(), "10.1.2.3:6432");
}

}  // namespace
}  // namespace reznet::probes::pg
