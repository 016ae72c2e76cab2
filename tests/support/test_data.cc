#include "tests/support/test_data.h"

#include <catch2/catch.hpp>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace tarmac::testing {

std::filesystem::path SourceDir() {
  if (const char* env = std::getenv("TARMAC_SOURCE_DIR"); env != nullptr && *env != '\0') {
    return env;
  }
  return TARMAC_SOURCE_DIR;
}

std::filesystem::path SharedDataDir() {
  if (const char* env = std::getenv("TARMAC_DATA_DIR"); env != nullptr && *env != '\0') {
    return env;
  }
  return SourceDir().parent_path() / "shared" / "data";
}

std::filesystem::path DataPath(const std::string& relative) { return SharedDataDir() / relative; }

bool HaveSharedData() {
  const std::filesystem::path dir = SharedDataDir();
  if (std::filesystem::exists(dir / "SOURCES.md")) return true;
  const char* require = std::getenv("TARMAC_REQUIRE_DATA");
  if (require != nullptr && std::string(require) == "1") {
    FAIL("real test data missing at " << dir.string()
         << " (TARMAC_REQUIRE_DATA=1; set TARMAC_DATA_DIR to its location)");
  } else {
    WARN("SKIPPED: real test data not found at " << dir.string()
         << "; set TARMAC_DATA_DIR to run this test");
  }
  return false;
}

std::string ReadFileBytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::filesystem::path FreshTempDir(const std::string& name) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / (name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace tarmac::testing
