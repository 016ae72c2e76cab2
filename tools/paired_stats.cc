#include "tools/paired_stats.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace tarmac {

PairedDifference BootstrapMeanDifference(std::span<const double> base, std::span<const double> cand,
                                         int resamples, uint64_t seed, double level) {
  PairedDifference out;
  const size_t n = std::min(base.size(), cand.size());
  out.n = static_cast<int>(n);
  if (n == 0) return out;
  std::vector<double> diff(n);
  double sb = 0.0, sc = 0.0;
  for (size_t i = 0; i < n; ++i) {
    diff[i] = cand[i] - base[i];
    sb += base[i];
    sc += cand[i];
  }
  out.base_mean = sb / static_cast<double>(n);
  out.cand_mean = sc / static_cast<double>(n);
  double sd = 0.0;
  for (double d : diff) sd += d;
  out.mean_diff = sd / static_cast<double>(n);
  std::vector<double> means(static_cast<size_t>(std::max(resamples, 1)));
  SplitMix64 rng(seed);
  for (double& mean : means) {
    double s = 0.0;
    for (size_t i = 0; i < n; ++i) s += diff[rng.Below(n)];
    mean = s / static_cast<double>(n);
  }
  std::sort(means.begin(), means.end());
  const double alpha = (1.0 - level) / 2.0;
  auto quantile = [&](double q) {
    // Linear interpolation between order statistics.
    const double pos = q * static_cast<double>(means.size() - 1);
    const size_t lo = static_cast<size_t>(std::floor(pos));
    const size_t hi = std::min(lo + 1, means.size() - 1);
    return means[lo] + (pos - static_cast<double>(lo)) * (means[hi] - means[lo]);
  };
  out.ci_low = quantile(alpha);
  out.ci_high = quantile(1.0 - alpha);
  return out;
}

}  // namespace tarmac
