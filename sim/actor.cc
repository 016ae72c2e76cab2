#include "sim/actor.h"

#include <cmath>
#include <numbers>

namespace tarmac {

double ActorState::ref_x() const { return x - reference_offset * std::cos(heading); }
double ActorState::ref_y() const { return y - reference_offset * std::sin(heading); }

ActorState ActorOf(const ScenarioModel& m, const SimState& st, int actor) {
  ActorState a;
  if (actor == kEgoActor) {
    const Box b = EgoBox(st.ego, m.ego_vehicle());
    a = {b.x, b.y, b.heading, st.ego.speed, b.length, b.width, m.ego_vehicle().rear_axle_to_center};
    return a;
  }
  const size_t k = static_cast<size_t>(actor);
  a.x = st.x[k];
  a.y = st.y[k];
  a.heading = st.heading[k];
  a.speed = st.vx[k] * std::cos(a.heading) + st.vy[k] * std::sin(a.heading);
  a.length = m.agent_length(actor);
  a.width = m.agent_width(actor);
  return a;
}

const LanePath* ActorRoute(const ScenarioModel& m, int actor) {
  if (actor == kEgoActor) return m.route_path().path.points().size() >= 2 ? &m.route_path() : nullptr;
  const AgentPath& p = m.agent_path(actor);
  return p.usable ? &p.lanes : nullptr;
}

void CollectObstaclesFor(const ScenarioModel& m, const SimState& st, int actor, double radius,
                         std::vector<Obstacle>* out, std::vector<v1::TrackType>* types) {
  out->clear();
  if (types != nullptr) types->clear();
  const ActorState self = ActorOf(m, st, actor);
  auto add = [&](double x, double y, double heading, double vx, double vy, double length, double width,
                 v1::TrackType type) {
    const double dx = x - self.x, dy = y - self.y;
    if (dx * dx + dy * dy > radius * radius) return;
    // Speed along the box heading; a velocity pointing backwards flips the heading.
    double speed = vx * std::cos(heading) + vy * std::sin(heading);
    if (speed < 0.0) {
      heading += heading > 0.0 ? -std::numbers::pi : std::numbers::pi;
      speed = -speed;
    }
    out->push_back({x, y, heading, length, width, speed});
    if (types != nullptr) types->push_back(type);
  };
  if (actor != kEgoActor) {
    const Box e = EgoBox(st.ego, m.ego_vehicle());
    add(e.x, e.y, e.heading, st.ego.speed * std::cos(e.heading), st.ego.speed * std::sin(e.heading), e.length,
        e.width, v1::TRACK_TYPE_VEHICLE);
  }
  for (int i = 0; i < st.num_agents(); ++i) {
    if (i == actor || !st.active(i)) continue;
    const size_t k = static_cast<size_t>(i);
    add(st.x[k], st.y[k], st.heading[k], st.vx[k], st.vy[k], m.agent_length(i), m.agent_width(i),
        m.agent_type(i));
  }
}

}  // namespace tarmac
