#include "clients/redis_conn.hpp"

#include <charconv>

#include "common/redact.hpp"
#include "config/host.hpp"

namespace reznet::clients::redis {
namespace {

timeval ToTimeval(std::chrono::milliseconds ms) {
  if (ms.count() < 1) ms = std::chrono::milliseconds(1);
  return timeval{static_cast<time_t>(ms.count() / 1000),
                 static_cast<suseconds_t>((ms.count() % 1000) * 1000)};
}

Error ContextError(redisContext* c, const std::string& what) {
  const std::string message = c->errstr;
  // hiredis reports a timed-out read/write as an I/O error with EAGAIN's text.
  if (c->err == REDIS_ERR_IO &&
      (message.find("Resource temporarily unavailable") != std::string::npos ||
       message.find("timed out") != std::string::npos)) {
    return {ErrorKind::kTimeout, what + ": command timeout reached"};
  }
  return {ErrorKind::kConnect, what + ": " + message};
}

}  // namespace

common::Result<RedisEndpoint> ParseRedisUrl(const std::string& url) {
  const auto bad = [&](const std::string& why) {
    return common::Invalid("expected a URL like \"redis://127.0.0.1:6379/0\", got \"" +
                           common::MaskUrlUserInfo(url) + "\" (" + why + ")");
  };
  if (!url.starts_with("redis://")) return bad("scheme must be redis://");
  std::string rest = url.substr(8);
  if (rest.find('@') != std::string::npos)
    return bad("credentials go in the target's password, not the URL");
  RedisEndpoint ep;
  auto slash = rest.find('/');
  std::string hostport = rest.substr(0, slash);
  if (slash != std::string::npos && slash + 1 < rest.size()) {
    const std::string db = rest.substr(slash + 1);
    auto [p, ec] = std::from_chars(db.data(), db.data() + db.size(), ep.db);
    if (ec != std::errc() || p != db.data() + db.size() || ep.db < 0) return bad("bad db number");
  }
  // The host as the allow list judged it (config/host.hpp): hiredis resolves what it is given.
  auto hp = config::ParseHostPort(hostport, 6379);
  if (!hp) return bad(hp.error().detail);
  ep.host = hp->host.text;
  ep.port = hp->port;
  return ep;
}

std::expected<ReplyPtr, Error> Command(redisContext* c, const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  std::vector<std::size_t> lens;
  for (const auto& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  ReplyPtr reply(static_cast<redisReply*>(
      redisCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lens.data())));
  if (!reply) return std::unexpected(ContextError(c, args[0]));
  if (reply->type == REDIS_REPLY_ERROR) {
    const std::string message(reply->str, reply->len);
    const bool auth = message.starts_with("NOAUTH") || message.starts_with("WRONGPASS") ||
                      message.find("invalid password") != std::string::npos ||
                      message.find("without any password configured") != std::string::npos;
    return std::unexpected(
        Error{auth ? ErrorKind::kAuth : ErrorKind::kRedis, args[0] + ": " + message});
  }
  return reply;
}

std::expected<ContextPtr, Error> Connect(const RedisEndpoint& ep,
                                         std::chrono::milliseconds timeout) {
  ContextPtr c(redisConnectWithTimeout(ep.host.c_str(), ep.port, ToTimeval(timeout)));
  if (!c) return std::unexpected(Error{ErrorKind::kConnect, "cannot allocate a redis context"});
  if (c->err) {
    return std::unexpected(
        Error{ErrorKind::kConnect,
              "connect to " + ep.host + ":" + std::to_string(ep.port) + ": " + c->errstr});
  }
  redisSetTimeout(c.get(), ToTimeval(timeout));
  if (!ep.password.empty()) {
    std::vector<std::string> auth = {"AUTH"};
    if (!ep.username.empty()) auth.push_back(ep.username);
    auth.push_back(ep.password);
    auto r = Command(c.get(), auth);
    if (!r) {
      auto e = r.error();
      if (e.kind == ErrorKind::kRedis) e.kind = ErrorKind::kAuth;
      return std::unexpected(e);
    }
  }
  if (ep.db != 0) {
    auto r = Command(c.get(), {"SELECT", std::to_string(ep.db)});
    if (!r) return std::unexpected(r.error());
  }
  return c;
}

std::expected<KeyspaceStats, Error> ReadKeyspaceStats(redisContext* c) {
  auto r = Command(c, {"INFO", "stats"});
  if (!r) return std::unexpected(r.error());
  const std::string text((*r)->str ? (*r)->str : "", (*r)->len);
  KeyspaceStats s;
  auto field = [&](const std::string& name, std::uint64_t& out) {
    auto at = text.find(name + ":");
    if (at == std::string::npos) return false;
    at += name.size() + 1;
    auto end = text.find_first_of("\r\n", at);
    const std::string v = text.substr(at, end - at);
    return std::from_chars(v.data(), v.data() + v.size(), out).ec == std::errc();
  };
  if (!field("keyspace_hits", s.hits) || !field("keyspace_misses", s.misses)) {
    return std::unexpected(
        Error{ErrorKind::kRedis, "INFO stats has no keyspace_hits/keyspace_misses"});
  }
  return s;
}

}  // namespace reznet::clients::redis
