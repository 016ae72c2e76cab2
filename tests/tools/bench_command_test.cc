// `tarmac bench features` end to end: the report names the contract and
// measures every dataset among the inputs (figures themselves are timings and
// are not checked here; docs/benchmarks.md has them).
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "policies/features/model_io.h"
#include "tests/support/shell.h"
#include "tests/support/test_data.h"

namespace tarmac {
namespace {

TEST_CASE("CLI: bench features --json reports the contract and each dataset", "[cli]") {
  const std::filesystem::path suite = testing::SourceDir() / "suites/default";
  const testing::ShellRun r = testing::RunTarmac(
      "bench features --json --min-time 0.01 " + (suite / "generated/cut-in-1-000.pb").string() + " " +
      (suite / "generated/red-light-1-000.pb").string() + " " + (suite / "commonroad/USA_US101-15_1_T-1.xml").string());
  REQUIRE(r.code == 0);
  const nlohmann::json j = nlohmann::json::parse(r.out);
  CHECK(j["bench"] == "features");
  CHECK(j["contract_version"] == model_io::kContractVersion);
  CHECK(j["observation_floats"] == model_io::kObservationFloats);
  REQUIRE(j["groups"].size() == 3);  // two datasets, then all
  CHECK(j["groups"][0]["dataset"] == "NGSIM (CommonRoad)");
  CHECK(j["groups"][0]["count"] == 1);
  CHECK(j["groups"][1]["dataset"] == "tarmac authored scenarios");
  CHECK(j["groups"][1]["count"] == 2);
  CHECK(j["groups"][2]["dataset"] == "all");
  CHECK(j["groups"][2]["count"] == 3);
  for (const nlohmann::json& g : j["groups"]) {
    CHECK(g["ticks"].get<long long>() > 0);
    CHECK(g["us_per_observation"].is_number());
    CHECK(g["training_samples_per_s"].get<double>() > 0.0);
  }
}

TEST_CASE("CLI: bench planner --json reports latency per batch size and the closed loop", "[cli]") {
  const std::filesystem::path suite = testing::SourceDir() / "suites/default";
  const testing::ShellRun r = testing::RunTarmac("bench planner --json --min-time 0.01 --planner constant-velocity " +
                                                 (suite / "generated/cut-in-1-000.pb").string());
  REQUIRE(r.code == 0);
  const nlohmann::json j = nlohmann::json::parse(r.out);
  CHECK(j["bench"] == "planner");
  CHECK(j["planner"] == "constant-velocity");
  REQUIRE(j["ticks"].size() == 3);
  CHECK(j["ticks"][0]["batch"] == 1);
  CHECK(j["ticks"][1]["batch"] == 16);
  CHECK(j["ticks"][2]["batch"] == 64);
  CHECK(j["closed_loop"]["simulated_s"].get<double>() > 0.0);
  CHECK(j["closed_loop"]["real_time_factor"].get<double>() > 0.0);
  const testing::ShellRun bad = testing::RunTarmac("bench planner --min-time 0.01 --planner nope " +
                                                   (suite / "generated/cut-in-1-000.pb").string());
  CHECK(bad.code == 2);
  CHECK(bad.err.find("--planner 'nope' is not one of") != std::string::npos);
}

TEST_CASE("CLI: bench features without a readable scenario exits 2", "[cli]") {
  CHECK(testing::RunTarmac("bench features --min-time 0.01 /nonexistent/path").code == 2);
}

}  // namespace
}  // namespace tarmac
