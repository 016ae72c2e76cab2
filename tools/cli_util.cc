#include "tools/cli_util.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <string_view>
#include <system_error>

#include "scenarios/import/format.h"

namespace tarmac {

std::vector<std::filesystem::path> ExpandScenarioPaths(const std::vector<std::string>& args,
                                                       std::vector<std::string>* missing) {
  std::vector<std::filesystem::path> out;
  for (const std::string& arg : args) {
    std::error_code ec;
    const std::filesystem::path p(arg);
    if (std::filesystem::is_directory(p, ec)) {
      std::vector<std::filesystem::path> found;
      for (auto it = std::filesystem::recursive_directory_iterator(p, ec);
           !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
        if (!it->is_regular_file(ec)) continue;
        // In folders, only files whose name says they are scenarios.
        const std::string name = it->path().filename().string();
        const std::string ext = it->path().extension().string();
        static const char* const kExtensions[] = {".xml", ".pkl", ".pickle", ".pb", ".pbtxt",
                                                  ".textproto", ".txtpb", ".json", ".tfrecord", ".spec"};
        bool known = name.find(".tfrecord") != std::string::npos;
        for (const char* e : kExtensions) known = known || ext == e;
        // A spec compiled next to itself (x.spec beside x.pb, as `scenario
        // generate` writes them) is one scenario: the .pb counts.
        if (ext == ".spec") {
          std::filesystem::path compiled = it->path();
          compiled.replace_extension(".pb");
          if (std::filesystem::exists(compiled, ec)) known = false;
        }
        if (known) found.push_back(it->path());
      }
      std::sort(found.begin(), found.end());
      out.insert(out.end(), found.begin(), found.end());
    } else if (std::filesystem::exists(p, ec)) {
      out.push_back(p);
    } else if (missing != nullptr) {
      missing->push_back(arg);
    }
  }
  return out;
}

std::filesystem::path SourceRoot() {
  if (const char* env = std::getenv("TARMAC_SOURCE_DIR"); env != nullptr && *env != '\0') return env;
  return TARMAC_SOURCE_DIR;
}

std::filesystem::path DefaultSuiteDir() { return SourceRoot() / "suites" / "default"; }

std::filesystem::path ShippedModelsDir() { return SourceRoot() / "models"; }

std::string ResolvePlannerName(const std::string& name) {
  static constexpr std::string_view kAgentsPrefix = "planner:";
  if (name.rfind(kAgentsPrefix, 0) == 0) {
    return std::string(kAgentsPrefix) + ResolvePlannerName(name.substr(kAgentsPrefix.size()));
  }
  if (name == "transformer") return name + ":" + (ShippedModelsDir() / (name + ".ckpt")).string();
  return name;
}

std::string LearnedPlannerFile(const std::string& resolved_name) {
  for (std::string_view kind : {"transformer:", "diffusion:", "torchscript:"}) {
    if (resolved_name.rfind(kind, 0) == 0) return resolved_name.substr(kind.size());
  }
  return "";
}

std::filesystem::path SharedDataDir() {
  if (const char* env = std::getenv("TARMAC_DATA_DIR"); env != nullptr && *env != '\0') return env;
  const std::filesystem::path p = SourceRoot().parent_path() / "shared" / "data";
  std::error_code ec;
  return std::filesystem::is_directory(p, ec) ? p : std::filesystem::path();
}

}  // namespace tarmac

namespace tarmac {
namespace {
std::function<int()>& SelectedCommand() {
  static std::function<int()> command;
  return command;
}
}  // namespace

void SetCommand(std::function<int()> command) { SelectedCommand() = std::move(command); }

int RunSelectedCommand() {
  if (!SelectedCommand()) return kExitInputError;
  return SelectedCommand()();
}

}  // namespace tarmac
