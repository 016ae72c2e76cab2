#include "scenarios/validate.h"

#include <fmt/format.h>

#include <cmath>
#include <set>

namespace tarmac {
namespace {

class Checker {
 public:
  explicit Checker(const ValidateOptions& options) : options_(options) {}

  void Error(std::string where, std::string what) {
    problems_.push_back({Severity::kError, std::move(where), std::move(what)});
  }
  void Warning(std::string where, std::string what) {
    problems_.push_back({Severity::kWarning, std::move(where), std::move(what)});
  }

  void Finite(double v, const std::string& where, const char* field) {
    if (!std::isfinite(v)) Error(where, fmt::format("{} is {}", field, v));
  }

  void CheckPolyline(const v1::Polyline& p, const std::string& where, int min_points) {
    if (p.x_size() != p.y_size()) {
      Error(where, fmt::format("{} x values but {} y values", p.x_size(), p.y_size()));
      return;
    }
    if (p.x_size() < min_points) {
      Error(where, fmt::format("{} points, need at least {}", p.x_size(), min_points));
    }
    for (int i = 0; i < p.x_size(); ++i) {
      if (!std::isfinite(p.x(i)) || !std::isfinite(p.y(i))) {
        Error(fmt::format("{} point {}", where, i), fmt::format("({}, {})", p.x(i), p.y(i)));
      }
    }
  }

  void LaneRef(const std::string& id, const std::string& where) {
    if (lane_ids_.count(id) == 0) {
      Error(where, fmt::format("references lane '{}', which does not exist", id));
    }
  }

  void Run(const v1::Scenario& s) {
    const v1::TimeBase& time = s.time();
    if (!(time.dt_s() > 0.0) || !std::isfinite(time.dt_s())) {
      Error("time.dt_s", fmt::format("{} s; time must increase (dt > 0)", time.dt_s()));
    }
    if (time.num_steps() < 1) Error("time.num_steps", fmt::format("{}, need >= 1", time.num_steps()));
    if (time.current_step() < 0 || time.current_step() >= std::max(1, time.num_steps())) {
      Error("time.current_step",
            fmt::format("{} outside [0, {})", time.current_step(), time.num_steps()));
    }
    if (s.id().empty()) Error("id", "empty scenario id");

    for (const v1::Lane& lane : s.map().lanes()) {
      if (!lane_ids_.insert(lane.id()).second) Error("lane '" + lane.id() + "'", "duplicate lane id");
    }
    CheckTracks(s);
    CheckEgo(s);
    CheckMap(s);
    CheckLights(s);
    CheckGoal(s);
    for (int i = 0; i < s.route_lane_ids_size(); ++i) {
      LaneRef(s.route_lane_ids(i), fmt::format("route_lane_ids[{}]", i));
    }
  }

  void CheckTracks(const v1::Scenario& s) {
    const int n = s.time().num_steps();
    std::set<std::string> ids;
    for (const v1::Track& t : s.tracks()) {
      const std::string where = fmt::format("track '{}'", t.id());
      if (t.id().empty()) Error(where, "empty track id");
      if (!ids.insert(t.id()).second) Error(where, "duplicate track id");
      if (t.type() == v1::TRACK_TYPE_UNSPECIFIED) Warning(where, "type unspecified");
      if (!(t.length_m() > 0.0) || !(t.width_m() > 0.0)) {
        Error(where, fmt::format("box size {} x {} m; length and width must be positive",
                                 t.length_m(), t.width_m()));
      }
      if (t.x_size() != n || t.y_size() != n || t.heading_size() != n || t.vx_size() != n ||
          t.vy_size() != n || t.valid_size() != n) {
        Error(where, fmt::format("per-step arrays have {}/{}/{}/{}/{}/{} entries, expected {}",
                                 t.x_size(), t.y_size(), t.heading_size(), t.vx_size(),
                                 t.vy_size(), t.valid_size(), n));
        continue;
      }
      int valid = 0;
      int last = -1;
      for (int k = 0; k < n; ++k) {
        if (!t.valid(k)) continue;
        ++valid;
        const std::string at = fmt::format("{} step {}", where, k);
        Finite(t.x(k), at, "x");
        Finite(t.y(k), at, "y");
        Finite(t.heading(k), at, "heading");
        Finite(t.vx(k), at, "vx");
        Finite(t.vy(k), at, "vy");
        if (last >= 0 && std::isfinite(t.x(k)) && std::isfinite(t.x(last))) {
          const double dist = std::hypot(t.x(k) - t.x(last), t.y(k) - t.y(last));
          const double speed = dist / ((k - last) * s.time().dt_s());
          if (speed > options_.max_plausible_speed_mps) {
            Warning(at, fmt::format("jumps {:.2f} m since step {} ({:.1f} m/s)", dist, last, speed));
          }
        }
        last = k;
      }
      if (valid == 0) Warning(where, "never valid");
    }
  }

