#include "policies/idm_planner.h"

#include <algorithm>
#include <vector>

#include "policies/path_follower.h"
#include "sim/actor.h"
#include "sim/thread_pool.h"

namespace tarmac {

double RouteSpeedLimit(const ScenarioModel& model, const LanePath& path, double s, double fallback) {
  const auto it = std::upper_bound(path.lane_start_s.begin(), path.lane_start_s.end(), s);
  const size_t k = it == path.lane_start_s.begin() ? 0 : static_cast<size_t>(it - path.lane_start_s.begin() - 1);
  return k < path.lanes.size() ? model.SpeedLimitOr(path.lanes[k], fallback) : fallback;
}

void IdmPlanner::Plan(std::span<const PlanRequest> requests, std::span<Trajectory> plans,
                      std::span<std::string> errors, ThreadPool* pool) {
  ParallelFor(pool, static_cast<int>(requests.size()), [&](int b) {
    const size_t q = static_cast<size_t>(b);
    const ScenarioModel& m = *requests[q].model;
    const SimState& st = *requests[q].state;
    const int actor = requests[q].actor;
    const LanePath* route = ActorRoute(m, actor);
    if (route == nullptr) {
      errors[q] = actor == kEgoActor ? "no route: the ego is not on any lane of the map"
                                     : "no lane path for this agent";
      return;
    }
    const ActorState a = ActorOf(m, st, actor);
    const double s0 = route->path.Project(a.ref_x(), a.ref_y()).s;
    thread_local std::vector<Obstacle> obstacles;
    thread_local std::vector<double> stops;
    CollectObstaclesFor(m, st, actor, params_.obstacle_radius, &obstacles);
    RedLightStops(m, st, *route, s0, a.speed, params_.idm.max_decel, &stops);
    PathFollowInput in;
    in.path = &route->path;
    in.s0 = s0;
    in.v0 = a.speed;
    in.target_speed = RouteSpeedLimit(m, *route, s0, params_.fallback_speed);
    in.rear_axle_to_center = a.reference_offset;
    in.front_length = a.reference_offset + 0.5 * a.length;
    in.half_width = 0.5 * a.width;
    in.idm = params_.idm;
    in.obstacles = obstacles;
    in.stops = stops;
    in.dt = m.dt();
    FollowPathWithIdm(in, &plans[q]);
  });
}

}  // namespace tarmac
