#include "tests/support/shell.h"

#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>

namespace tarmac::testing {

ShellRun RunShell(const std::string& command, const std::filesystem::path& cwd, Stderr stderr_mode) {
  // Capture files unique to this process and call (a test may run commands
  // from several threads).
  static std::atomic<int> counter{0};
  const std::string stem = "tarmac_test_shell_" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
  const std::filesystem::path out = std::filesystem::temp_directory_path() / (stem + ".out");
  const std::filesystem::path err = std::filesystem::temp_directory_path() / (stem + ".err");
  std::string line = "(" + command + ") > '" + out.string() + "' ";
  line += stderr_mode == Stderr::kMerged ? "2>&1" : "2> '" + err.string() + "'";
  if (!cwd.empty()) line = "cd '" + cwd.string() + "' && " + line;
  const int status = std::system(line.c_str());
  ShellRun r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = ReadFileBytes(out);
  r.err = ReadFileBytes(err);
  std::error_code ec;
  std::filesystem::remove(out, ec);
  std::filesystem::remove(err, ec);
  return r;
}

ShellRun RunTarmac(const std::string& args, const std::filesystem::path& cwd, Stderr stderr_mode) {
  return RunShell(std::string(TARMAC_BINARY) + " " + args, cwd, stderr_mode);
}

}  // namespace tarmac::testing
