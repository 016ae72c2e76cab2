// `tarmac run`: evaluate a planner on a scenario suite in closed loop, score
// every rollout, and write runs, results, events and traces to SQLite.
#pragma once

#include <CLI/CLI.hpp>

namespace tarmac {

void AddRunCommand(CLI::App* app);

}  // namespace tarmac
