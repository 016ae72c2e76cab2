// `planner:NAME` agents: every reactive vehicle (one the IDM agents would
// drive) is driven by a planner instead, through the same interface as the
// ego, one batched Plan() call per step for all of them. The agent moves to
// its plan's pose one step ahead (agents have no bicycle model). Where the
// planner fails for an agent, that agent falls back to IDM for the step.
// Spawning, replayed agents and everything else are as in IdmAgents.
//
// The runner steps scenarios on several threads, so Plan() may be called
// concurrently for different scenarios: the planner must be thread-safe
// (the built-in planners are).
#pragma once

#include <memory>

#include "agents/idm_agents.h"
#include "sim/planner.h"

namespace tarmac {

class PlannerAgents final : public AgentModel {
 public:
  explicit PlannerAgents(std::unique_ptr<Planner> planner, IdmAgentParams params = {})
      : planner_(std::move(planner)), idm_(params) {}
  std::string name() const override { return "planner:" + planner_->name(); }
  void Reset(const ScenarioModel& model, SimState* state) const override { idm_.Reset(model, state); }
  void Step(const ScenarioModel& model, SimState* state) const override;

 private:
  std::unique_ptr<Planner> planner_;
  IdmAgents idm_;
};

}  // namespace tarmac
