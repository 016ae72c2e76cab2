#include "tests/support/test_data.h"

#include <catch2/catch.hpp>

#include <cstdlib>

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

}  // namespace tarmac::testing
