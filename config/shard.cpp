#include "config/shard.hpp"

#include <charconv>
#include <limits>

#include "config/reader.hpp"

namespace reznet::config {
namespace {

// More shards than this is a typo, not a fleet.
constexpr int kMaxShards = 1024;

std::optional<int> Whole(std::string_view text) {
  int value = 0;
  const auto* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

std::string Range(int of) { return "0 to " + std::to_string(of - 1); }

}  // namespace

std::uint64_t ShardHash(std::string_view name) {
  std::uint64_t h = 14695981039346656037ULL;  // FNV-1a 64 offset basis
  for (unsigned char c : name) {
    h ^= c;
    h *= 1099511628211ULL;  // FNV 64 prime
  }
  return h;
}

int ShardOf(std::string_view name, int of) {
  return of <= 1 ? 0 : static_cast<int>(ShardHash(name) % static_cast<std::uint64_t>(of));
}

common::Result<Shard> ParseShardFlag(std::string_view text) {
  const auto slash = text.find('/');
  const auto index = slash == std::string_view::npos ? std::nullopt : Whole(text.substr(0, slash));
  const auto of = slash == std::string_view::npos ? std::nullopt : Whole(text.substr(slash + 1));
  if (!index || !of)
    return common::Invalid("\"" + std::string(text) + "\": write I/N, like 0/3 (shard 0 of 3)");
  if (*of < 1 || *of > kMaxShards)
    return common::Invalid("\"" + std::string(text) + "\": N must be between 1 and " +
                           std::to_string(kMaxShards));
  if (*index < 0 || *index >= *of)
    return common::Invalid("\"" + std::string(text) + "\": shards of " + std::to_string(*of) +
                           " are numbered " + Range(*of));
  return Shard{*index, *of};
}

std::optional<int> PodOrdinal(std::string_view hostname) {
  const auto dash = hostname.rfind('-');
  if (dash == std::string_view::npos) return std::nullopt;
  return Whole(hostname.substr(dash + 1));
}

common::Result<Shard> ResolveShard(const ShardConfig& config, const std::optional<Shard>& flag,
                                   const char* env_index, std::string_view hostname) {
  if (flag) return *flag;
  if (config.index) return Shard{*config.index, config.of};
  if (config.of <= 1) return Shard{};
  const std::string of = std::to_string(config.of);
  if (env_index != nullptr && *env_index != '\0') {
    auto index = Whole(env_index);
    if (!index || *index < 0 || *index >= config.of)
      return common::Invalid("daemon.shard: REZNET_SHARD_INDEX=\"" + std::string(env_index) +
                             "\" is not a shard of " + of + ": write a number from " +
                             Range(config.of));
    return Shard{*index, config.of};
  }
  auto ordinal = PodOrdinal(hostname);
  if (!ordinal)
    return common::Invalid(
        "daemon.shard: of " + of + " without index, and host name \"" + std::string(hostname) +
        "\" has no StatefulSet ordinal (-<n>): write index: 0 … " + std::to_string(config.of - 1) +
        ", set REZNET_SHARD_INDEX, or pass --shard I/" + of);
  if (*ordinal >= config.of)
    return common::Invalid("daemon.shard: pod ordinal " + std::to_string(*ordinal) +
                           " (host name \"" + std::string(hostname) + "\") is not below of " + of +
                           ": make the StatefulSet's replicas equal to daemon.shard.of");
  return Shard{*ordinal, config.of};
}

void ParseShard(MapReader r, ShardConfig& shard) {
  if (!r.Has("index") && !r.Has("of")) {
    r.Finish();
    return;
  }
  shard.line = r.mark().line + 1;
  constexpr auto kLow = std::numeric_limits<std::int64_t>::min();
  constexpr auto kHigh = std::numeric_limits<std::int64_t>::max();
  std::int64_t of = 1;
  if (!r.Has("of")) {
    r.diag().Error(r.mark(), r.path(),
                   "index without of: write of: N, the number of daemons sharing the probes");
  } else if (r.Read("of", of, kLow, kHigh) && (of < 1 || of > kMaxShards)) {
    r.diag().Error(r.MarkOf("of"), r.PathOf("of"),
                   "the number of daemons sharing the probes is between 1 and " +
                       std::to_string(kMaxShards) + ", got " + std::to_string(of) +
                       "; write of: 1 (or leave shard out) to run every probe here");
    of = 1;
  }
  shard.of = static_cast<int>(of);
  std::int64_t index = 0;
  if (r.Has("index") && r.Read("index", index, kLow, kHigh)) {
    if (index < 0 || index >= shard.of) {
      if (r.Has("of"))
        r.diag().Error(r.MarkOf("index"), r.PathOf("index"),
                       std::to_string(index) + " is not a shard of " + std::to_string(shard.of) +
                           ": write index: " + Range(shard.of) +
                           " (shards count from 0), or leave index out to take the pod ordinal");
    } else {
      shard.index = static_cast<int>(index);
    }
  }
  r.Finish();
}

}  // namespace reznet::config
