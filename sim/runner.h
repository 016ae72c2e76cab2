// The lock-step batch runner: advances many scenarios together, one tick at a
// time. Each tick it asks the planner once for the whole batch (so a learned
// planner runs one forward pass per tick), then tracks, integrates the ego,
// steps the agents and records the signals of every scenario, split across
// threads. Scenarios are independent, so every result is the same for any
// thread count and batch size.
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "sim/agent_model.h"
#include "sim/planner.h"
#include "sim/rollout.h"
#include "sim/scenario_model.h"
#include "sim/thread_pool.h"
#include "sim/tracker.h"

namespace tarmac {

struct SimConfig {
  int batch = 0;              // scenarios in lock-step at once; 0: all
  TrackerParams tracker;
  bool record_agents = true;  // keep per-step agent states in the trace
  bool record_plans = true;   // keep the (thinned) plans in the trace
  // Open loop: the ego replays its log exactly and the planner is not asked
  // (needs a logged ego). For replay baselines and benchmarks.
  bool replay_ego = false;
};

// Called after each finished rollout, in scenario order within a batch.
using RolloutCallback = std::function<void(size_t index, const RolloutResult& result)>;

// Runs one rollout per model. results[i] belongs to models[i]. A scenario whose
// planner fails (throws, returns a non-finite or too short trajectory) is
// marked failed with the reason; the others go on.
std::vector<RolloutResult> RunRollouts(std::span<const std::shared_ptr<const ScenarioModel>> models,
                                       Planner* planner, const AgentModel& agents,
                                       const SimConfig& config, ThreadPool* pool,
                                       const RolloutCallback& on_done = {});

// Checks a plan against the simulator's contract; empty if fine, else the reason.
std::string CheckPlan(const Trajectory& plan, double dt);

}  // namespace tarmac
