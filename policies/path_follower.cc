#include "policies/path_follower.h"

#include <algorithm>
#include <cmath>

namespace tarmac {

void FollowPathWithIdm(const PathFollowInput& in, Trajectory* out, std::vector<double>* speeds) {
  const Path2& path = *in.path;
  out->dt = in.dt;
  out->poses.resize(static_cast<size_t>(in.steps) + 1);
  if (speeds != nullptr) speeds->resize(static_cast<size_t>(in.steps) + 1);
  double s = in.s0, v = std::max(0.0, in.v0);
  Leader leader;
  for (int k = 0; k <= in.steps; ++k) {
    const PathPose pose = path.PoseAt(s);
    const double d = in.rear_axle_to_center;
    out->poses[static_cast<size_t>(k)] = {pose.x + d * std::cos(pose.heading), pose.y + d * std::sin(pose.heading),
                                          pose.heading};
    if (speeds != nullptr) (*speeds)[static_cast<size_t>(k)] = v;
    if (k == in.steps) break;
    const double t = k * in.dt;
    if (k % std::max(1, in.leader_update_every) == 0) {
      Follower f;
      f.path = &path;
      f.s = s;
      f.x = pose.x;
      f.y = pose.y;
      f.heading = pose.heading;
      f.half_length = in.front_length;
      f.half_width = in.half_width;
      f.lookahead = std::min(250.0, 10.0 + v * in.idm.headway +
                                        v * v / std::sqrt(in.idm.max_accel * in.idm.max_decel));
      f.Prepare();
      leader = Leader{};
      for (const Obstacle& o : in.obstacles) {
        Obstacle moved = o;
        moved.x += t * o.speed * std::cos(o.heading);
        moved.y += t * o.speed * std::sin(o.heading);
        ConsiderLeader(f, moved, &leader);
      }
      for (double stop : in.stops) {
        const double gap = stop - s - in.front_length;
        if (gap >= -0.5 && gap < leader.gap) {
          leader.gap = std::max(0.0, gap);
          leader.speed = 0.0;
        }
      }
      const double end_gap = path.length() - s - in.front_length;
      if (end_gap < leader.gap) {
        leader.gap = std::max(0.0, end_gap);
        leader.speed = 0.0;
      }
    }
    // The leader moves on between leader updates.
    const double gap = leader.found() ? std::max(0.0, leader.gap) : -1.0;
    const double a = IdmAcceleration(in.idm, v, in.target_speed, gap, leader.speed);
    s += in.dt * v;
    v = std::max(0.0, v + in.dt * a);
    if (leader.found()) leader.gap += in.dt * (leader.speed - v);
  }
}


void RedLightStops(const ScenarioModel& model, const SimState& state, const LanePath& path, double s_ego,
                   double v, double b, std::vector<double>* out) {
  out->clear();
  if (!model.has_traffic_lights()) return;
  const v1::Scenario& sc = model.scenario();
  for (int l = 0; l < sc.traffic_lights_size(); ++l) {
    const v1::TrafficLight& light = sc.traffic_lights(l);
    if (!light.has_stop_point()) continue;
    const v1::SignalState st = model.LightState(state.step, l);
    const bool red = st == v1::SIGNAL_STATE_STOP || st == v1::SIGNAL_STATE_ARROW_STOP ||
                     st == v1::SIGNAL_STATE_FLASHING_STOP;
    const bool yellow = st == v1::SIGNAL_STATE_CAUTION || st == v1::SIGNAL_STATE_ARROW_CAUTION;
    if (!red && !yellow) continue;
    bool on_path = false;
    for (const std::string& id : light.lane_ids()) {
      const LaneIdx lane = model.map().LaneIndexOf(id);
      on_path = on_path || std::find(path.lanes.begin(), path.lanes.end(), lane) != path.lanes.end();
    }
    if (!on_path) continue;
    const PathProjection p = path.path.Project(light.stop_x(), light.stop_y());
    if (p.distance > 4.0 || p.s <= s_ego) continue;
    if (yellow && p.s - s_ego < v * v / (2.0 * b)) continue;  // too close to stop: go on
    out->push_back(p.s);
  }
}

}  // namespace tarmac
