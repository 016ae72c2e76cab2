#include "metrics/ttc.h"

#include <algorithm>
#include <cmath>

#include "metrics/collisions.h"
#include "scenarios/import/import_util.h"
#include "sim/geometry.h"

namespace tarmac {

TtcSummary ScoreTimeToCollision(const ScenarioModel& m, const RolloutTrace& trace, const MetricParams& p,
                                const std::vector<int>& collided_agents, const std::vector<int>& collision_steps,
                                const std::vector<int>& at_fault_steps) {
  TtcSummary out;
  if (trace.ego.empty()) return out;
  const double dt = 0.1;  // nuPlan's projection step [s]
  const int projections = static_cast<int>(std::ceil(p.ttc_horizon / dt - 1e-9)) - 1;  // 0.1 .. 2.9 s
  const double ahead = p.ahead_angle_deg * M_PI / 180.0;
  const double behind = p.behind_angle_deg * M_PI / 180.0;
  const double d_rear = m.ego_vehicle().rear_axle_to_center;
  // Without recorded agent states there is nothing to project.
  const int n = trace.agent_x.empty() ? 0 : trace.num_agents;
  std::vector<Box> tracks;
  std::vector<Vec2> step_of;  // per-step displacement of each relevant track
  for (size_t k = 0; k < trace.ego.size(); ++k) {
    const EgoSample& e = trace.ego[k];
    double ttc = 1e9;
    if (std::find(at_fault_steps.begin(), at_fault_steps.end(), e.step) != at_fault_steps.end()) {
      ttc = 0.0;
    } else if (std::abs(e.speed) > p.ttc_stopped_speed) {
      const Box ego = EgoBoxAt(m, e);
      const double rx = e.x - d_rear * std::cos(e.heading), ry = e.y - d_rear * std::sin(e.heading);
      const Vec2 ego_step{dt * e.speed * std::cos(e.heading), dt * e.speed * std::sin(e.heading)};
      // The ego's swept box over the horizon.
      Box ego_swept = ego;
      // (nuPlan: length + 30 |d|, centre moved 15 d, for d the 0.1 s displacement.)
      const double steps = projections + 1;
      ego_swept.length += Norm(ego_step.x, ego_step.y) * steps;
      ego_swept.x += ego_step.x * 0.5 * steps;
      ego_swept.y += ego_step.y * 0.5 * steps;
      tracks.clear();
      step_of.clear();
      for (int i = 0; i < n; ++i) {
        const size_t a = k * static_cast<size_t>(n) + static_cast<size_t>(i);
        if (!trace.agent_active[a]) continue;
        bool collided = false;
        for (size_t c = 0; c < collided_agents.size(); ++c) {
          collided = collided || (collided_agents[c] == i && collision_steps[c] <= e.step);
        }
        if (collided) continue;
        const Box b = AgentBoxAt(m, trace, static_cast<int>(k), i);
        const double bearing = std::abs(WrapAngle(std::atan2(b.y - ry, b.x - rx) - e.heading));
        const bool relevant = bearing < ahead || ((e.multiple_lanes || e.in_intersection) && bearing <= behind);
        if (!relevant) continue;
        const double speed = m.agent_type(i) == v1::TRACK_TYPE_STATIC ? 0.0 : Norm(trace.agent_vx[a], trace.agent_vy[a]);
        const Vec2 s{dt * speed * std::cos(b.heading), dt * speed * std::sin(b.heading)};
        Box swept = b;
        swept.length += Norm(s.x, s.y) * steps;
        swept.x += s.x * 0.5 * steps;
        swept.y += s.y * 0.5 * steps;
        if (!BoxesOverlap(ego_swept, swept)) continue;
        tracks.push_back(b);
        step_of.push_back(s);
      }
      Box moved = ego;
      for (int j = 1; j <= projections && ttc > 1e8; ++j) {
        moved.x += ego_step.x;
        moved.y += ego_step.y;
        for (size_t t = 0; t < tracks.size(); ++t) {
          tracks[t].x += step_of[t].x;
          tracks[t].y += step_of[t].y;
          if (BoxesOverlap(moved, tracks[t])) {
            ttc = j * dt;
            break;
          }
        }
      }
    }
    if (ttc < out.min_ttc) {
      out.min_ttc = ttc;
      out.min_step = e.step;
    }
  }
  out.score = out.min_ttc > p.ttc_bound ? 1.0 : 0.0;
  return out;
}

}  // namespace tarmac
