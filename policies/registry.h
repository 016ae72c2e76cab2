// Planners by name, for the command line: "log", "constant-velocity", "idm",
// "pdm", and the learned ones "transformer:CKPT", "diffusion:CKPT",
// "torchscript:PATH" (policies/learned/, LibTorch; a build without it says so).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "policies/learned/learned_planners.h"
#include "scenarios/result.h"
#include "sim/planner.h"

namespace tarmac {

// How learned planners run (threads, device, seed); rule-based ones ignore it.
using PlannerOptions = LearnedRuntime;

Result<std::unique_ptr<Planner>> MakePlanner(const std::string& name, const PlannerOptions& options = {});
std::vector<std::string> PlannerNames();
// True for the learned planners' names (KIND:PATH), whose results depend on
// the torch thread count (docs/learned-planners.md, "determinism").
bool IsLearnedPlanner(const std::string& name);

}  // namespace tarmac
