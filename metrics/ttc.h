// time_to_collision_within_bound (nuPlan): at every step, the ego and the
// relevant agents are moved on at constant velocity along their headings in
// steps of 0.1 s up to the horizon; the first overlap gives the step's time
// to collision (0 at an at-fault collision, infinite if none). The metric is
// 1 if every step's TTC exceeds the bound, else 0. Relevant agents: not yet
// collided with, and ahead of the ego (within 30 deg of its heading, seen
// from its rear axle) — or, while the ego straddles lanes or is in an
// intersection, anything not behind it (beyond 150 deg) — whose swept box
// over the horizon meets the ego's.
#pragma once

#include <vector>

#include "metrics/params.h"
#include "sim/rollout.h"
#include "sim/scenario_model.h"

namespace tarmac {

struct TtcSummary {
  double score = 1.0;
  double min_ttc = 1e9;  // smallest TTC over the rollout [s]
  int min_step = -1;
};

TtcSummary ScoreTimeToCollision(const ScenarioModel& model, const RolloutTrace& trace, const MetricParams& params,
                                const std::vector<int>& collided_agents, const std::vector<int>& collision_steps,
                                const std::vector<int>& at_fault_steps);

}  // namespace tarmac
