// `tarmac simulate`: closed-loop rollouts of scenarios with a planner and an
// agent model, printing a per-scenario summary and the rollout hash.
#pragma once

#include <CLI/CLI.hpp>

#include <memory>
#include <string>

#include "policies/registry.h"
#include "scenarios/result.h"
#include "sim/agent_model.h"

namespace tarmac {

void AddSimulateCommand(CLI::App* app);

// Agent models by command-line name: "log", "idm", or "planner:NAME".
// Planner-driven agents get `options` (threads, device, seed) like the ego's planner.
Result<std::unique_ptr<AgentModel>> MakeAgents(const std::string& name, const PlannerOptions& options = {});

}  // namespace tarmac
