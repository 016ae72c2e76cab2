// The scenario file formats tarmac reads, how a file's format is recognised,
// and the table of importers.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tarmac/v1/scenario.pb.h"

namespace tarmac {

enum class Format {
  kUnknown,
  kTarmacBinary,   // tarmac.v1.Scenario, binary protobuf (.pb)
  kTarmacText,     // tarmac.v1.Scenario, protobuf text format (.pbtxt)
  kCommonRoad,     // CommonRoad XML, schema 2018b or 2020a (.xml)
  kScenarioNet,    // ScenarioNet / MetaDrive scenario description pickle (.pkl)
  kWomd,           // Waymo Open Motion Dataset Scenario protos in TFRecord framing
  kGpuDrive,       // GPUDrive / nocturne JSON (WOMD converted) (.json)
  kTarmacSpec,     // tarmac.v1.ScenarioSpec text, compiled on reading (.spec);
                   // needs RegisterSpecImporter (authoring/spec_format.h)
};

// Stable lowercase name, used in --format flags, `info` output and provenance.
std::string_view FormatName(Format format);
std::optional<Format> FormatFromName(std::string_view name);
// Every readable format, in a fixed order.
const std::vector<Format>& AllFormats();

// Recognises a file by its leading bytes, falling back to its extension.
// `head` is the first bytes of the file (up to 4 KiB is plenty).
Format DetectFormat(const std::filesystem::path& path, std::string_view head);

// What an importer knows about its input besides the bytes.
struct ImportContext {
  std::string source_file;  // path as the user gave it, for provenance and errors
};

// An importer turns a whole file's bytes into scenarios. It throws ImportError
// (import/import_util.h) with a message naming the position and the reason;
// callers use ParseScenarios (scenario_io.h), which turns that into an Error.
using ImportFn = std::vector<v1::Scenario> (*)(std::string_view bytes, const ImportContext& ctx);

// The importer for a format; nullptr for kUnknown, and for kTarmacSpec until
// a spec compiler is registered.
ImportFn ImporterFor(Format format);

// Installs the .spec compiler. scenarios/ cannot depend on authoring/ (which
// builds on the simulator), so the program registers it at start-up:
// authoring/spec_format.h. Spec importers include the file name and line in
// their errors themselves.
void RegisterSpecImporter(ImportFn importer);

}  // namespace tarmac
