#include "scenarios/scenario_io.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/text_format.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <new>
#include <system_error>

#include "scenarios/import/import_util.h"

namespace tarmac {
namespace {

// Collects the first text-format parse error with its line and column.
class TextErrorCollector : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, google::protobuf::io::ColumnNumber column,
                const std::string& message) override {
    if (first_.empty()) first_ = fmt::format("line {}, column {}: {}", line + 1, column + 1, message);
  }
  const std::string& first() const { return first_; }

 private:
  std::string first_;
};

std::vector<v1::Scenario> ParseNative(std::string_view bytes, Format format) {
  v1::Scenario scenario;
  if (format == Format::kTarmacBinary) {
    if (bytes.size() > static_cast<size_t>(INT32_MAX)) ThrowImportError("file larger than 2 GiB");
    if (!scenario.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
      ThrowImportError("not a valid binary tarmac.v1.Scenario (truncated or corrupt protobuf)");
    }
  } else {
    google::protobuf::TextFormat::Parser parser;
    TextErrorCollector errors;
    parser.RecordErrorsTo(&errors);
    if (!parser.ParseFromString(std::string(bytes), &scenario)) {
      ThrowImportError("{}", errors.first().empty() ? "invalid text format" : errors.first());
    }
  }
  std::vector<v1::Scenario> out;
  out.push_back(std::move(scenario));
  return out;
}

}  // namespace

Result<std::string> ReadFileBytes(const std::filesystem::path& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    return Error{fmt::format("{}: is a directory, expected a file", path.string())};
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error{fmt::format("{}: cannot open: {}", path.string(), std::strerror(errno))};
  std::string bytes;
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  if (size < 0) return Error{fmt::format("{}: cannot determine its size", path.string())};
  bytes.resize(static_cast<size_t>(size));
  in.seekg(0, std::ios::beg);
  in.read(bytes.data(), size);
  if (!in) return Error{fmt::format("{}: read failed: {}", path.string(), std::strerror(errno))};
  return bytes;
}

Result<std::vector<v1::Scenario>> ParseScenarios(std::string_view bytes,
                                                  const std::string& display_name,
                                                  Format format) {
  try {
    std::vector<v1::Scenario> scenarios;
    if (format == Format::kTarmacBinary || format == Format::kTarmacText) {
      scenarios = ParseNative(bytes, format);
    } else {
      const ImportFn importer = ImporterFor(format);
      if (importer == nullptr && format == Format::kTarmacSpec) {
        ThrowImportError("reading .spec files needs the scenario compiler (authoring/spec_format.h); "
                         "use the tarmac command or `tarmac scenario build`");
      }
      if (importer == nullptr) {
        ThrowImportError("unrecognised format (supported: .xml CommonRoad, .pkl ScenarioNet, "
                         ".tfrecord WOMD, .json GPUDrive, .pb/.pbtxt tarmac, .spec tarmac spec)");
      }
      ImportContext ctx{display_name};
      scenarios = importer(bytes, ctx);
      for (v1::Scenario& s : scenarios) {
        v1::Provenance* p = s.mutable_provenance();
        p->set_source_format(std::string(FormatName(format)));
        p->set_source_file(display_name);
      }
    }
    for (size_t i = 0; i < scenarios.size(); ++i) {
      try {
        FinishScenario(&scenarios[i]);
      } catch (const ImportError& e) {
        if (scenarios.size() == 1) throw;
        ThrowImportError("record {} (scenario '{}'): {}", i, scenarios[i].id(), e.what());
      }
    }
    return scenarios;
  } catch (const ImportError& e) {
    // The spec compiler's errors already start "file:line:col:".
    if (format == Format::kTarmacSpec && ImporterFor(format) != nullptr) return Error{e.what()};
    return Error{fmt::format("{}: {}", display_name, e.what())};
  } catch (const std::bad_alloc&) {
    return Error{fmt::format("{}: out of memory while importing (corrupt sizes?)", display_name)};
  } catch (const std::exception& e) {
    return Error{fmt::format("{}: {}", display_name, e.what())};
  }
}

Result<std::vector<v1::Scenario>> ReadScenarios(const std::filesystem::path& path,
                                                 const ReadOptions& options) {
  Result<std::string> bytes = ReadFileBytes(path);
  if (!bytes.ok()) return bytes.error();
  Format format = options.format;
  if (format == Format::kUnknown) {
    format = DetectFormat(path, std::string_view(*bytes).substr(0, 4096));
  }
  return ParseScenarios(*bytes, path.string(), format);
}

std::string SerializeBinary(const v1::Scenario& scenario) {
  std::string out;
  {
    google::protobuf::io::StringOutputStream stream(&out);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    scenario.SerializeToCodedStream(&coded);
  }
  return out;
}

std::string SerializeText(const v1::Scenario& scenario) {
  google::protobuf::TextFormat::Printer printer;
  printer.SetUseShortRepeatedPrimitives(true);
  std::string out;
  printer.PrintToString(scenario, &out);
  return out;
}

Result<void> WriteScenario(const v1::Scenario& scenario, const std::filesystem::path& path) {
  const std::string ext = path.extension().string();
  const bool text = ext == ".pbtxt" || ext == ".textproto" || ext == ".txtpb";
  const std::string bytes = text ? SerializeText(scenario) : SerializeBinary(scenario);
  // Write to a temporary name and rename, so a reader never sees half a file.
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return Error{fmt::format("{}: cannot write: {}", path.string(), std::strerror(errno))};
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) return Error{fmt::format("{}: write failed: {}", path.string(), std::strerror(errno))};
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return Error{fmt::format("{}: cannot rename into place: {}", path.string(), ec.message())};
  return {};
}

}  // namespace tarmac
