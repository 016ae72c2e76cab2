#include "policies/registry.h"

#include <fmt/format.h>

#include "policies/constant_velocity_planner.h"
#include "policies/idm_planner.h"
#include "policies/log_planner.h"
#include "policies/pdm_planner.h"

namespace tarmac {

std::vector<std::string> PlannerNames() { return {"log", "constant-velocity", "idm", "pdm"}; }

Result<std::unique_ptr<Planner>> MakePlanner(const std::string& name) {
  if (name == "log") return std::unique_ptr<Planner>(std::make_unique<LogPlanner>());
  if (name == "constant-velocity" || name == "cv") {
    return std::unique_ptr<Planner>(std::make_unique<ConstantVelocityPlanner>());
  }
  if (name == "idm") return std::unique_ptr<Planner>(std::make_unique<IdmPlanner>());
  if (name == "pdm") return std::unique_ptr<Planner>(std::make_unique<PdmPlanner>());
  return Error{fmt::format("--planner '{}' is not one of: {}", name, fmt::join(PlannerNames(), ", "))};
}

}  // namespace tarmac
