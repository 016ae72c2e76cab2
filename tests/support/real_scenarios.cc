#include "tests/support/real_scenarios.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>

#include "scenarios/scenario_io.h"
#include "tests/support/test_data.h"

namespace tarmac::testing {
namespace {

std::vector<std::shared_ptr<const ScenarioModel>> LoadFrom(const std::vector<std::string>& dirs,
                                                           const ModelOptions& options) {
  std::vector<std::filesystem::path> files;
  for (const std::string& dir : dirs) {
    for (const auto& e : std::filesystem::recursive_directory_iterator(DataPath(dir))) {
      const std::string ext = e.path().extension().string();
      if (ext == ".xml" || ext == ".pkl") files.push_back(e.path());
    }
  }
  std::sort(files.begin(), files.end());
  std::vector<std::shared_ptr<const ScenarioModel>> models;
  for (const std::filesystem::path& f : files) {
    Result<std::vector<v1::Scenario>> r = ReadScenarios(f);
    if (!r.ok()) FAIL(r.error().message);
    for (v1::Scenario& s : *r) {
      Result<std::shared_ptr<const ScenarioModel>> m = ScenarioModel::Build(std::move(s), options);
      if (!m.ok()) FAIL(f.string() << ": " << m.error().message);
      models.push_back(std::move(*m));
    }
  }
  return models;
}

}  // namespace

std::vector<std::shared_ptr<const ScenarioModel>> LoadRealModels(const ModelOptions& options) {
  return LoadFrom({"commonroad-ngsim", "nuscenes-mini-scenarionet"}, options);
}

std::vector<std::shared_ptr<const ScenarioModel>> LoadLoggedEgoModels(const ModelOptions& options) {
  return LoadFrom({"nuscenes-mini-scenarionet"}, options);
}

}  // namespace tarmac::testing
