// Sharding a suite by scenario id: `tarmac run --shard K/N` takes the
// scenarios whose id hashes to K, and `tarmac merge` checks that every result
// of a shard run belongs to its shard.
//
// Contract: ShardOf depends on the id's bytes only (FNV-1a, 64 bit, modulo N),
// so every machine, build and thread count assigns a scenario to the same
// shard, and the N shards of a suite are disjoint and cover it exactly once.
#pragma once

#include <string>
#include <string_view>

namespace tarmac {

// The shard (1..shards) that `scenario_id` belongs to. shards >= 1.
int ShardOf(std::string_view scenario_id, int shards);

// Parses "K/N" with 1 <= K <= N; false for anything else.
bool ParseShard(const std::string& text, int* k, int* n);

}  // namespace tarmac
