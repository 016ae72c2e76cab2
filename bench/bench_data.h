// Real scenarios for the benchmarks, from the embedded default suite (and,
// where it is there, ../shared/data or $TARMAC_DATA_DIR).
#pragma once

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>

#include "scenarios/scenario_io.h"
#include "scenarios/result.h"

namespace tarmac::bench {

inline std::filesystem::path SuiteFile(const std::string& name) {
  return std::filesystem::path(TARMAC_SOURCE_DIR) / "suites" / "default" / "commonroad" / name;
}

// Reads one suite scenario; aborts if it cannot (a benchmark has no other way out).
inline v1::Scenario LoadSuiteScenario(const std::string& name) {
  Result<std::vector<v1::Scenario>> r = ReadScenarios(SuiteFile(name));
  TARMAC_CHECK(r.ok());
  return std::move(r->front());
}

// A file under the real-data directory (../shared/data beside the checkout,
// or $TARMAC_DATA_DIR), if it is there: benchmarks that prefer real data fall
// back to the suite without it.
inline std::optional<v1::Scenario> LoadSharedScenario(const std::string& relative) {
  const char* env = std::getenv("TARMAC_DATA_DIR");
  const std::filesystem::path dir = env != nullptr && *env != '\0'
                                        ? std::filesystem::path(env)
                                        : std::filesystem::path(TARMAC_SOURCE_DIR).parent_path() / "shared" / "data";
  const std::filesystem::path file = dir / relative;
  if (!std::filesystem::exists(file)) return std::nullopt;
  Result<std::vector<v1::Scenario>> r = ReadScenarios(file);
  if (!r.ok() || r->empty()) return std::nullopt;
  return std::move(r->front());
}

}  // namespace tarmac::bench
