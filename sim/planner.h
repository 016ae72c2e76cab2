// The planner interface the simulator steps. Implementations live in
// policies/ (rule-based and learned planners); the ego is driven by one, and
// agents can be too.
//
// A planner sees one scenario's model and current state per request: the ego
// state, the agents' current states, the map, the route and the traffic
// lights at the current step (ScenarioModel::LaneSignal(state.step, lane)).
// It must not read the future of the log, with one declared exception: the
// `log` planner (the expert) replays the logged ego. Everything a planner
// changes across ticks lives in SimState or in a declared planner-state blob:
// the built-in planners are stateless.
#pragma once

#include <span>
#include <string>

#include "sim/scenario_model.h"
#include "sim/sim_state.h"
#include "sim/state_history.h"
#include "sim/trajectory.h"

namespace tarmac {

class ThreadPool;

struct PlanRequest {
  const ScenarioModel* model = nullptr;
  const SimState* state = nullptr;
  // Whom the plan is for: kEgoActor (-1), or the index of an agent the
  // planner drives (sim/actor.h gives both the same view).
  int actor = -1;
  // The rollout's simulated past up to and including `state` (the last 21
  // states), when the planner wants_history() and the caller keeps one; else
  // null. The runner keeps it for the ego's planner; planner-driven agents
  // (agents/planner_agents.h) get null.
  const StateHistory* history = nullptr;
};

class Planner {
 public:
  virtual ~Planner() = default;
  virtual std::string name() const = 0;
  // True if Plan() reads PlanRequest::history (learned planners); the runner
  // then keeps one per rollout. The rule-based planners see "now" only.
  virtual bool wants_history() const { return false; }

  // Plans for a batch of scenarios in lock-step: fills plans[i] for
  // requests[i], or sets errors[i] to a non-empty reason (that scenario then
  // fails; the others go on). One call per tick for the whole batch, so a
  // learned planner runs one forward pass. `pool` (may be null) is there for
  // planners that split the batch across threads; each output must depend on
  // its own request only, so results are the same for any thread count.
  virtual void Plan(std::span<const PlanRequest> requests, std::span<Trajectory> plans,
                    std::span<std::string> errors, ThreadPool* pool) = 0;
};

}  // namespace tarmac
