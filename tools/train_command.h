// `tarmac train`: trains a learned planner (transformer or diffusion) by
// imitation from logged driving (docs/learned-planners.md). Calls
// policies/learned through its torch-free header.
#pragma once

#include <CLI/CLI.hpp>

namespace tarmac {

void AddTrainCommand(CLI::App* app);

}  // namespace tarmac
