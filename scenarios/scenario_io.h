// Reading scenarios from any supported file, and writing tarmac.v1.Scenario
// files (.pb binary, .pbtxt text).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "scenarios/import/format.h"
#include "scenarios/result.h"
#include "tarmac/v1/scenario.pb.h"

namespace tarmac {

struct ReadOptions {
  Format format = Format::kUnknown;  // kUnknown: detect from content and extension
};

// Reads every scenario in a file (a TFRecord may hold many; other formats
// hold one). On failure the error names the file, the position and the reason.
// The scenarios come back in normal form (see FinishScenario).
Result<std::vector<v1::Scenario>> ReadScenarios(const std::filesystem::path& path,
                                                 const ReadOptions& options = {});

// The same from bytes already in memory; `display_name` stands for the file in
// messages and provenance. Never throws and never crashes on any input.
Result<std::vector<v1::Scenario>> ParseScenarios(std::string_view bytes,
                                                  const std::string& display_name,
                                                  Format format);

// Writes one scenario; the extension chooses the encoding: ".pbtxt" (or
// ".textproto") text, anything else binary. Binary output is deterministic:
// the same scenario always gives the same bytes.
Result<void> WriteScenario(const v1::Scenario& scenario, const std::filesystem::path& path);

// Deterministic binary / text encodings.
std::string SerializeBinary(const v1::Scenario& scenario);
std::string SerializeText(const v1::Scenario& scenario);

// Reads a whole file; the error names the file and the OS reason.
Result<std::string> ReadFileBytes(const std::filesystem::path& path);

}  // namespace tarmac
