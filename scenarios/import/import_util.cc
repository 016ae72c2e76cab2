#include "scenarios/import/import_util.h"

#include <charconv>
#include <cmath>
#include <numbers>
#include <set>
#include <vector>

namespace tarmac {
namespace {

// Cumulative arc length of a polyline normalised to [0, 1]; all zero when the
// polyline has no length.
std::vector<double> NormalisedArcLength(const v1::Polyline& line) {
  const int n = line.x_size();
  std::vector<double> s(static_cast<size_t>(n), 0.0);
  for (int i = 1; i < n; ++i) {
    s[static_cast<size_t>(i)] = s[static_cast<size_t>(i - 1)] +
                                std::hypot(line.x(i) - line.x(i - 1), line.y(i) - line.y(i - 1));
  }
  const double total = n > 0 ? s.back() : 0.0;
  if (total > 0.0) {
    for (double& v : s) v /= total;
  }
  return s;
}

// The point at normalised arc length `u` of a polyline with fractions `s`.
void PointAt(const v1::Polyline& line, const std::vector<double>& s, double u, double* x,
             double* y) {
  const int n = line.x_size();
  if (n == 1 || u <= 0.0) {
    *x = line.x(0);
    *y = line.y(0);
    return;
  }
  for (int i = 1; i < n; ++i) {
    const double s0 = s[static_cast<size_t>(i - 1)];
    const double s1 = s[static_cast<size_t>(i)];
    if (u <= s1 || i == n - 1) {
      const double t = s1 > s0 ? std::clamp((u - s0) / (s1 - s0), 0.0, 1.0) : 0.0;
      *x = line.x(i - 1) + t * (line.x(i) - line.x(i - 1));
      *y = line.y(i - 1) + t * (line.y(i) - line.y(i - 1));
      return;
    }
  }
}

void CheckFinite(double v, const std::string& where, std::string_view field) {
  if (!std::isfinite(v)) ThrowImportError("{}: {} is {}", where, field, v);
}

void CheckPolyline(const v1::Polyline& line, const std::string& where) {
  if (line.x_size() != line.y_size()) {
    ThrowImportError("{}: {} x values but {} y values", where, line.x_size(), line.y_size());
  }
  for (int i = 0; i < line.x_size(); ++i) {
    if (!std::isfinite(line.x(i)) || !std::isfinite(line.y(i))) {
      ThrowImportError("{}: point {} is ({}, {})", where, i, line.x(i), line.y(i));
    }
  }
}

template <typename Container>
void CheckUniqueIds(const Container& items, std::string_view kind) {
  std::set<std::string> seen;
  for (const auto& item : items) {
    if (!seen.insert(item.id()).second) ThrowImportError("duplicate {} id '{}'", kind, item.id());
  }
}

}  // namespace

double WrapAngle(double angle) {
  constexpr double kPi = std::numbers::pi;
  if (angle > -kPi && angle <= kPi) return angle;
  double a = std::fmod(angle + kPi, 2.0 * kPi);
  if (a <= 0.0) a += 2.0 * kPi;
  return a - kPi;
}

v1::Polyline CenterlineFromBounds(const v1::Polyline& left, const v1::Polyline& right) {
  v1::Polyline center;
  if (left.x_size() == 0 || right.x_size() == 0) return center;
  if (left.x_size() == right.x_size()) {
    for (int i = 0; i < left.x_size(); ++i) {
      AddPoint(&center, 0.5 * (left.x(i) + right.x(i)), 0.5 * (left.y(i) + right.y(i)));
    }
    return center;
  }
  const std::vector<double> sl = NormalisedArcLength(left);
  const std::vector<double> sr = NormalisedArcLength(right);
  std::vector<double> u(sl);
  u.insert(u.end(), sr.begin(), sr.end());
  std::sort(u.begin(), u.end());
  double last = -1.0;
  for (double f : u) {
    if (f - last < 1e-9) continue;
    last = f;
    double lx, ly, rx, ry;
    PointAt(left, sl, f, &lx, &ly);
    PointAt(right, sr, f, &rx, &ry);
    AddPoint(&center, 0.5 * (lx + rx), 0.5 * (ly + ry));
  }
  return center;
}

void InitTrack(int num_steps, v1::Track* track) {
  const auto n = static_cast<size_t>(num_steps);
  track->mutable_x()->Resize(static_cast<int>(n), 0.0);
  track->mutable_y()->Resize(static_cast<int>(n), 0.0);
  track->mutable_heading()->Resize(static_cast<int>(n), 0.0);
  track->mutable_vx()->Resize(static_cast<int>(n), 0.0);
  track->mutable_vy()->Resize(static_cast<int>(n), 0.0);
  track->mutable_valid()->Resize(static_cast<int>(n), false);
}

void FinishScenario(v1::Scenario* scenario) {
  const v1::TimeBase& time = scenario->time();
  if (!(time.dt_s() > 0.0) || !std::isfinite(time.dt_s())) {
    ThrowImportError("time step dt is {} s, must be a positive number", time.dt_s());
  }
  if (time.num_steps() < 1) ThrowImportError("scenario has {} steps, need >= 1", time.num_steps());
  if (time.current_step() < 0 || time.current_step() >= time.num_steps()) {
    ThrowImportError("current step {} outside [0, {})", time.current_step(), time.num_steps());
  }
  const int n = time.num_steps();

  for (v1::Track& track : *scenario->mutable_tracks()) {
    const std::string where = fmt::format("track '{}'", track.id());
    if (track.x_size() != n || track.y_size() != n || track.heading_size() != n ||
        track.vx_size() != n || track.vy_size() != n || track.valid_size() != n) {
      ThrowImportError("{}: per-step arrays have {}/{}/{}/{}/{}/{} entries, expected {}", where,
                       track.x_size(), track.y_size(), track.heading_size(), track.vx_size(),
                       track.vy_size(), track.valid_size(), n);
    }
    CheckFinite(track.length_m(), where, "length");
    CheckFinite(track.width_m(), where, "width");
    CheckFinite(track.height_m(), where, "height");
    for (int t = 0; t < n; ++t) {
      if (!track.valid(t)) {
        track.set_x(t, 0.0);
        track.set_y(t, 0.0);
        track.set_heading(t, 0.0);
        track.set_vx(t, 0.0);
        track.set_vy(t, 0.0);
        continue;
      }
      if (!std::isfinite(track.x(t)) || !std::isfinite(track.y(t)) || !std::isfinite(track.heading(t)) ||
          !std::isfinite(track.vx(t)) || !std::isfinite(track.vy(t))) {
        const std::string at = fmt::format("{} step {}", where, t);
        CheckFinite(track.x(t), at, "x");
        CheckFinite(track.y(t), at, "y");
        CheckFinite(track.heading(t), at, "heading");
        CheckFinite(track.vx(t), at, "vx");
        CheckFinite(track.vy(t), at, "vy");
      }
      track.set_heading(t, WrapAngle(track.heading(t)));
    }
  }
  CheckUniqueIds(scenario->tracks(), "track");

  v1::Map* map = scenario->mutable_map();
  for (const v1::Lane& lane : map->lanes()) {
    const std::string where = fmt::format("lane '{}'", lane.id());
    CheckPolyline(lane.centerline(), where + " centerline");
    CheckPolyline(lane.left_boundary(), where + " left boundary");
    CheckPolyline(lane.right_boundary(), where + " right boundary");
    CheckFinite(lane.speed_limit_mps(), where, "speed limit");
  }
  CheckUniqueIds(map->lanes(), "lane");
  for (const v1::RoadEdge& e : map->road_edges()) CheckPolyline(e.polyline(), "road edge '" + e.id() + "'");
  for (const v1::RoadLine& e : map->road_lines()) CheckPolyline(e.polyline(), "road line '" + e.id() + "'");
  for (const v1::Crosswalk& e : map->crosswalks()) CheckPolyline(e.polygon(), "crosswalk '" + e.id() + "'");
  for (const v1::StopLine& e : map->stop_lines()) CheckPolyline(e.polyline(), "stop line '" + e.id() + "'");
  for (const v1::AreaFeature& e : map->areas()) CheckPolyline(e.polygon(), "area '" + e.id() + "'");
  for (const v1::StopSign& e : map->stop_signs()) {
    CheckFinite(e.x(), "stop sign '" + e.id() + "'", "x");
    CheckFinite(e.y(), "stop sign '" + e.id() + "'", "y");
  }
  for (const v1::TrafficLight& light : scenario->traffic_lights()) {
    if (light.states_size() != n) {
      ThrowImportError("traffic light '{}': {} states, expected {}", light.id(),
                       light.states_size(), n);
    }
    CheckFinite(light.stop_x(), "traffic light '" + light.id() + "'", "stop x");
    CheckFinite(light.stop_y(), "traffic light '" + light.id() + "'", "stop y");
  }

  v1::Ego* ego = scenario->mutable_ego();
  if (!ego->track_id().empty()) {
    const v1::Track* found = nullptr;
    for (const v1::Track& track : scenario->tracks()) {
      if (track.id() == ego->track_id()) found = &track;
    }
    if (found == nullptr) ThrowImportError("ego track '{}' is not among the tracks", ego->track_id());
    ego->set_length_m(found->length_m());
    ego->set_width_m(found->width_m());
    ego->clear_initial_state();
  } else if (ego->has_initial_state()) {
    const v1::EgoInitialState& s = ego->initial_state();
    const std::string where = "ego initial state";
    CheckFinite(s.x(), where, "x");
    CheckFinite(s.y(), where, "y");
    CheckFinite(s.heading(), where, "heading");
    CheckFinite(s.speed(), where, "speed");
    CheckFinite(s.yaw_rate(), where, "yaw rate");
    CheckFinite(s.slip_angle(), where, "slip angle");
    CheckFinite(s.acceleration(), where, "acceleration");
    ego->mutable_initial_state()->set_heading(WrapAngle(s.heading()));
  }
}

double ParseFiniteDouble(std::string_view text, std::string_view what) {
  std::string_view t = text;
  while (!t.empty() && std::isspace(static_cast<unsigned char>(t.front()))) t.remove_prefix(1);
  while (!t.empty() && std::isspace(static_cast<unsigned char>(t.back()))) t.remove_suffix(1);
  if (!t.empty() && t.front() == '+') t.remove_prefix(1);
  double value = 0.0;
  const auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), value);
  if (t.empty() || ec != std::errc() || ptr != t.data() + t.size() || !std::isfinite(value)) {
    ThrowImportError("{}: '{}' is not a finite number", what, text.substr(0, 64));
  }
  return value;
}

long long ParseInteger(std::string_view text, std::string_view what) {
  std::string_view t = text;
  while (!t.empty() && std::isspace(static_cast<unsigned char>(t.front()))) t.remove_prefix(1);
  while (!t.empty() && std::isspace(static_cast<unsigned char>(t.back()))) t.remove_suffix(1);
  if (!t.empty() && t.front() == '+') t.remove_prefix(1);
  long long value = 0;
  const auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), value);
  if (t.empty() || ec != std::errc() || ptr != t.data() + t.size()) {
    ThrowImportError("{}: '{}' is not an integer", what, text.substr(0, 64));
  }
  return value;
}

}  // namespace tarmac
