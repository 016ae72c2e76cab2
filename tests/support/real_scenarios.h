// Loading every real scenario of ../shared/data as simulator models.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "sim/scenario_model.h"

namespace tarmac::testing {

// Every CommonRoad and ScenarioNet scenario under the data directory, in a
// fixed order; fails the test on any that cannot be read or built.
std::vector<std::shared_ptr<const ScenarioModel>> LoadRealModels(const ModelOptions& options = {});

// The subset with a logged ego (ScenarioNet / nuScenes).
std::vector<std::shared_ptr<const ScenarioModel>> LoadLoggedEgoModels(const ModelOptions& options = {});

}  // namespace tarmac::testing
