#include "policies/pdm_planner.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "metrics/collision_fault.h"
#include "metrics/comfort.h"
#include "policies/idm_planner.h"
#include "policies/path_follower.h"
#include "scenarios/import/import_util.h"
#include "sim/actor.h"
#include "sim/thread_pool.h"

namespace tarmac {
namespace {

constexpr double kPi = std::numbers::pi;
constexpr double kAheadAngle = 30.0 * kPi / 180.0;  // TTC: an object this far off the heading is "ahead"

// The others near the actor, with what scoring needs beyond their boxes.
struct Forecast {
  std::vector<Obstacle> obstacles;   // state now; forecast at constant velocity
  std::vector<v1::TrackType> type;
  bool is_static(size_t j) const { return type[j] == v1::TRACK_TYPE_STATIC; }
};

Box ObstacleAt(const Obstacle& o, double t) {
  return Box{o.x + t * o.speed * std::cos(o.heading), o.y + t * o.speed * std::sin(o.heading), o.heading,
             o.length, o.width};
}

// A copy of `path` shifted sideways by `offset` metres (+ left).
Path2 OffsetPath(const Path2& path, double offset) {
  const std::vector<Vec2>& p = path.points();
  const size_t n = p.size();
  std::vector<Vec2> out(n);
  for (size_t k = 0; k < n; ++k) {
    const int prev = static_cast<int>(k == 0 ? 0 : k - 1);
    const int next = static_cast<int>(std::min(k, n - 2));
    const double h0 = path.SegmentHeading(prev), h1 = path.SegmentHeading(next);
    const double h = h0 + 0.5 * WrapAngle(h1 - h0);
    out[k] = {p[k].x - offset * std::sin(h), p[k].y + offset * std::cos(h)};
  }
  return Path2(out);
}

bool BetweenLanesOrOffroad(const MapIndex& map, const Box& box, double offroad) {
  if (offroad > 0.0) return true;
  const LaneProjection p = map.ProjectWithHeading(box.x, box.y, box.heading);
  return !p.found() || std::abs(p.d) > 1.0;
}

}  // namespace

void PdmPlanner::Plan(std::span<const PlanRequest> requests, std::span<Trajectory> plans,
                      std::span<std::string> errors, ThreadPool* pool) {
  ParallelFor(pool, static_cast<int>(requests.size()), [&](int b) {
    const size_t q = static_cast<size_t>(b);
    PlanOne(requests[q], &plans[q], &errors[q]);
  });
}

void PdmPlanner::PlanOne(const PlanRequest& request, Trajectory* plan, std::string* error,
                         std::vector<ProposalScore>* scores_out) const {
  const ScenarioModel& m = *request.model;
  const SimState& st = *request.state;
  const int actor = request.actor;
  const LanePath* route_ptr = ActorRoute(m, actor);
  if (route_ptr == nullptr) {
    *error = actor == kEgoActor ? "no route: the ego is not on any lane of the map" : "no lane path for this agent";
    return;
  }
  const LanePath& route = *route_ptr;
  const ActorState self = ActorOf(m, st, actor);
  // The actor as a vehicle: the ego's own, or an agent's box with the ego's proportions.
  const VehicleParams veh = actor == kEgoActor ? m.ego_vehicle() : VehicleParamsForBox(self.length, self.width);
  const EgoState start = actor == kEgoActor ? st.ego : EgoStateFromCenter(self.x, self.y, self.heading,
                                                                          std::max(0.0, self.speed), veh);
  const double dt = m.dt();
  const Box ego = EgoBox(start, veh);
  const double s_center = route.path.Project(start.x, start.y).s;  // rear axle
  const double v_limit = RouteSpeedLimit(m, route, s_center, params_.fallback_speed);

  thread_local Forecast forecast;
  thread_local std::vector<double> stops;
  CollectObstaclesFor(m, st, actor, params_.obstacle_radius, &forecast.obstacles, &forecast.type);
  RedLightStops(m, st, route, s_center, start.speed, params_.idm.max_decel, &stops);

  const int steps = params_.proposal_steps;
  const size_t num_paths = params_.lateral_offsets.size();
  const size_t num_speeds = params_.speed_fractions.size();
  std::vector<Path2> paths;
  paths.reserve(num_paths);
  for (double offset : params_.lateral_offsets) {
    paths.push_back(offset == 0.0 ? route.path : OffsetPath(route.path, offset));
  }

  auto make_input = [&](size_t p, size_t v, int n) {
    PathFollowInput in;
    in.path = &paths[p];
    in.s0 = paths[p].Project(start.x, start.y).s;
    in.v0 = start.speed;
    in.target_speed = params_.speed_fractions[v] * v_limit;
    in.rear_axle_to_center = veh.rear_axle_to_center;
    in.front_length = veh.rear_axle_to_center + 0.5 * veh.length;
    in.half_width = 0.5 * veh.width;
    in.idm = params_.idm;
    in.obstacles = forecast.obstacles;
    in.stops = stops;
    in.steps = n;
    in.dt = dt;
    in.leader_update_every = params_.leader_update_every;
    return in;
  };

  std::vector<ProposalScore> scores(num_paths * num_speeds);
  Trajectory proposal;
  std::vector<EgoState> sim(static_cast<size_t>(steps) + 1);
  std::vector<double> offroad(static_cast<size_t>(steps) + 1);
  for (size_t p = 0; p < num_paths; ++p) {
    for (size_t v = 0; v < num_speeds; ++v) {
      ProposalScore& sc = scores[p * num_speeds + v];
      FollowPathWithIdm(make_input(p, v, steps), &proposal);
      // Simulate: fit the reference once, track it step by step.
      std::vector<Pose2> rear(proposal.poses.size());
      for (size_t k = 0; k < rear.size(); ++k) {
        const Pose2& c = proposal.poses[k];
        rear[k] = {c.x - veh.rear_axle_to_center * std::cos(c.heading),
                   c.y - veh.rear_axle_to_center * std::sin(c.heading), c.heading};
      }
      const FittedProfiles prof = FitProfiles(rear.data(), static_cast<int>(rear.size()), dt, params_.tracker);
      sim[0] = start;
      for (int k = 0; k < steps; ++k) {
        const size_t i = static_cast<size_t>(k);
        const EgoCommand cmd = TrackWithProfiles(sim[i], rear[i], prof, k, dt, veh, params_.tracker);
        sim[i + 1] = PropagateBicycle(sim[i], cmd, veh, dt);
      }
      // Score.
      std::vector<uint8_t> ignored(forecast.obstacles.size(), 0);
      double against_traffic = 0.0, max_against = 0.0;
      std::vector<double> accel(static_cast<size_t>(steps) + 1), yaw_rate(accel.size()),
          lat_accel(accel.size()), speed(accel.size());
      for (int k = 0; k <= steps; ++k) {
        const size_t i = static_cast<size_t>(k);
        const EgoState& s = sim[i];
        const Box box = EgoBox(s, veh);
        double off = 0.0;
        for (const Vec2& c : Corners(box)) off = std::max(off, m.map().DistanceOutsideDrivable(c.x, c.y));
        offroad[i] = off;
        if (off > params_.drivable_tolerance) sc.drivable = 0.0;
        const bool straddling = BetweenLanesOrOffroad(m.map(), box, off);
        // Against traffic: on a lane that points the other way.
        const LaneProjection lp = m.map().ProjectWithHeading(box.x, box.y, box.heading);
        if (k > 0) {
          const Box prev = EgoBox(sim[i - 1], veh);
          if (lp.found() && std::abs(lp.heading_error) > 0.5 * kPi && lp.distance < 2.0) {
            against_traffic += Norm(box.x - prev.x, box.y - prev.y);
            max_against = std::max(max_against, against_traffic);
          } else {
            against_traffic = 0.0;
          }
        }
        const double t = k * dt;
        for (size_t j = 0; j < forecast.obstacles.size(); ++j) {
          if (ignored[j]) continue;
          const Box other = ObstacleAt(forecast.obstacles[j], t);
          const double dx = other.x - box.x, dy = other.y - box.y;
          const double r = BoundingRadius(box) + BoundingRadius(other);
          if (dx * dx + dy * dy > r * r || !BoxesOverlap(box, other)) continue;
          const EgoAtContact ec{box, s.x, s.y, s.speed};
          const CollisionType type =
              ClassifyCollision(ec, {other, forecast.obstacles[j].speed, forecast.is_static(j)});
          ignored[j] = 1;
          if (!IsAtFault(type, straddling)) continue;
          sc.collision = std::min(sc.collision, forecast.is_static(j) ? 0.5 : 0.0);
          if (sc.first_at_fault_step < 0) sc.first_at_fault_step = k;
        }
        // Time to collision: the ego and the objects moved on at constant velocity.
        if (sc.ttc > 0.0 && std::abs(s.speed) > 5e-3) {
          for (double tau : {0.3, 0.6, 0.9}) {
            if (tau > params_.ttc_bound + 1e-9) break;
            Box ahead = box;
            ahead.x += tau * s.speed * std::cos(box.heading);
            ahead.y += tau * s.speed * std::sin(box.heading);
            for (size_t j = 0; j < forecast.obstacles.size() && sc.ttc > 0.0; ++j) {
              if (ignored[j]) continue;
              const Box other = ObstacleAt(forecast.obstacles[j], t + tau);
              const double dx = other.x - ahead.x, dy = other.y - ahead.y;
              const double r = BoundingRadius(ahead) + BoundingRadius(other);
              if (dx * dx + dy * dy > r * r || !BoxesOverlap(ahead, other)) continue;
              const double bearing =
                  std::abs(WrapAngle(std::atan2(other.y - s.y, other.x - s.x) - box.heading));
              if (bearing < kAheadAngle || (straddling && bearing < kBehindAngle)) sc.ttc = 0.0;
            }
          }
        }
        accel[i] = s.accel;
        yaw_rate[i] = s.yaw_rate;
        speed[i] = s.speed;
        lat_accel[i] = s.speed * s.yaw_rate;
      }
      sc.direction = max_against < 2.0 ? 1.0 : (max_against < 6.0 ? 0.5 : 0.0);
      sc.comfort = IsComfortable(accel, yaw_rate, lat_accel, dt) ? 1.0 : 0.0;
      const Box first = EgoBox(sim.front(), veh), last = EgoBox(sim.back(), veh);
      sc.progress_m = route.path.Project(last.x, last.y).s - route.path.Project(first.x, first.y).s;
    }
  }
  // Progress relative to the best proposal that breaks no multiplier.
  double best_progress = 0.0;
  for (const ProposalScore& sc : scores) {
    best_progress = std::max(best_progress, sc.collision * sc.drivable * sc.direction * sc.progress_m);
  }
  size_t best = 0;
  for (size_t i = 0; i < scores.size(); ++i) {
    ProposalScore& sc = scores[i];
    const double mult = sc.collision * sc.drivable * sc.direction;
    sc.progress = best_progress > 0.1 ? std::clamp(mult * sc.progress_m / best_progress, 0.0, 1.0)
                                      : (mult > 0.0 ? 1.0 : 0.0);
    sc.total = mult * (5.0 * sc.progress + 5.0 * sc.ttc + 2.0 * sc.comfort) / 12.0;
    if (sc.total > scores[best].total) best = i;
  }
  // Near-ties go to the proposal closest to the lane centre (then the
  // faster one): a sideways offset that wins by a sliver of progress, a
  // by-product of projecting onto the centreline, would make the ego weave
  // in an open lane. (A deviation from PDM-Closed, which takes the argmax.)
  for (size_t i = 0; i < scores.size(); ++i) {
    if (scores[i].total < scores[best].total - params_.tie_tolerance) continue;
    const double off_i = std::abs(params_.lateral_offsets[i / num_speeds]);
    const double off_best = std::abs(params_.lateral_offsets[best / num_speeds]);
    if (off_i < off_best || (off_i == off_best && i % num_speeds > best % num_speeds)) best = i;
  }
  const ProposalScore& chosen = scores[best];
  const bool emergency = chosen.first_at_fault_step >= 0 &&
                         chosen.first_at_fault_step * dt <= params_.emergency_ttc &&
                         start.speed <= params_.emergency_max_speed;
  if (emergency) {
    // Brake hard along the current heading.
    plan->dt = dt;
    plan->poses.resize(kPlanHorizonSteps + 1);
    const double v0 = std::max(0.0, start.speed);
    const double t_stop = v0 / params_.emergency_decel;
    for (int k = 0; k <= kPlanHorizonSteps; ++k) {
      const double t = std::min(k * dt, t_stop);
      const double d = v0 * t - 0.5 * params_.emergency_decel * t * t;
      plan->poses[static_cast<size_t>(k)] = {ego.x + d * std::cos(ego.heading), ego.y + d * std::sin(ego.heading),
                                             ego.heading};
    }
  } else {
    FollowPathWithIdm(make_input(best / num_speeds, best % num_speeds, kPlanHorizonSteps), plan);
  }
  if (scores_out != nullptr) *scores_out = std::move(scores);
}

}  // namespace tarmac
