#include "policies/registry.h"

#include <fmt/format.h>

#include "policies/constant_velocity_planner.h"
#include "policies/idm_planner.h"
#include "policies/log_planner.h"
#include "policies/pdm_planner.h"

namespace tarmac {

std::vector<std::string> PlannerNames() {
  return {"log", "constant-velocity", "idm", "pdm", "transformer:CKPT", "diffusion:CKPT", "torchscript:PATH"};
}

bool IsLearnedPlanner(const std::string& name) {
  for (const char* kind : {"transformer:", "diffusion:", "torchscript:"}) {
    if (name.rfind(kind, 0) == 0) return true;
  }
  return false;
}

Result<std::unique_ptr<Planner>> MakePlanner(const std::string& name, const PlannerOptions& options) {
  if (name == "log") return std::unique_ptr<Planner>(std::make_unique<LogPlanner>());
  if (name == "constant-velocity" || name == "cv") {
    return std::unique_ptr<Planner>(std::make_unique<ConstantVelocityPlanner>());
  }
  if (name == "idm") return std::unique_ptr<Planner>(std::make_unique<IdmPlanner>());
  if (name == "pdm") return std::unique_ptr<Planner>(std::make_unique<PdmPlanner>());
  // Learned planners: KIND:PATH.
  for (const char* kind : {"transformer", "diffusion", "torchscript"}) {
    const std::string prefix = std::string(kind) + ":";
    if (name.rfind(prefix, 0) != 0) continue;
    const std::string path = name.substr(prefix.size());
    if (path.empty()) return Error{fmt::format("--planner '{}': no file after '{}'", name, prefix)};
    return MakeLearnedPlanner(kind, path, options);
  }
  return Error{fmt::format("--planner '{}' is not one of: {}", name, fmt::join(PlannerNames(), ", "))};
}

}  // namespace tarmac
