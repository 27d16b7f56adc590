#pragma once
// Sharding across daemons: N daemons load the same config and each schedules only the probes
// whose stable hash falls in its shard, so together they run every scheduled probe exactly once.
//
//   daemon:
//     shard: { index: 0, of: 3 }   # this daemon is shard 0 of 3
//     shard: { of: 3 }             # index from REZNET_SHARD_INDEX, else the pod ordinal
//                                  # (the trailing -<n> of $HOSTNAME: a StatefulSet pod)
//
// `reznet-perfd serve --shard I/N` overrides both. The hash is FNV-1a 64 of the probe name's
// bytes, modulo N: fixed across builds, compilers and platforms (never std::hash), so a probe
// keeps its shard as long as its name and N stay the same. Pure functions; thread-safe.

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.hpp"

namespace reznet::config {

class MapReader;

// daemon.shard as written.
struct ShardConfig {
  std::optional<int> index;  // unset: from the environment (ResolveShard)
  int of = 1;                // 1: not sharded
  int line = 0;              // 1-based line of the block, for messages; 0 when absent
  bool operator==(const ShardConfig&) const = default;
};

// The shard a daemon runs: 0 <= index < of.
struct Shard {
  int index = 0;
  int of = 1;
  bool sharded() const { return of > 1; }
  bool operator==(const Shard&) const = default;
};

// Reads daemon.shard; errors (file:line:col) say what to write instead.
void ParseShard(MapReader r, ShardConfig& shard);

// FNV-1a 64 of `name`'s bytes.
std::uint64_t ShardHash(std::string_view name);
// The shard (0..of-1) that runs `name`; `of` >= 1.
int ShardOf(std::string_view name, int of);
// Whether shard `shard` runs `name`.
inline bool InShard(std::string_view name, const Shard& shard) {
  return ShardOf(name, shard.of) == shard.index;
}

// "I/N" (--shard): an error text saying what to write when it is not 0 <= I < N.
common::Result<Shard> ParseShardFlag(std::string_view text);

// The StatefulSet ordinal of a pod's host name: the digits after its last '-' ("perfd-2" -> 2).
std::optional<int> PodOrdinal(std::string_view hostname);

// The shard to run: `flag` (--shard) when set, else daemon.shard with its index, else its `of`
// with the index from `env_index` (REZNET_SHARD_INDEX; null or empty: unset), else from the pod
// ordinal of `hostname`. An error text (without file:line) when no index can be found or it is
// not below `of`.
common::Result<Shard> ResolveShard(const ShardConfig& config, const std::optional<Shard>& flag,
                                   const char* env_index, std::string_view hostname);

}  // namespace reznet::config
