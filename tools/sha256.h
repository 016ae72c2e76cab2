// SHA-256 digests (OpenSSL) as lowercase hex: identities of suites, files and
// checkpoints in the results store.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "scenarios/result.h"

namespace tarmac {

std::string Sha256Hex(std::string_view bytes);
Result<std::string> Sha256File(const std::filesystem::path& path);

}  // namespace tarmac
