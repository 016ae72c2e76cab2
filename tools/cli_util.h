// Shared pieces of the command-line tools: exit codes, expanding file
// arguments, and where the embedded data lives.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace tarmac {

// Stable exit codes of every tarmac command.
enum ExitCode : int {
  kExitOk = 0,
  kExitRegression = 1,  // a gate failed (regression, failed scenario)
  kExitInputError = 2,  // bad usage or bad input
};

// Expands file and directory arguments into a sorted list of files. Files
// named directly are kept whatever their extension; directories are walked
// recursively and keep files with a scenario extension (.xml, .pkl, .pb,
// .pbtxt, .json, .tfrecord, .spec...); a .spec with a .pb of the same name
// beside it is skipped (the .pb is its compiled form). Missing paths are
// reported in `missing`.
std::vector<std::filesystem::path> ExpandScenarioPaths(const std::vector<std::string>& args,
                                                       std::vector<std::string>* missing);

// The repository root baked in at build time (embedded suites live there).
std::filesystem::path SourceRoot();

// The folder of the embedded default scenario suite.
std::filesystem::path DefaultSuiteDir();

// The folder of the checkpoints shipped with tarmac (models/, see
// models/README.md): transformer.ckpt, the default planner of `tarmac run`.
std::filesystem::path ShippedModelsDir();

// A planner or agents name with the shipped checkpoint filled in: a bare
// "transformer" (also after "planner:") becomes
// "transformer:<ShippedModelsDir()>/transformer.ckpt"; every other name is
// returned as is.
std::string ResolvePlannerName(const std::string& name);

// The file behind a resolved learned planner's name (KIND:PATH), "" for the
// rule-based ones.
std::string LearnedPlannerFile(const std::string& resolved_name);

// ../shared/data beside the checkout, or $TARMAC_DATA_DIR; empty if absent.
std::filesystem::path SharedDataDir();

}  // namespace tarmac

#include <functional>

namespace tarmac {

// Subcommands register what to run once parsing succeeded; main() runs it.
void SetCommand(std::function<int()> command);
int RunSelectedCommand();

}  // namespace tarmac
