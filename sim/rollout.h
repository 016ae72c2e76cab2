// What one closed-loop rollout produces: the ego's per-step record, the
// agents' states, collision events, and the rollout's outcome and hash.
// Metrics (metrics/) and the results store consume these values.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "scenarios/map/map_index.h"
#include "sim/trajectory.h"
#include "tarmac/v1/scenario.pb.h"

namespace tarmac {

// The ego at one simulated step, with the map signals computed for it.
struct EgoSample {
  int step = 0;
  double x = 0.0, y = 0.0, heading = 0.0;  // box centre [m], [rad]
  double speed = 0.0;                      // rear-axle longitudinal speed [m/s]
  double accel = 0.0;                      // [m/s^2]
  double steer = 0.0;                      // [rad]
  double yaw_rate = 0.0;                   // [rad/s]
  double yaw_accel = 0.0;                  // [rad/s^2]
  double offroad_m = 0.0;       // largest distance of a box corner outside the drivable area [m]
  double road_edge_m = 0.0;     // smallest distance of a box corner to a road edge [m], capped at 6 m
  LaneIdx lane = kNoLane;       // lane the ego is on (projection with heading)
  double lane_d = 0.0;          // lateral offset from that lane's centreline [m]
  double heading_error = 0.0;   // ego heading minus lane heading [rad]
  // The lane under the ego's centre (nearest centreline, heading ignored;
  // inside intersections the intersection lane best matching the heading if
  // it is within 1 m of as near) and
  // the arc length there: what driving-direction compliance measures against.
  LaneIdx lane_under = kNoLane;
  double lane_under_s = 0.0;    // [m]
  // A corner lies outside the lane under the centre and the lanes connected
  // to it (straddling lanes, or partly off the lanes).
  bool multiple_lanes = false;
  bool in_intersection = false; // the lane under the centre lies in an intersection
  double route_s = 0.0;         // arc length along the model's route path [m]
  double min_gap_m = 1e9;       // smallest box-to-box distance to an active agent [m]
  int nearest_agent = -1;       // that agent, -1 if none
};

// First contact between the ego and an agent (each agent counted once).
struct CollisionEvent {
  int step = 0;
  int agent = 0;                          // agent index (ScenarioModel numbering)
  std::string agent_id;
  v1::TrackType agent_type = v1::TRACK_TYPE_UNSPECIFIED;
  double ego_speed = 0.0;                 // [m/s]
  double agent_speed = 0.0;               // [m/s]
  // Angle between the ego heading and the vector from the ego's rear axle to
  // the agent's centre [rad, 0..pi]; > 150 deg means the agent is behind.
  double bearing = 0.0;
  bool ego_front_hit = false;             // the ego's front edge touches the agent's box
};

struct RolloutTrace {
  std::vector<EgoSample> ego;             // one per simulated step, from the start step
  std::vector<CollisionEvent> collisions;
  // Agent states per simulated step k: index [k * num_agents + i].
  int num_agents = 0;
  std::vector<float> agent_x, agent_y, agent_heading, agent_vx, agent_vy;
  std::vector<uint8_t> agent_active;
  // The planner's trajectory at each step, thinned to every `plan_stride`-th
  // pose: the poses of step k are plan_poses[plan_start[k] .. plan_start[k + 1]).
  int plan_stride = 5;
  std::vector<Pose2> plan_poses;
  std::vector<int> plan_start;
};

struct RolloutResult {
  std::string scenario_id;
  bool ok = true;
  std::string error;               // why the scenario failed, if !ok
  uint64_t state_hash = 0;         // hash of every state of the rollout
  int steps = 0;                   // simulated steps (states after the start)
  double sim_seconds = 0.0;        // simulated time [s]
  int agents_not_spawned = 0;      // reactive agents dropped because their spawn was occupied
  long long agent_steps = 0;       // sum over simulated steps of the active agents
  RolloutTrace trace;
};

}  // namespace tarmac
