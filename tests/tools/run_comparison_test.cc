// The comparison core shared by `tarmac compare`, `tarmac serve` and
// `tarmac report`: its many-metric bootstrap must give, bit for bit, what
// BootstrapMeanDifference gives metric by metric.
#include <catch2/catch.hpp>

#include <string>
#include <tuple>
#include <vector>

#include "tools/paired_stats.h"
#include "tools/run_comparison.h"

namespace tarmac {
namespace {

TEST_CASE("BootstrapMeanDifferences equals BootstrapMeanDifference bit for bit", "[compare]") {
  SplitMix64 rng(11);
  // Columns of several lengths (shared streams), some repeated lengths (a
  // group wider than one kernel), an empty one and a single pair.
  std::vector<size_t> lengths = {1000, 990, 990, 660, 1, 0, 37, 990, 750, 37};
  for (int i = 0; i < 14; ++i) lengths.push_back(500);
  std::vector<PairedColumn> columns;
  for (size_t n : lengths) {
    PairedColumn c;
    for (size_t i = 0; i < n; ++i) {
      c.base.push_back(static_cast<double>(rng.Below(1000)) / 1000.0);
      // Some columns of 0/1 values, some continuous, some identical.
      c.cand.push_back(n == 37 ? c.base.back() : n == 660 ? static_cast<double>(rng.Below(2))
                                                          : static_cast<double>(rng.Below(100000)) / 7919.0);
    }
    columns.push_back(std::move(c));
  }
  for (const auto& [resamples, seed, level] : std::vector<std::tuple<int, uint64_t, double>>{
           {10000, 0, 0.95}, {777, 5, 0.9}, {1, 3, 0.95}, {0, 1, 0.5}}) {
    const std::vector<PairedDifference> many = BootstrapMeanDifferences(columns, resamples, seed, level);
    REQUIRE(many.size() == columns.size());
    for (size_t k = 0; k < columns.size(); ++k) {
      const PairedDifference one = BootstrapMeanDifference(columns[k].base, columns[k].cand, resamples, seed, level);
      INFO("column " << k << " of " << lengths[k] << " pairs, " << resamples << " resamples, seed " << seed);
      CHECK(many[k].n == one.n);
      CHECK(many[k].base_mean == one.base_mean);
      CHECK(many[k].cand_mean == one.cand_mean);
      CHECK(many[k].mean_diff == one.mean_diff);
      CHECK(many[k].ci_low == one.ci_low);
      CHECK(many[k].ci_high == one.ci_high);
    }
  }
}

TEST_CASE("A metric's direction: more collisions are worse, a higher score is better", "[compare]") {
  auto move = [](const char* metric, double lo, double hi) {
    MetricComparison m;
    m.metric = metric;
    m.d.ci_low = lo;
    m.d.ci_high = hi;
    return std::string(Direction(m));
  };
  CHECK(move("score", -0.5, -0.1) == "worse");
  CHECK(move("score", 0.1, 0.5) == "better");
  CHECK(move("score", -0.1, 0.1).empty());
  CHECK(move("score", 0.0, 0.2).empty());  // zero inside the interval: no direction
  CHECK(move("at_fault_collisions", 0.2, 2.0) == "worse");
  CHECK(move("collisions", -2.0, -0.2) == "better");
  CHECK(move("red_light_violations", 0.5, 1.0) == "worse");
  CHECK(move("ade", -3.0, -1.0) == "better");
  CHECK(move("min_distance", -3.0, -1.0) == "worse");
  for (const std::string& metric : ComparedMetrics()) {
    const bool counts_bad = metric == "at_fault_collisions" || metric == "collisions" ||
                            metric == "red_light_violations" || metric == "ade";
    CHECK(LowerIsBetter(metric) == counts_bad);
  }
}

}  // namespace
}  // namespace tarmac
