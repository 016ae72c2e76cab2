#include "sim/signals.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "sim/geometry.h"

namespace tarmac {
namespace {

// Agents farther than this (centre to centre) are not measured for min_gap.
constexpr double kGapRadius = 40.0;  // [m]

Box AgentBox(const ScenarioModel& model, const SimState& s, int i) {
  const size_t k = static_cast<size_t>(i);
  return Box{s.x[k], s.y[k], s.heading[k], model.agent_length(i), model.agent_width(i)};
}

}  // namespace

EgoSample ComputeEgoSample(const ScenarioModel& model, const SimState& state, const EgoSample* previous) {
  const VehicleParams& v = model.ego_vehicle();
  const Box box = EgoBox(state.ego, v);
  EgoSample e;
  e.step = state.step;
  e.x = box.x;
  e.y = box.y;
  e.heading = box.heading;
  e.speed = state.ego.speed;
  e.accel = state.ego.accel;
  e.steer = state.ego.steer;
  e.yaw_rate = state.ego.yaw_rate;
  e.yaw_accel = state.ego.yaw_accel;
  const MapIndex& map = model.map();
  if (map.num_lanes() > 0) {
    const LaneProjection p = map.ProjectWithHeading(box.x, box.y, box.heading);
    e.lane = p.lane;
    e.lane_d = p.d;
    e.heading_error = p.heading_error;
    double off = 0.0, edge = 1e9;
    for (const Vec2& c : Corners(box)) {
      off = std::max(off, map.DistanceOutsideDrivable(c.x, c.y));
      edge = std::min(edge, map.DistanceToRoadEdge(c.x, c.y));
    }
    e.offroad_m = off;
    e.road_edge_m = edge;
    LaneProjection under = map.Project(box.x, box.y);
    // Inside an intersection lanes cross each other, and the nearest
    // centreline may be a crossing or oncoming connector; there the lane
    // under the ego is the intersection lane that best matches its heading,
    // if one is about as near (within 1 m more) as the nearest.
    if (under.found() && map.IsIntersection(under.lane) && p.found() && p.lane != under.lane &&
        map.IsIntersection(p.lane) && p.distance < under.distance + 1.0) {
      under = p;
    }
    e.lane_under = under.lane;
    e.lane_under_s = under.s;
    e.in_intersection = under.found() && map.IsIntersection(under.lane);
    if (under.found()) {
      // Every corner inside the lane under the centre or a lane joined to it.
      auto inside_connected = [&](const Vec2& c) {
        if (map.InsideLane(under.lane, c.x, c.y)) return true;
        for (LaneIdx l : map.Successors(under.lane)) {
          if (map.InsideLane(l, c.x, c.y)) return true;
        }
        for (LaneIdx l : map.Predecessors(under.lane)) {
          if (map.InsideLane(l, c.x, c.y)) return true;
        }
        return false;
      };
      for (const Vec2& c : Corners(box)) e.multiple_lanes = e.multiple_lanes || !inside_connected(c);
    }
    const Path2& route = model.route_path().path;
    if (!route.empty()) {
      // Near the previous sample's foot point first; the whole path if that fails.
      PathProjection on_route;
      on_route.distance = 1e9;
      if (previous != nullptr) {
        on_route = route.ProjectWindow(box.x, box.y, previous->route_s - 30.0, previous->route_s + 60.0);
      }
      if (on_route.distance > 10.0) on_route = route.Project(box.x, box.y);
      e.route_s = on_route.s;
    }
  }
  const double reach = kGapRadius;
  for (int i = 0; i < state.num_agents(); ++i) {
    if (!state.active(i)) continue;
    const size_t k = static_cast<size_t>(i);
    const double dx = state.x[k] - box.x, dy = state.y[k] - box.y;
    const double d2 = dx * dx + dy * dy;
    if (d2 > reach * reach) continue;
    // Centre distance minus both bounding radii bounds the gap from below:
    // skip the exact distance when it cannot beat the best so far.
    const Box agent = AgentBox(model, state, i);
    if (std::sqrt(d2) - BoundingRadius(box) - BoundingRadius(agent) >= e.min_gap_m) continue;
    const double gap = BoxDistance(box, agent);
    if (gap < e.min_gap_m) {
      e.min_gap_m = gap;
      e.nearest_agent = i;
    }
  }
  return e;
}

void DetectCollisions(const ScenarioModel& model, const SimState& state,
                      std::vector<uint8_t>* collided, std::vector<CollisionEvent>* events) {
  const VehicleParams& v = model.ego_vehicle();
  const Box ego = EgoBox(state.ego, v);
  const double ego_r = BoundingRadius(ego);
  for (int i = 0; i < state.num_agents(); ++i) {
    const size_t k = static_cast<size_t>(i);
    if (!state.active(i) || (*collided)[k]) continue;
    const Box agent = AgentBox(model, state, i);
    const double dx = agent.x - ego.x, dy = agent.y - ego.y;
    const double r = ego_r + BoundingRadius(agent);
    if (dx * dx + dy * dy > r * r || !BoxesOverlap(ego, agent)) continue;
    (*collided)[k] = 1;
    CollisionEvent c;
    c.step = state.step;
    c.agent = i;
    c.agent_id = model.agent_track(i).id();
    c.agent_type = model.agent_type(i);
    c.ego_speed = state.ego.speed;
    c.agent_speed = Norm(state.vx[k], state.vy[k]);
    const double bx = agent.x - state.ego.x, by = agent.y - state.ego.y;
    const double ang = std::atan2(by, bx) - state.ego.heading;
    c.bearing = std::abs(std::remainder(ang, 2.0 * std::numbers::pi));
    const std::array<Vec2, 4> corners = Corners(ego);  // FL, RL, RR, FR
    c.ego_front_hit = SegmentTouchesBox(corners[0], corners[3], agent);
    events->push_back(std::move(c));
  }
}

}  // namespace tarmac
