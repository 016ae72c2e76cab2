// A synthetic results store for the dashboard's tests: many runs of many
// scenarios made in one SQLite transaction (100 runs x 1,000 scenarios in
// about a second), with every value given by a formula here, so tests know
// what every answer must be without simulating anything.
//
// Run r (1..runs) is "nightly-NNN", planner "pdm" for odd r and "idm" for
// even r, one suite, started on day r of 2025, finished. Scenario s
// (0..scenarios-1) is "syn-SSSSS". The last `traced` scenarios' rows of the
// last run have a trace (150 steps, ego along +x at 10 m/s, 12 agents) and a
// scenario file of their own (three straight lanes) in `files_dir`; every
// other row names a file that does not exist.
#pragma once

#include <filesystem>
#include <string>

#include "scenarios/result.h"

namespace tarmac::testing {

struct SyntheticStoreOptions {
  int runs = 100;
  int scenarios = 1000;
  int traced = 10;                 // scenarios of the last run with a trace and a file
  std::filesystem::path files_dir;  // where their scenario files go (created)
};

std::string SyntheticScenarioId(int s);
bool SyntheticFailed(int run, int s);    // (run + s) % 97 == 0
bool SyntheticAtFault(int run, int s);   // (run + s) % 50 == 0 (and not failed)
// The score: 0 with an at-fault collision, else ((7 run + 13 s) % 101) / 100.
double SyntheticScore(int run, int s);
// Metric column k (MetricColumnNames() order) other than the collision ones:
// ((run + 3 s + k) % 11) / 10. NULL where real runs have NULLs: goal_reached
// when s % 3 == 0 (no goal), ade and fde when s % 4 == 0 (no logged ego),
// min_distance when s % 5 == 0 (no agent near).
bool SyntheticMetricIsNull(int s, const std::string& column);
double SyntheticMetric(int run, int s, int k);

// Creates `path` (which must not exist) and fills it.
Result<void> MakeSyntheticStore(const std::filesystem::path& path, const SyntheticStoreOptions& options);

}  // namespace tarmac::testing
