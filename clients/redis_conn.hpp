#pragma once
// hiredis 0.14, wrapped: RAII context, redis:// URLs parsed at load time, replies classified into
// probe error kinds. Every call blocks (bounded by the command timeout): run it through
// net::Offload on the blocking pool. A command timeout leaves a hiredis context dead ("Resource
// temporarily unavailable"): the caller drops it and reconnects on the next run.

#include <hiredis/hiredis.h>

#include <chrono>
#include <cstdint>
#include <expected>
#include <memory>
#include <string>
#include <vector>

#include "clients/error.hpp"
#include "common/error.hpp"

namespace reznet::clients::redis {

struct ContextDeleter {
  void operator()(redisContext* c) const { redisFree(c); }
};
struct ReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using ContextPtr = std::unique_ptr<redisContext, ContextDeleter>;
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

struct RedisEndpoint {
  std::string host;
  int port = 6379;
  int db = 0;
  std::string username;  // ACL user (optional)
  std::string password;  // secret
};

// "redis://host:port/db". Credentials belong in the target's password (and username), not the URL.
common::Result<RedisEndpoint> ParseRedisUrl(const std::string& url);

// Connects, authenticates (AUTH [user] password) and selects the db. Kinds: connect, auth, timeout.
std::expected<ContextPtr, Error> Connect(const RedisEndpoint& ep,
                                         std::chrono::milliseconds timeout);

// Runs one command given as separate arguments (never a formatted string). Kinds: timeout (the
// context is then dead), connect (connection lost), redis (an error reply), auth (NOAUTH).
std::expected<ReplyPtr, Error> Command(redisContext* c, const std::vector<std::string>& args);

// keyspace_hits and keyspace_misses from INFO stats.
struct KeyspaceStats {
  std::uint64_t hits = 0;
  std::uint64_t misses = 0;
};
std::expected<KeyspaceStats, Error> ReadKeyspaceStats(redisContext* c);

}  // namespace reznet::clients::redis
