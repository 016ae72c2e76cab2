// ScenarioModel: everything about one scenario that does not change during a
// rollout: the map index, the logged agents as flat per-step arrays, the ego
// vehicle and its start state, the ego's route and reference path, traffic
// light states per lane, and the lane path each logged vehicle drove (what
// reactive agents follow). Built once from a v1::Scenario; shared read-only by
// the simulator, agents, planners and metrics (MuJoCo's mjModel).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "scenarios/map/map_index.h"
#include "scenarios/result.h"
#include "sim/bicycle_model.h"
#include "sim/vehicle.h"
#include "tarmac/v1/scenario.pb.h"

namespace tarmac {

struct ModelOptions {
  int start_step = -1;     // first simulated step; -1: the scenario's current_step
  int horizon_steps = 0;   // steps to simulate; 0: to the end of the log
  double route_length_m = 400.0;  // length of the ego's reference path ahead of its start [m]
};

// A logged vehicle's path through the lane graph (what an IDM agent follows).
struct AgentPath {
  LanePath lanes;            // lanes and joined centreline
  double start_s = 0.0;      // arc length of the agent's first valid logged position
  bool usable = false;       // false: no lane match, or a scripted track; the agent replays its log
  // Red-light stops on the path: (traffic light index, arc length of its stop point).
  std::vector<std::pair<int, double>> stops;
};

class ScenarioModel {
 public:
  // Fails (with the scenario id in the message) when the scenario cannot be
  // simulated: no ego, start or horizon outside the log, ego not valid at start.
  static Result<std::shared_ptr<const ScenarioModel>> Build(v1::Scenario scenario,
                                                            const ModelOptions& options = {});

  const v1::Scenario& scenario() const { return scenario_; }
  const std::string& id() const { return scenario_.id(); }
  const MapIndex& map() const { return *map_; }
  double dt() const { return scenario_.time().dt_s(); }
  int num_log_steps() const { return scenario_.time().num_steps(); }
  // The rollout simulates states at steps start_step() .. end_step() - 1.
  int start_step() const { return start_step_; }
  int end_step() const { return end_step_; }

  // ---- logged agents (every track except the ego), indexed 0..num_agents-1.
  int num_agents() const { return num_agents_; }
  const v1::Track& agent_track(int i) const { return scenario_.tracks(agent_track_index_[Idx(i)]); }
  v1::TrackType agent_type(int i) const { return agent_type_[Idx(i)]; }
  double agent_length(int i) const { return agent_length_[Idx(i)]; }
  double agent_width(int i) const { return agent_width_[Idx(i)]; }
  // Log state of agent i at step t (flat [t * num_agents + i] arrays).
  bool log_valid(int t, int i) const { return log_valid_[At(t, i)] != 0; }
  double log_x(int t, int i) const { return log_x_[At(t, i)]; }
  double log_y(int t, int i) const { return log_y_[At(t, i)]; }
  double log_heading(int t, int i) const { return log_heading_[At(t, i)]; }
  double log_vx(int t, int i) const { return log_vx_[At(t, i)]; }
  double log_vy(int t, int i) const { return log_vy_[At(t, i)]; }
  // The lane path agent i drove in the log (vehicles only; usable == false otherwise).
  const AgentPath& agent_path(int i) const { return agent_paths_[Idx(i)]; }

  // ---- ego
  const VehicleParams& ego_vehicle() const { return ego_vehicle_; }
  const EgoState& ego_start() const { return ego_start_; }
  // The logged ego, if any: its track index in scenario().tracks(), else -1.
  int ego_track_index() const { return ego_track_index_; }
  bool has_ego_log() const { return ego_track_index_ >= 0; }
  // Ordered lanes of the ego's route: from the logged ego's lanes, or to the goal.
  const std::vector<LaneIdx>& route() const { return route_; }
  // Reference path from the ego's start lane along the route (centreline).
  const LanePath& route_path() const { return route_path_; }
  // Arc length of the ego's start position on route_path().path.
  double route_start_s() const { return route_start_s_; }

  // ---- traffic lights: state of the signal controlling `lane` at step t
  // (SIGNAL_STATE_UNKNOWN if none controls it).
  v1::SignalState LaneSignal(int t, LaneIdx lane) const;
  bool has_traffic_lights() const { return !lane_signal_.empty(); }
  v1::SignalState LightState(int t, int light) const {
    return scenario_.traffic_lights(light).states(t);
  }

  // Speed limit of a lane, or `fallback` if unknown [m/s].
  double SpeedLimitOr(LaneIdx lane, double fallback) const {
    const double v = lane >= 0 ? map_->SpeedLimit(lane) : 0.0;
    return v > 0.0 ? v : fallback;
  }

 private:
  ScenarioModel() = default;
  static size_t Idx(int i) { return static_cast<size_t>(i); }
  size_t At(int t, int i) const {
    return static_cast<size_t>(t) * static_cast<size_t>(num_agents_) + static_cast<size_t>(i);
  }
  Result<void> Init(const ModelOptions& options);
  void BuildLogs();
  Result<void> BuildEgo();
  void BuildRoute(const ModelOptions& options);
  void BuildSignals();
  void BuildAgentPaths();
  // Lanes visited by a sequence of poses, in order, without repeats.
  std::vector<LaneIdx> LanesAlong(const v1::Track& track, int from, int to) const;

  v1::Scenario scenario_;
  std::unique_ptr<MapIndex> map_;
  int start_step_ = 0, end_step_ = 0;

  int num_agents_ = 0;
  std::vector<int> agent_track_index_;
  std::vector<v1::TrackType> agent_type_;
  std::vector<double> agent_length_, agent_width_;
  std::vector<double> log_x_, log_y_, log_heading_, log_vx_, log_vy_;
  std::vector<uint8_t> log_valid_;
  std::vector<AgentPath> agent_paths_;

  VehicleParams ego_vehicle_;
  EgoState ego_start_;
  int ego_track_index_ = -1;
  std::vector<LaneIdx> route_;
  LanePath route_path_;
  double route_start_s_ = 0.0;

  // [t * num_lanes + lane] -> SignalState, empty when there are no lights.
  std::vector<uint8_t> lane_signal_;
};

}  // namespace tarmac
