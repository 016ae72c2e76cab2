// `tarmac scenario new|build|generate|perturb`: writing scenarios.
#pragma once

#include <CLI/CLI.hpp>

namespace tarmac {

// Adds the authoring subcommands to the `scenario` command.
void AddAuthoringCommands(CLI::App* scenario);

}  // namespace tarmac
