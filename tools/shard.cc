#include "tools/shard.h"

#include <cstdint>

namespace tarmac {

int ShardOf(std::string_view scenario_id, int shards) {
  uint64_t h = 14695981039346656037ULL;  // FNV-1a offset basis
  for (char c : scenario_id) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ULL;  // FNV prime
  }
  return static_cast<int>(h % static_cast<uint64_t>(shards)) + 1;
}

bool ParseShard(const std::string& text, int* k, int* n) {
  const size_t slash = text.find('/');
  if (slash == std::string::npos) return false;
  try {
    *k = std::stoi(text.substr(0, slash));
    *n = std::stoi(text.substr(slash + 1));
  } catch (...) {
    return false;
  }
  return *n >= 1 && *k >= 1 && *k <= *n;
}

}  // namespace tarmac
