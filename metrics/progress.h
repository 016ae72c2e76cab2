// Progress, goals and closeness to the expert.
#pragma once

#include <cmath>
#include <limits>

#include "metrics/events.h"
#include "metrics/params.h"
#include "sim/rollout.h"
#include "sim/scenario_model.h"

namespace tarmac {

struct ProgressSummary {
  double ego_m = 0.0;          // ego progress along the route path [m]
  double reference_m = 0.0;    // the expert's (or the goal's) [m]
  bool against_goal = false;   // the reference is the distance to the goal (no logged ego)
  double ratio = 1.0;          // ego_progress_along_expert_route
  double making_progress = 1.0;  // ego_is_making_progress: ratio >= min_progress_ratio
};

// nuPlan's ego_progress_along_expert_route: progress of the ego's centre along
// the route path (the lanes the logged ego drove) relative to the logged
// ego's over the same steps: 0 if the ego went back more than the floor,
// else min(1, max(ego, floor) / max(expert, floor)). Without a logged ego
// (CommonRoad planning problems) the reference is the route distance from
// the start to the goal (its nearest point on the route path); without a goal
// either, the ratio is 1.
ProgressSummary ScoreProgress(const ScenarioModel& model, const RolloutTrace& trace, const MetricParams& params);

// Goal reached: 1 if at some step the ego satisfied every constraint of some
// goal region (position in a shape or on a goal lane, step, heading, speed),
// 0 if never, NaN when the scenario has no goal.
double GoalReached(const ScenarioModel& model, const RolloutTrace& trace, MetricEvents* events);

// Average and final distance of the ego's centre to the logged ego's over the
// steps where the log is valid; NaN without a logged ego.
void DisplacementFromLog(const ScenarioModel& model, const RolloutTrace& trace, double* ade, double* fde);

// Smallest box distance from the ego to any agent over the rollout [m].
double MinDistanceToAgents(const RolloutTrace& trace);

inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

}  // namespace tarmac
