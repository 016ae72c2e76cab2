// The paired comparison of two runs behind `tarmac compare`, `tarmac serve`'s
// compare view and `tarmac report`: one function, so all three give the same
// numbers and the same verdict.
//
// Contract:
//  - Runs are paired by scenario id; only common scenarios are compared
//    (CompareRuns fails if there is none). A failed scenario scores 0 and has
//    no other metric; a metric missing (NULL) in either run leaves that pair
//    out of that metric.
//  - Every metric gets the mean of both runs, the mean paired difference
//    (cand - base) and a seeded percentile-bootstrap interval, exactly what
//    BootstrapMeanDifference (tools/paired_stats.h) gives for it: the same
//    seed always gives the same interval, bit for bit.
//  - The candidate regresses when the score's interval lies entirely below
//    zero, or, with `strict`, on any new at-fault collision or newly failed
//    scenario. `worse` lists the scenarios that got worse: new at-fault
//    collisions and failures first, then by score drop.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "scenarios/result.h"
#include "store/results_store.h"
#include "tools/paired_stats.h"

namespace tarmac {

// A run and its results, by scenario id.
struct RunResults {
  std::string db;     // the database file it came from
  std::string label;  // "run 3 'name' (planner, agents idm) in FILE"
  RunInfo info;
  std::map<std::string, ResultRow> rows;  // by scenario id
};

// Reads a run from an open store.
Result<RunResults> ReadRunResults(ResultsStore& store, int64_t run_id);

// A run reference: "N" (id), "NAME" (the latest run of that name), or
// "FILE.db:N" / "FILE.db:NAME" (another database than `default_db`).
// Opens the database read-only; returns the run and the open store.
struct LoadedRun {
  RunResults run;
  std::unique_ptr<ResultsStore> store;
};
Result<LoadedRun> LoadRunRef(const std::string& ref, const std::string& default_db);

struct ComparisonOptions {
  int resamples = 10000;  // bootstrap resamples
  uint64_t seed = 0;      // bootstrap seed
  double level = 0.95;    // confidence level of the intervals
  bool strict = false;    // new at-fault collisions / failures also regress
};

struct MetricComparison {
  std::string metric;  // "score" or a metric column
  PairedDifference d;
};

struct WorseScenario {
  std::string scenario;
  double base_score = 0.0, cand_score = 0.0;  // a failed scenario scores 0
  bool new_at_fault = false;   // no at-fault collision in base, one or more in cand
  bool newly_failed = false;   // ok in base, failed in cand
  std::string detail;          // the collision, the error, or the metrics that fell
};

struct Comparison {
  std::vector<std::string> common, only_base, only_cand;  // scenario ids, sorted
  bool same_suite = false;
  std::vector<MetricComparison> metrics;  // in ComparedMetrics() order; metrics without pairs left out
  std::vector<WorseScenario> worse;       // new at-fault collisions and failures first, then by score drop
  int new_at_fault = 0;
  int newly_failed = 0;
  bool regression = false;
  std::string reason;  // why (or "no regression")
};

// The metrics compared, in order ("score" first).
const std::vector<std::string>& ComparedMetrics();

// True for the compared metrics where a smaller value is better: the counts
// of bad events (at_fault_collisions, collisions, red_light_violations) and
// the displacement from the log (ade, fde). Every other one is better larger.
bool LowerIsBetter(std::string_view metric);

// How a metric moved when its interval excludes zero, judged by
// LowerIsBetter: "better", "worse", or "" when the interval contains zero.
const char* Direction(const MetricComparison& m);

// A scenario's value of `metric` for the comparison: "score" is 0 for a failed
// scenario; other metrics are nullopt for a failed scenario or NULL.
std::optional<double> ComparedValue(const ResultRow& row, const std::string& metric);

// Compares two runs. `cand_store` (may be null) gives the events that
// describe a new at-fault collision. Fails when the runs have no scenario in
// common ("the runs have no scenario in common").
Result<Comparison> CompareRuns(const RunResults& base, const RunResults& cand, ResultsStore* cand_store,
                               const ComparisonOptions& options);

// The document `tarmac compare --json` prints.
nlohmann::json ComparisonJson(const RunResults& base, const RunResults& cand, const Comparison& c,
                              const ComparisonOptions& options);

// BootstrapMeanDifference for many metrics at once: result k is bit for bit
// BootstrapMeanDifference(columns[k].base, columns[k].cand, ...). Faster:
// metrics with the same number of pairs share one resampling stream (the
// indices depend only on the seed and the count), and the resamples run in
// chunks on every core, each chunk starting where the sequential stream
// would be (SplitMix64's state after k draws is seed + k * increment).
struct PairedColumn {
  std::vector<double> base, cand;  // same length
};
std::vector<PairedDifference> BootstrapMeanDifferences(std::span<const PairedColumn> columns, int resamples,
                                                       uint64_t seed, double level);

}  // namespace tarmac
