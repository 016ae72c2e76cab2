#include "metrics/collisions.h"

#include <fmt/format.h>

#include <cmath>

#include "metrics/collision_fault.h"
#include "scenarios/summary.h"

namespace tarmac {

Box EgoBoxAt(const ScenarioModel& m, const EgoSample& e) {
  return Box{e.x, e.y, e.heading, m.ego_vehicle().length, m.ego_vehicle().width};
}

Box AgentBoxAt(const ScenarioModel& m, const RolloutTrace& t, int k, int i) {
  const size_t a = static_cast<size_t>(k) * static_cast<size_t>(t.num_agents) + static_cast<size_t>(i);
  return Box{t.agent_x[a], t.agent_y[a], t.agent_heading[a], m.agent_length(i), m.agent_width(i)};
}

CollisionSummary ScoreCollisions(const ScenarioModel& m, const RolloutTrace& trace, const MetricParams& p,
                                 MetricEvents* events) {
  CollisionSummary out;
  if (trace.ego.empty()) return out;
  const int first_step = trace.ego.front().step;
  const double d = m.ego_vehicle().rear_axle_to_center;
  for (const CollisionEvent& c : trace.collisions) {
    ++out.total;
    out.collided_agents.push_back(c.agent);
    out.collision_steps.push_back(c.step);
    const int k = c.step - first_step;
    const EgoSample& e = trace.ego[static_cast<size_t>(k)];
    EgoAtContact ego;
    ego.box = EgoBoxAt(m, e);
    ego.rear_x = e.x - d * std::cos(e.heading);
    ego.rear_y = e.y - d * std::sin(e.heading);
    ego.speed = e.speed;
    CollisionParty other;
    other.box = trace.agent_x.empty() ? Box{} : AgentBoxAt(m, trace, k, c.agent);
    other.speed = c.agent_speed;
    other.is_static = c.agent_type == v1::TRACK_TYPE_STATIC;
    const CollisionType type = ClassifyCollision(ego, other);
    const bool at_fault = IsAtFault(type, e.multiple_lanes || e.offroad_m > 0.0);
    if (at_fault) {
      ++out.at_fault;
      out.at_fault_steps.push_back(c.step);
      if (c.agent_type == v1::TRACK_TYPE_PEDESTRIAN || c.agent_type == v1::TRACK_TYPE_CYCLIST) {
        ++out.at_fault_vrus;
      } else if (c.agent_type == v1::TRACK_TYPE_STATIC) {
        ++out.at_fault_objects;
      } else {
        ++out.at_fault_vehicles;
      }
    }
    if (events != nullptr) {
      events->push_back({c.step, "collision", c.agent_id, TrackTypeName(c.agent_type),
                         fmt::format("{}, {}", CollisionTypeName(type), at_fault ? "at fault" : "not at fault"),
                         c.ego_speed});
    }
  }
  if (out.at_fault > 0) {
    auto factor = [](int n, int threshold) { return std::max(0.0, 1.0 - n / (threshold + 1.0)); };
    out.score = factor(out.at_fault_vehicles, p.vehicle_collision_threshold) *
                factor(out.at_fault_vrus, p.vru_collision_threshold) *
                factor(out.at_fault_objects, p.object_collision_threshold);
  }
  return out;
}

}  // namespace tarmac
