// `tarmac simulate`: closed-loop rollouts of scenarios with a planner and an
// agent model, printing a per-scenario summary and the rollout hash.
#pragma once

#include <CLI/CLI.hpp>

namespace tarmac {

void AddSimulateCommand(CLI::App* app);

}  // namespace tarmac
