#include "agents/registry.h"

#include <fmt/format.h>

#include "agents/idm_agents.h"
#include "agents/log_agents.h"

namespace tarmac {

std::vector<std::string> AgentModelNames() { return {"log", "idm"}; }

Result<std::unique_ptr<AgentModel>> MakeAgentModel(const std::string& name) {
  if (name == "log") return std::unique_ptr<AgentModel>(std::make_unique<LogAgents>());
  if (name == "idm") return std::unique_ptr<AgentModel>(std::make_unique<IdmAgents>());
  return Error{fmt::format("--agents '{}' is not one of: log, idm", name)};
}

}  // namespace tarmac
