#pragma once
// The testbed's data tier on real PostgreSQL + Redis, shaped like the RezNet backend's: agents
// (served with Redis cache-aside), channels, messages (≥ 100k seeded, paginated by offset or by
// key), posting a message. Each server thread has its own connections (thread_local), re-made
// after a failure, so a restart of PostgreSQL or Redis costs the requests during the outage only.
//
// Faults (POST /testbed/faults {"db": {...}}): cache (false: skip Redis, every request queries),
// slow_query_ms (pg_sleep before each query), index (false: drop the pagination index; true:
// create it again).

#include <boost/json/object.hpp>
#include <expected>
#include <mutex>
#include <optional>
#include <string>

#include "common/error.hpp"

namespace reznet::testbed {

struct DbFaults {
  bool cache = true;
  double slow_query_ms = 0;
  bool index = true;
};

struct StoreError {
  int status;  // HTTP status to answer with
  std::string message;
};

class Store {
 public:
  // `pg_dsn` is libpq conninfo (the password comes from PGPASSWORD, as libpq reads it);
  // `redis_url` is redis://host:port/db (password from REZNET_TESTBED_REDIS_PASSWORD).
  Store(std::string pg_dsn, std::string redis_url);

  // Creates the schema and seeds it once (under an advisory lock). Throws std::runtime_error.
  void Init(int messages = 100000);

  // JSON documents. `cache` says how /api/agents was served: "hit", "miss" or "off".
  std::expected<std::string, StoreError> Agents(std::string& cache);
  std::expected<std::string, StoreError> Channels();
  std::expected<std::string, StoreError> Messages(long channel, long limit, long offset,
                                                  std::optional<long> before_id);
  std::expected<std::string, StoreError> PostMessage(long channel, const std::string& text);

  DbFaults Faults() const;
  // Applies faults (creating/dropping the index as asked). Returns an error text on failure.
  std::optional<std::string> SetFaults(const DbFaults& f);

 private:
  std::string pg_dsn_;
  std::string redis_url_;
  mutable std::mutex mutex_;
  DbFaults faults_;
};

common::Result<DbFaults> ParseDbFaults(const std::string& json_object, DbFaults current);
boost::json::object DbFaultsToJson(const DbFaults& f);

}  // namespace reznet::testbed
