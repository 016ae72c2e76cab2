// Every metric of one rollout, and the scenario score (nuPlan's CLS): the
// product of the multipliers (no at-fault collisions, drivable area, driving
// direction, making progress) times the weighted average of progress (5),
// time to collision (5), speed limit (4) and comfort (2). docs/metrics.md
// defines each one, with its thresholds and sources.
#pragma once

#include <string>
#include <vector>

#include "metrics/events.h"
#include "metrics/params.h"
#include "sim/rollout.h"
#include "sim/scenario_model.h"

namespace tarmac {

struct ScenarioMetrics {
  // Multipliers.
  double no_at_fault_collisions = 1.0;     // 1, 0.5, 0
  double drivable_area_compliance = 1.0;   // 0 / 1
  double driving_direction_compliance = 1.0;  // 1, 0.5, 0
  double making_progress = 1.0;            // 0 / 1
  // Weighted.
  double progress = 1.0;                   // ratio to the expert (or goal), [0, 1]
  double ttc_within_bound = 1.0;           // 0 / 1
  double speed_limit_compliance = 1.0;     // [0, 1]
  double comfortable = 1.0;                // 0 / 1
  double score = 1.0;                      // [0, 1]
  // Beyond nuPlan.
  int collisions = 0;                      // every ego-agent contact
  int at_fault_collisions = 0;
  int red_light_violations = 0;
  double goal_reached = 0.0;               // 0 / 1; NaN without a goal
  double ade = 0.0, fde = 0.0;             // to the logged ego [m]; NaN without one
  double min_distance = 0.0;               // to any agent [m]; NaN if none came near
  // Raw values behind the scores.
  double progress_m = 0.0, reference_progress_m = 0.0;
  double min_ttc_s = 0.0;
  double max_offroad_m = 0.0;
  double max_against_traffic_m = 0.0;
  double max_overspeed_mps = 0.0;
};

ScenarioMetrics ComputeMetrics(const ScenarioModel& model, const RolloutResult& rollout,
                               const MetricParams& params = {}, MetricEvents* events = nullptr);

// The metric columns, in a fixed order, by name (as in docs/metrics.md and
// the results store): name -> value.
std::vector<std::pair<std::string, double>> MetricColumns(const ScenarioMetrics& m);

}  // namespace tarmac
