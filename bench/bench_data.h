// Real scenarios for the benchmarks, from the embedded default suite.
#pragma once

#include <filesystem>
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

}  // namespace tarmac::bench
