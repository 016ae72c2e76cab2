// `tarmac bench ...`: throughput measurements, each reported against a
// baseline measured in the same run.
#pragma once

#include <CLI/CLI.hpp>

namespace tarmac {

void AddBenchCommand(CLI::App* app);

}  // namespace tarmac
