// Planners by name, for the command line: "log", "constant-velocity", "idm", "pdm".
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "scenarios/result.h"
#include "sim/planner.h"

namespace tarmac {

Result<std::unique_ptr<Planner>> MakePlanner(const std::string& name);
std::vector<std::string> PlannerNames();

}  // namespace tarmac
