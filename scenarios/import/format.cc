#include "scenarios/import/format.h"

#include <algorithm>
#include <array>

#include "scenarios/import/commonroad.h"
#include "scenarios/import/gpudrive_json.h"
#include "scenarios/import/scenarionet.h"
#include "scenarios/import/womd.h"

namespace tarmac {
namespace {

struct FormatEntry {
  Format format;
  std::string_view name;
  ImportFn importer;
};


// The importer table. Native .pb/.pbtxt are read by scenario_io.cc itself.
constexpr std::array kFormats = {
    FormatEntry{Format::kTarmacBinary, "tarmac-pb", nullptr},
    FormatEntry{Format::kTarmacText, "tarmac-pbtxt", nullptr},
    FormatEntry{Format::kCommonRoad, "commonroad-xml", &ImportCommonRoad},
    FormatEntry{Format::kScenarioNet, "scenarionet-pickle", &ImportScenarioNet},
    FormatEntry{Format::kWomd, "womd-tfrecord", &ImportWomd},
    FormatEntry{Format::kGpuDrive, "gpudrive-json", &ImportGpuDriveJson},
    FormatEntry{Format::kTarmacSpec, "tarmac-spec", nullptr},
};

// Set once at start-up, before any reading (see RegisterSpecImporter).
ImportFn g_spec_importer = nullptr;

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

std::string_view SkipSpaceAndBom(std::string_view s) {
  if (StartsWith(s, "\xEF\xBB\xBF")) s.remove_prefix(3);
  while (!s.empty() && (s.front() == ' ' || s.front() == '\n' || s.front() == '\r' ||
                        s.front() == '\t')) {
    s.remove_prefix(1);
  }
  return s;
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

}  // namespace

std::string_view FormatName(Format format) {
  for (const FormatEntry& e : kFormats) {
    if (e.format == format) return e.name;
  }
  return "unknown";
}

std::optional<Format> FormatFromName(std::string_view name) {
  for (const FormatEntry& e : kFormats) {
    if (e.name == name) return e.format;
  }
  return std::nullopt;
}

const std::vector<Format>& AllFormats() {
  static const std::vector<Format> all = [] {
    std::vector<Format> v;
    for (const FormatEntry& e : kFormats) v.push_back(e.format);
    return v;
  }();
  return all;
}

void RegisterSpecImporter(ImportFn importer) { g_spec_importer = importer; }

ImportFn ImporterFor(Format format) {
  if (format == Format::kTarmacSpec) return g_spec_importer;
  for (const FormatEntry& e : kFormats) {
    if (e.format == format) return e.importer;
  }
  return nullptr;
}

Format DetectFormat(const std::filesystem::path& path, std::string_view head) {
  const std::string ext = Lower(path.extension().string());
  const std::string name = Lower(path.filename().string());
  // Content first: these signatures are unambiguous.
  const std::string_view text = SkipSpaceAndBom(head);
  if (StartsWith(head, "\x80") && head.size() >= 2) return Format::kScenarioNet;  // pickle PROTO
  if (StartsWith(text, "<?xml") || StartsWith(text, "<commonRoad")) return Format::kCommonRoad;
  // Extension next: binary protobuf and TFRecord have no magic number.
  if (ext == ".pb" || ext == ".bin") return Format::kTarmacBinary;
  if (ext == ".pbtxt" || ext == ".textproto" || ext == ".txtpb") return Format::kTarmacText;
  if (ext == ".xml") return Format::kCommonRoad;
  if (ext == ".pkl" || ext == ".pickle") return Format::kScenarioNet;
  if (ext == ".json") return Format::kGpuDrive;
  if (ext == ".spec") return Format::kTarmacSpec;
  if (ext == ".tfrecord" || name.find(".tfrecord") != std::string::npos) return Format::kWomd;
  if (StartsWith(text, "{")) return Format::kGpuDrive;
  return Format::kUnknown;
}

}  // namespace tarmac
