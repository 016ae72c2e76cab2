#include "metrics/scenario_metrics.h"

#include <cmath>

#include "metrics/collisions.h"
#include "metrics/comfort.h"
#include "metrics/compliance.h"
#include "metrics/progress.h"
#include "metrics/ttc.h"

namespace tarmac {

ScenarioMetrics ComputeMetrics(const ScenarioModel& model, const RolloutResult& rollout, const MetricParams& p,
                               MetricEvents* events) {
  ScenarioMetrics out;
  const RolloutTrace& t = rollout.trace;
  const CollisionSummary coll = ScoreCollisions(model, t, p, events);
  out.no_at_fault_collisions = coll.score;
  out.collisions = coll.total;
  out.at_fault_collisions = coll.at_fault;
  out.drivable_area_compliance = DrivableAreaCompliance(t, p, &out.max_offroad_m, events);
  out.driving_direction_compliance =
      DrivingDirectionCompliance(t, model.dt(), p, &out.max_against_traffic_m, events);
  const ProgressSummary prog = ScoreProgress(model, t, p);
  out.progress = prog.ratio;
  out.making_progress = prog.making_progress;
  out.progress_m = prog.ego_m;
  out.reference_progress_m = prog.reference_m;
  const TtcSummary ttc = ScoreTimeToCollision(model, t, p, coll.collided_agents, coll.collision_steps,
                                              coll.at_fault_steps);
  out.ttc_within_bound = ttc.score;
  out.min_ttc_s = ttc.min_ttc;
  out.speed_limit_compliance = SpeedLimitCompliance(model, t, p, &out.max_overspeed_mps);
  // Comfort over the ego's recorded dynamics.
  std::vector<double> accel, heading, speed;
  for (const EgoSample& e : t.ego) {
    accel.push_back(e.accel);
    heading.push_back(e.heading);
    speed.push_back(e.speed);
  }
  out.comfortable = WithinComfortBounds(ComputeComfortSignals(accel, heading, speed, model.dt())) ? 1.0 : 0.0;
  out.red_light_violations = RedLightViolations(model, t, events);
  out.goal_reached = GoalReached(model, t, events);
  DisplacementFromLog(model, t, &out.ade, &out.fde);
  out.min_distance = MinDistanceToAgents(t);

  const double multipliers = out.no_at_fault_collisions * out.drivable_area_compliance *
                             out.driving_direction_compliance * out.making_progress;
  const double weights = p.weight_progress + p.weight_ttc + p.weight_speed + p.weight_comfort;
  out.score = multipliers * (p.weight_progress * out.progress + p.weight_ttc * out.ttc_within_bound +
                             p.weight_speed * out.speed_limit_compliance + p.weight_comfort * out.comfortable) /
              weights;
  return out;
}

std::vector<std::pair<std::string, double>> MetricColumns(const ScenarioMetrics& m) {
  return {{"no_at_fault_collisions", m.no_at_fault_collisions},
          {"drivable_area_compliance", m.drivable_area_compliance},
          {"driving_direction_compliance", m.driving_direction_compliance},
          {"making_progress", m.making_progress},
          {"progress", m.progress},
          {"ttc_within_bound", m.ttc_within_bound},
          {"speed_limit_compliance", m.speed_limit_compliance},
          {"comfortable", m.comfortable},
          {"collisions", m.collisions},
          {"at_fault_collisions", m.at_fault_collisions},
          {"red_light_violations", m.red_light_violations},
          {"goal_reached", m.goal_reached},
          {"ade", m.ade},
          {"fde", m.fde},
          {"min_distance", m.min_distance},
          {"progress_m", m.progress_m},
          {"reference_progress_m", m.reference_progress_m},
          {"min_ttc_s", m.min_ttc_s},
          {"max_offroad_m", m.max_offroad_m},
          {"max_against_traffic_m", m.max_against_traffic_m},
          {"max_overspeed_mps", m.max_overspeed_mps}};
}

}  // namespace tarmac
