// Running commands from tests: the tarmac executable or any shell line, with
// stdout and stderr captured in files private to the calling process (CTest
// runs test cases as parallel processes, so a shared file would race).
#pragma once

#include <filesystem>
#include <string>

#include "tests/support/test_data.h"  // ReadFileBytes, FreshTempDir

namespace tarmac::testing {

struct ShellRun {
  int code = -1;    // exit status; -1 if the command did not exit normally
  std::string out;  // stdout (and stderr with Stderr::kMerged)
  std::string err;  // stderr with Stderr::kSeparate
};

enum class Stderr { kSeparate, kMerged };

// Runs `command` with /bin/sh, in `cwd` if not empty.
ShellRun RunShell(const std::string& command, const std::filesystem::path& cwd = {},
                  Stderr stderr_mode = Stderr::kSeparate);

// Runs the tarmac executable under test with `args` (shell words), in `cwd`
// if not empty.
ShellRun RunTarmac(const std::string& args, const std::filesystem::path& cwd = {},
                   Stderr stderr_mode = Stderr::kSeparate);

}  // namespace tarmac::testing
