// Paired comparison of two runs on their common scenarios: mean difference
// (candidate - baseline) with a seeded percentile-bootstrap confidence
// interval. Deterministic: the same inputs and seed give the same interval
// on every machine (the resampling uses its own generator and index mapping,
// not the standard library's distributions).
#pragma once

#include <cstdint>
#include <span>

#include "scenarios/splitmix.h"

namespace tarmac {

struct PairedDifference {
  int n = 0;                 // pairs (scenarios in both runs with a value in both)
  double base_mean = 0.0;
  double cand_mean = 0.0;
  double mean_diff = 0.0;    // cand_mean - base_mean
  double ci_low = 0.0;       // bootstrap interval of mean_diff
  double ci_high = 0.0;
};

// `base[i]` and `cand[i]` belong to the same scenario. `level` e.g. 0.95.
PairedDifference BootstrapMeanDifference(std::span<const double> base, std::span<const double> cand,
                                         int resamples, uint64_t seed, double level = 0.95);

}  // namespace tarmac
