// Rule compliance over a rollout: drivable area, driving direction, speed
// limits (nuPlan's definitions, docs/metrics.md) and red lights (tarmac's).
#pragma once

#include "metrics/events.h"
#include "metrics/params.h"
#include "sim/rollout.h"
#include "sim/scenario_model.h"

namespace tarmac {

// drivable_area_compliance: 0 if a corner of the ego was ever more than
// max_offroad outside the drivable area, else 1. `worst` gets the largest
// distance [m].
double DrivableAreaCompliance(const RolloutTrace& trace, const MetricParams& params, double* worst,
                              MetricEvents* events);

// driving_direction_compliance: progress along the lane under the ego's
// centre, summed over a sliding window of direction_window_s; the most
// negative window sum m (against traffic) gives 1 if m < 2 m, 0.5 if m < 6 m,
// else 0. `worst` gets m [m].
double DrivingDirectionCompliance(const RolloutTrace& trace, double dt, const MetricParams& params,
                                  double* worst, MetricEvents* events);

// speed_limit_compliance: 1 - (sum of overspeed * dt) / (max_overspeed * duration),
// at least 0; steps on lanes without a known limit do not count. `worst`
// gets the largest overspeed [m/s].
double SpeedLimitCompliance(const ScenarioModel& model, const RolloutTrace& trace, const MetricParams& params,
                            double* worst);

// Red-light violations: the ego's front crosses the stop point of a light
// showing stop (red, red arrow, flashing red) on a lane it is driving.
int RedLightViolations(const ScenarioModel& model, const RolloutTrace& trace, MetricEvents* events);

}  // namespace tarmac
