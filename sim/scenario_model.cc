#include "sim/scenario_model.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numbers>

#include "scenarios/import/import_util.h"
#include "sim/tracker.h"

namespace tarmac {
namespace {

// A pose matches a lane when it is this close to its centreline and heads
// within this angle of it.
constexpr double kLaneMatchDistance = 3.0;     // [m]
constexpr double kLaneMatchHeading = 0.7854;   // [rad] (45 deg)
// Extra path beyond an agent's logged travel, so it can keep driving.
constexpr double kAgentPathExtension = 60.0;   // [m]
// A red light's stop point belongs to a path when it lies this close to it.
constexpr double kStopPointDistance = 4.0;     // [m]

int SignalRank(v1::SignalState s) {
  switch (s) {
    case v1::SIGNAL_STATE_GO:
    case v1::SIGNAL_STATE_ARROW_GO: return 4;
    case v1::SIGNAL_STATE_CAUTION:
    case v1::SIGNAL_STATE_ARROW_CAUTION:
    case v1::SIGNAL_STATE_FLASHING_CAUTION: return 3;
    case v1::SIGNAL_STATE_STOP:
    case v1::SIGNAL_STATE_ARROW_STOP:
    case v1::SIGNAL_STATE_FLASHING_STOP: return 2;
    case v1::SIGNAL_STATE_OFF: return 1;
    default: return 0;
  }
}

double SpeedAlongHeading(double vx, double vy, double heading) {
  return vx * std::cos(heading) + vy * std::sin(heading);
}

}  // namespace

Result<std::shared_ptr<const ScenarioModel>> ScenarioModel::Build(v1::Scenario scenario,
                                                                  const ModelOptions& options) {
  std::shared_ptr<ScenarioModel> model(new ScenarioModel());
  model->scenario_ = std::move(scenario);
  const Result<void> r = model->Init(options);
  if (!r.ok()) return Error{fmt::format("scenario '{}': {}", model->id(), r.error().message)};
  return std::shared_ptr<const ScenarioModel>(std::move(model));
}

Result<void> ScenarioModel::Init(const ModelOptions& options) {
  const v1::TimeBase& time = scenario_.time();
  const int n = time.num_steps();
  start_step_ = options.start_step >= 0 ? options.start_step : time.current_step();
  const v1::Ego& ego = scenario_.ego();
  if (ego.track_id().empty() && ego.has_initial_state()) {
    start_step_ = std::max(start_step_, ego.initial_state().step());
  }
  if (start_step_ < 0 || start_step_ >= n) {
    return Error{fmt::format("start step {} outside the log's [0, {})", start_step_, n)};
  }
  end_step_ = options.horizon_steps > 0 ? std::min(n, start_step_ + options.horizon_steps + 1) : n;
  if (end_step_ - start_step_ < 2) {
    return Error{fmt::format("nothing to simulate: {} step(s) from start step {} (log has {})",
                             end_step_ - start_step_, start_step_, n)};
  }
  map_ = std::make_unique<MapIndex>(scenario_.map());
  const Result<void> ego_ok = BuildEgo();
  if (!ego_ok.ok()) return ego_ok;
  BuildLogs();
  BuildRoute(options);
  BuildSignals();
  BuildAgentPaths();
  return {};
}

Result<void> ScenarioModel::BuildEgo() {
  const v1::Ego& ego = scenario_.ego();
  if (!ego.track_id().empty()) {
    for (int i = 0; i < scenario_.tracks_size(); ++i) {
      if (scenario_.tracks(i).id() == ego.track_id()) ego_track_index_ = i;
    }
    if (ego_track_index_ < 0) return Error{fmt::format("ego track '{}' not found", ego.track_id())};
    const v1::Track& t = scenario_.tracks(ego_track_index_);
    const int k = start_step_;
    if (!t.valid(k)) {
      return Error{fmt::format("the logged ego '{}' is not valid at the start step {}", t.id(), k)};
    }
    ego_vehicle_ = VehicleParamsForBox(t.length_m(), t.width_m());
    const double v = SpeedAlongHeading(t.vx(k), t.vy(k), t.heading(k));
    ego_start_ = EgoStateFromCenter(t.x(k), t.y(k), t.heading(k), v, ego_vehicle_);
    // Acceleration and steering from the profile fit the tracker uses, over
    // the next 3 s of the log: finite differences of logged velocities are
    // too noisy (nuScenes velocities jump by 1 m/s between steps).
    Pose2 rear[32];
    int n = 0;
    for (int j = k; j < t.valid_size() && n < 31 && t.valid(j); ++j) {
      rear[n++] = {t.x(j) - ego_vehicle_.rear_axle_to_center * std::cos(t.heading(j)),
                   t.y(j) - ego_vehicle_.rear_axle_to_center * std::sin(t.heading(j)), t.heading(j)};
    }
    if (n >= 3) {
      const FittedProfiles fit = FitProfiles(rear, n, dt(), TrackerParams{});
      const int ahead = std::min(10, fit.count - 1);
      ego_start_.accel = ahead > 0 ? (fit.speed[ahead] - fit.speed[0]) / (ahead * dt()) : 0.0;
      ego_start_.steer = std::clamp(std::atan(ego_vehicle_.wheel_base * fit.curvature[0]),
                                    -ego_vehicle_.max_steer, ego_vehicle_.max_steer);
      ego_start_.yaw_rate = v * std::tan(ego_start_.steer) / ego_vehicle_.wheel_base;
    }
    return {};
  }
  if (!ego.has_initial_state()) return Error{"no ego: neither a logged ego track nor an initial state"};
  if (!(ego.length_m() > 0.0) || !(ego.width_m() > 0.0)) {
    return Error{fmt::format("ego box {} x {} m is not positive", ego.length_m(), ego.width_m())};
  }
  const v1::EgoInitialState& s = ego.initial_state();
  ego_vehicle_ = VehicleParamsForBox(ego.length_m(), ego.width_m());
  ego_start_ = EgoStateFromCenter(s.x(), s.y(), s.heading(), s.speed(), ego_vehicle_);
  ego_start_.accel = s.acceleration();
  ego_start_.yaw_rate = s.yaw_rate();
  if (std::abs(s.speed()) > 0.5) {
    ego_start_.steer = std::clamp(std::atan(ego_vehicle_.wheel_base * s.yaw_rate() / s.speed()),
                                  -ego_vehicle_.max_steer, ego_vehicle_.max_steer);
  }
  return {};
}

void ScenarioModel::BuildLogs() {
  for (int i = 0; i < scenario_.tracks_size(); ++i) {
    if (i != ego_track_index_) agent_track_index_.push_back(i);
  }
  num_agents_ = static_cast<int>(agent_track_index_.size());
  const size_t total = static_cast<size_t>(num_log_steps()) * static_cast<size_t>(num_agents_);
  log_x_.assign(total, 0.0);
  log_y_.assign(total, 0.0);
  log_heading_.assign(total, 0.0);
  log_vx_.assign(total, 0.0);
  log_vy_.assign(total, 0.0);
  log_valid_.assign(total, 0);
  for (int i = 0; i < num_agents_; ++i) {
    const v1::Track& t = scenario_.tracks(agent_track_index_[Idx(i)]);
    agent_type_.push_back(t.type());
    agent_length_.push_back(t.length_m());
    agent_width_.push_back(t.width_m());
    for (int k = 0; k < num_log_steps(); ++k) {
      const size_t a = At(k, i);
      log_valid_[a] = t.valid(k) ? 1 : 0;
      log_x_[a] = t.x(k);
      log_y_[a] = t.y(k);
      log_heading_[a] = t.heading(k);
      log_vx_[a] = t.vx(k);
      log_vy_[a] = t.vy(k);
    }
  }
}

std::vector<LaneIdx> ScenarioModel::LanesAlong(const v1::Track& track, int from, int to) const {
  std::vector<LaneIdx> lanes;
  for (int k = from; k < to; ++k) {
    if (!track.valid(k)) continue;
    const LaneProjection p = map_->ProjectWithHeading(track.x(k), track.y(k), track.heading(k));
    if (!p.found() || p.distance > kLaneMatchDistance || std::abs(p.heading_error) > kLaneMatchHeading) {
      continue;
    }
    if (std::find(lanes.begin(), lanes.end(), p.lane) == lanes.end()) lanes.push_back(p.lane);
  }
  return lanes;
}

void ScenarioModel::BuildRoute(const ModelOptions& options) {
  if (map_->num_lanes() == 0) return;
  const Box box = EgoBox(ego_start_, ego_vehicle_);
  const LaneProjection start = map_->ProjectWithHeading(box.x, box.y, box.heading);
  if (!start.found()) return;
  if (has_ego_log()) {
    route_ = LanesAlong(scenario_.tracks(ego_track_index_), start_step_, num_log_steps());
  } else {
    // Route to the goal: the first goal region whose lanes (or shape centres)
    // can be reached through the lane graph.
    for (const v1::GoalRegion& g : scenario_.goal().regions()) {
      std::vector<LaneIdx> targets;
      for (const std::string& id : g.lane_ids()) {
        if (const LaneIdx l = map_->LaneIndexOf(id); l != kNoLane) targets.push_back(l);
      }
      for (const v1::GoalShape& shape : g.shapes()) {
        double x = 0, y = 0;
        if (shape.has_rectangle()) {
          x = shape.rectangle().center_x();
          y = shape.rectangle().center_y();
        } else if (shape.has_circle()) {
          x = shape.circle().center_x();
          y = shape.circle().center_y();
        } else if (shape.has_polygon() && shape.polygon().x_size() > 0) {
          for (int i = 0; i < shape.polygon().x_size(); ++i) {
            x += shape.polygon().x(i) / shape.polygon().x_size();
            y += shape.polygon().y(i) / shape.polygon().y_size();
          }
        } else {
          continue;
        }
        const LaneProjection p = g.has_heading()
                                     ? map_->ProjectWithHeading(x, y, 0.5 * (g.heading().min() + g.heading().max()))
                                     : map_->Project(x, y);
        if (p.found()) targets.push_back(p.lane);
      }
      for (LaneIdx target : targets) {
        route_ = map_->ShortestRoute(start.lane, target);
        if (!route_.empty()) break;
      }
      if (!route_.empty()) break;
    }
  }
  if (route_.empty() || route_.front() != start.lane) route_.insert(route_.begin(), start.lane);
  // Reference path: from 20 m behind the ego's start along the route.
  route_path_ = map_->FollowLanes(start.lane, std::max(0.0, start.s - 20.0),
                                  options.route_length_m + 20.0, route_);
  route_start_s_ = route_path_.path.Project(box.x, box.y).s;
}

void ScenarioModel::BuildSignals() {
  const int lanes = map_->num_lanes();
  if (scenario_.traffic_lights_size() == 0 || lanes == 0) return;
  const int steps = num_log_steps();
  lane_signal_.assign(static_cast<size_t>(steps) * static_cast<size_t>(lanes), 0);
  for (const v1::TrafficLight& light : scenario_.traffic_lights()) {
    for (const std::string& id : light.lane_ids()) {
      const LaneIdx lane = map_->LaneIndexOf(id);
      if (lane == kNoLane) continue;
      for (int t = 0; t < steps && t < light.states_size(); ++t) {
        uint8_t& slot = lane_signal_[static_cast<size_t>(t) * static_cast<size_t>(lanes) +
                                     static_cast<size_t>(lane)];
        // Several lights on one lane (turn arrows): the most permissive wins.
        const v1::SignalState s = light.states(t);
        if (SignalRank(s) > SignalRank(static_cast<v1::SignalState>(slot))) {
          slot = static_cast<uint8_t>(s);
        }
      }
    }
  }
}

v1::SignalState ScenarioModel::LaneSignal(int t, LaneIdx lane) const {
  if (lane_signal_.empty() || lane < 0 || t < 0 || t >= num_log_steps()) return v1::SIGNAL_STATE_UNKNOWN;
  return static_cast<v1::SignalState>(
      lane_signal_[static_cast<size_t>(t) * static_cast<size_t>(map_->num_lanes()) + static_cast<size_t>(lane)]);
}

void ScenarioModel::BuildAgentPaths() {
  agent_paths_.assign(Idx(num_agents_), AgentPath{});
  if (map_->num_lanes() == 0) return;
  for (int i = 0; i < num_agents_; ++i) {
    if (agent_type_[Idx(i)] != v1::TRACK_TYPE_VEHICLE) continue;
    const v1::Track& t = agent_track(i);
    if (t.scripted()) continue;  // replays its script
    int first = -1, last = -1;
    double travelled = 0.0;
    for (int k = start_step_; k < num_log_steps(); ++k) {
      if (!t.valid(k)) continue;
      if (first < 0) first = k;
      if (last >= 0) travelled += Norm(t.x(k) - t.x(last), t.y(k) - t.y(last));
      last = k;
    }
    if (first < 0) continue;
    const LaneProjection p = map_->ProjectWithHeading(t.x(first), t.y(first), t.heading(first));
    if (!p.found() || p.distance > kLaneMatchDistance || std::abs(p.heading_error) > kLaneMatchHeading) {
      continue;
    }
    std::vector<LaneIdx> lanes = LanesAlong(t, first, last + 1);
    if (lanes.empty() || lanes.front() != p.lane) lanes.insert(lanes.begin(), p.lane);
    AgentPath& path = agent_paths_[Idx(i)];
    path.lanes = map_->FollowLanes(p.lane, p.s, travelled + kAgentPathExtension, lanes);
    if (path.lanes.path.length() < 1.0) continue;
    path.start_s = 0.0;
    path.usable = true;
    for (int l = 0; l < scenario_.traffic_lights_size(); ++l) {
      const v1::TrafficLight& light = scenario_.traffic_lights(l);
      if (!light.has_stop_point()) continue;
      bool on_path = false;
      for (const std::string& id : light.lane_ids()) {
        const LaneIdx lane = map_->LaneIndexOf(id);
        on_path = on_path || std::find(path.lanes.lanes.begin(), path.lanes.lanes.end(), lane) !=
                                 path.lanes.lanes.end();
      }
      if (!on_path) continue;
      const PathProjection sp = path.lanes.path.Project(light.stop_x(), light.stop_y());
      if (sp.distance < kStopPointDistance && sp.s > 0.0) path.stops.emplace_back(l, sp.s);
    }
  }
}

}  // namespace tarmac
