// Where tests find the real driving data (../shared/data beside the checkout,
// or $TARMAC_DATA_DIR) and what they do when it is missing: CI sets
// TARMAC_REQUIRE_DATA=1 and such tests fail; a user's clone without the data
// skips them with a message.
#pragma once

#include <filesystem>
#include <string>

namespace tarmac::testing {

// The data directory (may not exist).
std::filesystem::path SharedDataDir();

// A file or folder under the data directory.
std::filesystem::path DataPath(const std::string& relative);

// The repository root.
std::filesystem::path SourceDir();

// The bytes of a file; empty if it cannot be read.
std::string ReadFileBytes(const std::filesystem::path& path);

// A fresh, empty directory under the temporary directory, named `name` plus
// this process's id (CTest runs test cases as parallel processes).
std::filesystem::path FreshTempDir(const std::string& name);

// True when the data is there. When it is not, fails the current test if
// TARMAC_REQUIRE_DATA=1, else prints a skip message; either way returns false.
bool HaveSharedData();

}  // namespace tarmac::testing

// First statement of a test that reads ../shared/data.
#define TARMAC_NEEDS_SHARED_DATA()                  \
  do {                                              \
    if (!::tarmac::testing::HaveSharedData()) return; \
  } while (false)