  void CheckEgo(const v1::Scenario& s) {
    const v1::Ego& ego = s.ego();
    if (!ego.track_id().empty()) {
      const v1::Track* track = nullptr;
      for (const v1::Track& t : s.tracks()) {
        if (t.id() == ego.track_id()) track = &t;
      }
      if (track == nullptr) {
        Error("ego.track_id", fmt::format("'{}' is not among the tracks", ego.track_id()));
        return;
      }
      const int now = s.time().current_step();
      if (now >= 0 && now < track->valid_size() && !track->valid(now)) {
        Error("ego.track_id", fmt::format("ego track '{}' is not valid at the current step {}",
                                          ego.track_id(), now));
      }
    } else if (ego.has_initial_state()) {
      const v1::EgoInitialState& st = ego.initial_state();
      Finite(st.x(), "ego.initial_state", "x");
      Finite(st.y(), "ego.initial_state", "y");
      Finite(st.heading(), "ego.initial_state", "heading");
      Finite(st.speed(), "ego.initial_state", "speed");
      if (st.step() < 0 || st.step() >= s.time().num_steps()) {
        Error("ego.initial_state.step",
              fmt::format("{} outside [0, {})", st.step(), s.time().num_steps()));
      }
    } else {
      Error("ego", "missing: neither a logged ego track nor an initial state");
      return;
    }
    if (!(ego.length_m() > 0.0) || !(ego.width_m() > 0.0)) {
      Error("ego", fmt::format("box size {} x {} m must be positive", ego.length_m(), ego.width_m()));
    }
  }

  void CheckMap(const v1::Scenario& s) {
    const v1::Map& m = s.map();
    for (const v1::Lane& lane : m.lanes()) {
      const std::string where = fmt::format("lane '{}'", lane.id());
      CheckPolyline(lane.centerline(), where + " centerline", 2);
      if (lane.left_boundary().x_size() > 0) CheckPolyline(lane.left_boundary(), where + " left boundary", 2);
      if (lane.right_boundary().x_size() > 0) CheckPolyline(lane.right_boundary(), where + " right boundary", 2);
      if (lane.speed_limit_mps() < 0.0 || !std::isfinite(lane.speed_limit_mps())) {
        Error(where, fmt::format("speed limit {} m/s", lane.speed_limit_mps()));
      }
      for (int i = 0; i < lane.predecessor_ids_size(); ++i) {
        LaneRef(lane.predecessor_ids(i), fmt::format("{} predecessor_ids[{}]", where, i));
      }
      for (int i = 0; i < lane.successor_ids_size(); ++i) {
        LaneRef(lane.successor_ids(i), fmt::format("{} successor_ids[{}]", where, i));
      }
      for (int i = 0; i < lane.left_neighbors_size(); ++i) {
        LaneRef(lane.left_neighbors(i).lane_id(), fmt::format("{} left_neighbors[{}]", where, i));
      }
      for (int i = 0; i < lane.right_neighbors_size(); ++i) {
        LaneRef(lane.right_neighbors(i).lane_id(), fmt::format("{} right_neighbors[{}]", where, i));
      }
    }
    for (const v1::RoadEdge& e : m.road_edges()) CheckPolyline(e.polyline(), "road edge '" + e.id() + "'", 2);
    for (const v1::RoadLine& e : m.road_lines()) CheckPolyline(e.polyline(), "road line '" + e.id() + "'", 2);
    for (const v1::Crosswalk& e : m.crosswalks()) CheckPolyline(e.polygon(), "crosswalk '" + e.id() + "'", 3);
    for (const v1::AreaFeature& e : m.areas()) CheckPolyline(e.polygon(), "area '" + e.id() + "'", 3);
    for (const v1::StopLine& e : m.stop_lines()) {
      const std::string where = "stop line '" + e.id() + "'";
      CheckPolyline(e.polyline(), where, 2);
      for (int i = 0; i < e.lane_ids_size(); ++i) LaneRef(e.lane_ids(i), fmt::format("{} lane_ids[{}]", where, i));
    }
    for (const v1::StopSign& e : m.stop_signs()) {
      const std::string where = "stop sign '" + e.id() + "'";
      Finite(e.x(), where, "x");
      Finite(e.y(), where, "y");
      for (int i = 0; i < e.lane_ids_size(); ++i) LaneRef(e.lane_ids(i), fmt::format("{} lane_ids[{}]", where, i));
    }
  }

