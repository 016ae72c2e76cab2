// Agent models by name, for the command line: "log", "idm".
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "scenarios/result.h"
#include "sim/agent_model.h"

namespace tarmac {

Result<std::unique_ptr<AgentModel>> MakeAgentModel(const std::string& name);
std::vector<std::string> AgentModelNames();

}  // namespace tarmac
