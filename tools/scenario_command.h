// `tarmac scenario ...`: info, validate, convert, render.
#pragma once

#include <CLI/CLI.hpp>

namespace tarmac {

void AddScenarioCommand(CLI::App* app);

}  // namespace tarmac
