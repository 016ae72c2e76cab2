#include "tools/sha256.h"

#include <openssl/evp.h>

#include <fmt/format.h>

#include "scenarios/scenario_io.h"

namespace tarmac {

std::string Sha256Hex(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &len, EVP_sha256(), nullptr);
  std::string hex;
  for (unsigned int i = 0; i < len; ++i) hex += fmt::format("{:02x}", digest[i]);
  return hex;
}

Result<std::string> Sha256File(const std::filesystem::path& path) {
  Result<std::string> bytes = ReadFileBytes(path);
  if (!bytes.ok()) return bytes.error();
  return Sha256Hex(*bytes);
}

}  // namespace tarmac
