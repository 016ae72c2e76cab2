// `tarmac compare BASE CAND`: paired per-scenario comparison of two runs on
// their common scenarios, with seeded bootstrap intervals; the nightly gate.
#pragma once

#include <CLI/CLI.hpp>

namespace tarmac {

void AddCompareCommand(CLI::App* app);

}  // namespace tarmac
