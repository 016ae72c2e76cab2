// `tarmac compare` as a gate, and the bootstrap behind it.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>

#include "tests/support/shell.h"
#include "tests/support/test_data.h"
#include "tools/paired_stats.h"

namespace tarmac {
namespace {

TEST_CASE("Bootstrap: deterministic for a seed, and the interval brackets the mean", "[compare]") {
  std::vector<double> base, cand;
  SplitMix64 rng(5);
  for (int i = 0; i < 200; ++i) {
    base.push_back(static_cast<double>(rng.Below(1000)) / 1000.0);
    cand.push_back(base.back() - 0.05 + static_cast<double>(rng.Below(100)) / 1000.0);
  }
  const PairedDifference a = BootstrapMeanDifference(base, cand, 2000, 42);
  const PairedDifference b = BootstrapMeanDifference(base, cand, 2000, 42);
  CHECK(a.ci_low == b.ci_low);
  CHECK(a.ci_high == b.ci_high);
  CHECK(a.ci_low < a.mean_diff);
  CHECK(a.mean_diff < a.ci_high);
  CHECK(a.mean_diff == Approx(a.cand_mean - a.base_mean));
  const PairedDifference same = BootstrapMeanDifference(base, base, 500, 1);
  CHECK(same.mean_diff == 0.0);
  CHECK(same.ci_low == 0.0);
  CHECK(same.ci_high == 0.0);
  // SplitMix64 is the published generator: first output for seed 0.
  CHECK(SplitMix64(0).Next() == 0xE220A8397B1DCDAFULL);
}

TEST_CASE("Compare: constant velocity against pdm regresses, a repeat does not", "[compare][cli][data]") {
  TARMAC_NEEDS_SHARED_DATA();
  const std::filesystem::path db = std::filesystem::temp_directory_path() / "tarmac_compare_test.db";
  std::filesystem::remove(db);
  const std::string scenarios = "--scenarios " + testing::DataPath("commonroad-ngsim").string() + " " +
                                testing::DataPath("nuscenes-mini-scenarionet").string();
  const std::string common = " --agents idm --json --db " + db.string() + " " + scenarios;
  REQUIRE(testing::RunTarmac("run --planner pdm --run-name pdm" + common).code == 0);
  REQUIRE(testing::RunTarmac("run --planner constant-velocity --run-name cv" + common).code == 0);
  REQUIRE(testing::RunTarmac("run --planner pdm --run-name pdm-again --threads 1" + common).code == 0);

  testing::ShellRun r = testing::RunTarmac("compare pdm cv --json --db " + db.string());
  CHECK(r.code == 1);
  nlohmann::json j = nlohmann::json::parse(r.out);
  CHECK(j["regression"] == true);
  CHECK(j["common_scenarios"] == 32);
  CHECK(j["metrics"][0]["metric"] == "score");
  CHECK(j["metrics"][0]["ci_high"].get<double>() < 0.0);
  CHECK(j["new_at_fault_collisions"].get<int>() > 0);
  CHECK(j["worse"][0]["new_at_fault_collision"] == true);  // new at-fault collisions listed first

  r = testing::RunTarmac("compare pdm pdm-again --json --strict --db " + db.string());
  CHECK(r.code == 0);
  j = nlohmann::json::parse(r.out);
  CHECK(j["regression"] == false);
  for (const auto& m : j["metrics"]) {
    INFO(m["metric"].get<std::string>());
    CHECK(m["diff"].get<double>() == 0.0);
    CHECK(m["ci_low"].get<double>() == 0.0);
    CHECK(m["ci_high"].get<double>() == 0.0);
  }
  CHECK(j["worse"].empty());
  CHECK(testing::RunTarmac("compare pdm nonexistent --db " + db.string()).code == 2);
}

}  // namespace
}  // namespace tarmac
