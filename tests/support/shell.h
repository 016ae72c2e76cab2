// Running commands from tests: the tarmac executable or any shell line, with
// stdout and stderr captured in files private to the calling process (CTest
// runs test cases as parallel processes, so a shared file would race).
#pragma once

#include <filesystem>
#include <string>

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

// The bytes of a file; empty if it cannot be read.
std::string ReadFileBytes(const std::filesystem::path& path);

// A fresh, empty directory under the temporary directory, named `name` plus
// this process's id (so parallel test processes do not share it).
std::filesystem::path FreshTempDir(const std::string& name);

}  // namespace tarmac::testing
