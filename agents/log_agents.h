// `log` agents: every agent replays its log, appearing and disappearing with
// its valid flags (non-reactive).
#pragma once

#include "sim/agent_model.h"

namespace tarmac {

class LogAgents final : public AgentModel {
 public:
  std::string name() const override { return "log"; }
  void Reset(const ScenarioModel& model, SimState* state) const override;
  void Step(const ScenarioModel& model, SimState* state) const override;
};

// Sets agent i in `state` to its logged state at `step` (active iff valid).
void ReplayAgent(const ScenarioModel& model, int step, int i, SimState* state);

}  // namespace tarmac