  void CheckLights(const v1::Scenario& s) {
    for (const v1::TrafficLight& l : s.traffic_lights()) {
      const std::string where = "traffic light '" + l.id() + "'";
      if (l.states_size() != s.time().num_steps()) {
        Error(where, fmt::format("{} states, expected {}", l.states_size(), s.time().num_steps()));
      }
      if (l.lane_ids_size() == 0) Warning(where, "controls no lane");
      for (int i = 0; i < l.lane_ids_size(); ++i) LaneRef(l.lane_ids(i), fmt::format("{} lane_ids[{}]", where, i));
    }
  }

  void CheckGoal(const v1::Scenario& s) {
    for (int r = 0; r < s.goal().regions_size(); ++r) {
      const v1::GoalRegion& g = s.goal().regions(r);
      const std::string where = fmt::format("goal.regions[{}]", r);
      if (g.shapes_size() == 0 && g.lane_ids_size() == 0) Warning(where, "no position constraint");
      for (int i = 0; i < g.lane_ids_size(); ++i) LaneRef(g.lane_ids(i), fmt::format("{} lane_ids[{}]", where, i));
      if (g.has_steps() && g.steps().min() > g.steps().max()) {
        Error(where, fmt::format("step interval [{}, {}] is empty", g.steps().min(), g.steps().max()));
      }
      if (g.has_speed() && g.speed().min() > g.speed().max()) {
        Error(where, fmt::format("speed interval [{}, {}] is empty", g.speed().min(), g.speed().max()));
      }
      for (int i = 0; i < g.shapes_size(); ++i) {
        const v1::GoalShape& shape = g.shapes(i);
        const std::string at = fmt::format("{} shapes[{}]", where, i);
        if (shape.has_rectangle() && (!(shape.rectangle().length() > 0) || !(shape.rectangle().width() > 0))) {
          Error(at, fmt::format("rectangle {} x {} m", shape.rectangle().length(), shape.rectangle().width()));
        }
        if (shape.has_polygon()) CheckPolyline(shape.polygon(), at, 3);
      }
    }
  }

  std::vector<Problem> Take() { return std::move(problems_); }

 private:
  const ValidateOptions& options_;
  std::set<std::string> lane_ids_;
  std::vector<Problem> problems_;
};

}  // namespace

std::vector<Problem> ValidateScenario(const v1::Scenario& scenario, const ValidateOptions& options) {
  Checker checker(options);
  checker.Run(scenario);
  return checker.Take();
}

int CountErrors(const std::vector<Problem>& problems) {
  int n = 0;
  for (const Problem& p : problems) n += p.severity == Severity::kError ? 1 : 0;
  return n;
}

}  // namespace tarmac
