#include "authoring/road_builder.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numbers>
#include <string>

#include "scenarios/import/import_util.h"
#include "scenarios/map/polyline.h"

namespace tarmac {
namespace {

constexpr double kPi = std::numbers::pi;
constexpr double kDeg = kPi / 180.0;

double Or(double v, double fallback) { return v > 0.0 ? v : fallback; }
int Or(int v, int fallback) { return v > 0 ? v : fallback; }

// A dense polyline's points offset sideways by `offset` (+ left of its direction).
std::vector<Vec2> Offset(const std::vector<Vec2>& pts, double offset) {
  std::vector<Vec2> out(pts.size());
  const size_t n = pts.size();
  for (size_t k = 0; k < n; ++k) {
    const size_t a = k == 0 ? 0 : k - 1, b = k + 1 < n ? k + 1 : n - 1;
    const double h = std::atan2(pts[b].y - pts[a].y, pts[b].x - pts[a].x);
    out[k] = {pts[k].x - offset * std::sin(h), pts[k].y + offset * std::cos(h)};
  }
  return out;
}

std::vector<Vec2> Line(Vec2 a, Vec2 b, double step = 5.0) {
  const double len = Norm(b.x - a.x, b.y - a.y);
  const int n = std::max(1, static_cast<int>(std::ceil(len / step)));
  std::vector<Vec2> pts;
  for (int i = 0; i <= n; ++i) {
    const double t = static_cast<double>(i) / n;
    pts.push_back({a.x + t * (b.x - a.x), a.y + t * (b.y - a.y)});
  }
  return pts;
}

void SetPolyline(v1::Polyline* out, const std::vector<Vec2>& pts) {
  out->Clear();
  for (const Vec2& p : pts) AddPoint(out, p.x, p.y);
}

class MapBuilder {
 public:
  v1::Lane* AddLane(const std::string& id, const std::vector<Vec2>& center, double width, double limit,
                    const std::string& left_marking = "", const std::string& right_marking = "") {
    v1::Lane* lane = map.add_lanes();
    lane->set_id(id);
    lane->set_type(v1::LANE_TYPE_VEHICLE);
    lane->set_speed_limit_mps(limit);
    SetPolyline(lane->mutable_centerline(), center);
    SetPolyline(lane->mutable_left_boundary(), Offset(center, 0.5 * width));
    SetPolyline(lane->mutable_right_boundary(), Offset(center, -0.5 * width));
    lane->set_left_marking(left_marking);
    lane->set_right_marking(right_marking);
    index_[id] = map.lanes_size() - 1;
    return lane;
  }
  v1::Lane* Lane(const std::string& id) { return map.mutable_lanes(index_.at(id)); }
  void Link(const std::string& from, const std::string& to) {
    Lane(from)->add_successor_ids(to);
    Lane(to)->add_predecessor_ids(from);
  }
  void Neighbors(const std::string& lane, const std::string& left, bool same_direction) {
    v1::LaneNeighbor* n = Lane(lane)->add_left_neighbors();
    n->set_lane_id(left);
    n->set_same_direction(same_direction);
    if (same_direction) {
      v1::LaneNeighbor* r = Lane(left)->add_right_neighbors();
      r->set_lane_id(lane);
      r->set_same_direction(true);
    } else {
      v1::LaneNeighbor* r = Lane(left)->add_left_neighbors();  // the oncoming lane's left is us
      r->set_lane_id(lane);
      r->set_same_direction(false);
    }
  }
  void AddEdge(const std::string& id, const std::vector<Vec2>& pts) {
    v1::RoadEdge* e = map.add_road_edges();
    e->set_id(id);
    e->set_type(v1::ROAD_EDGE_TYPE_BOUNDARY);
    SetPolyline(e->mutable_polyline(), pts);
  }
  void AddLine(const std::string& id, v1::RoadLineType type, const std::vector<Vec2>& pts) {
    v1::RoadLine* l = map.add_road_lines();
    l->set_id(id);
    l->set_type(type);
    SetPolyline(l->mutable_polyline(), pts);
  }
  bool Has(const std::string& id) const { return index_.count(id) > 0; }

  v1::Map map;

 private:
  std::map<std::string, int> index_;
};

// Lanes of a road following `reference` (the rightmost lane's centreline):
// lane0..N-1 to its left, oncoming lanes opp0..M-1 beyond.
void AddParallelLanes(MapBuilder* b, const std::vector<Vec2>& reference, int lanes, int opposite, double w,
                      double limit, const std::string& prefix) {
  for (int i = 0; i < lanes; ++i) {
    const std::string left = i + 1 < lanes ? "dashed" : (opposite > 0 ? "double_yellow" : "solid");
    b->AddLane(fmt::format("{}{}", prefix, i), Offset(reference, i * w), w, limit, left, i == 0 ? "solid" : "dashed");
  }
  for (int j = 0; j < opposite; ++j) {
    std::vector<Vec2> pts = Offset(reference, (lanes + j) * w);
    std::reverse(pts.begin(), pts.end());
    b->AddLane(fmt::format("opp{}", j), pts, w, limit, j == 0 ? "double_yellow" : "dashed",
               j + 1 == opposite ? "solid" : "dashed");
  }
  for (int i = 0; i + 1 < lanes; ++i) b->Neighbors(fmt::format("{}{}", prefix, i), fmt::format("{}{}", prefix, i + 1), true);
  if (opposite > 0) b->Neighbors(fmt::format("{}{}", prefix, lanes - 1), "opp0", false);
  for (int j = 0; j + 1 < opposite; ++j) {
    // opp j's right is opp j+1 (further out), both heading the other way.
    v1::LaneNeighbor* r = b->Lane(fmt::format("opp{}", j))->add_right_neighbors();
    r->set_lane_id(fmt::format("opp{}", j + 1));
    r->set_same_direction(true);
    v1::LaneNeighbor* l = b->Lane(fmt::format("opp{}", j + 1))->add_left_neighbors();
    l->set_lane_id(fmt::format("opp{}", j));
    l->set_same_direction(true);
  }
  const int total = lanes + opposite;
  b->AddEdge("edge_right", Offset(reference, -0.5 * w));
  b->AddEdge("edge_left", Offset(reference, (total - 0.5) * w));
  for (int i = 1; i < total; ++i) {
    const bool centre = opposite > 0 && i == lanes;
    b->AddLine(fmt::format("line{}", i),
               centre ? v1::ROAD_LINE_TYPE_SOLID_DOUBLE_YELLOW : v1::ROAD_LINE_TYPE_BROKEN_SINGLE_WHITE,
               Offset(reference, (i - 0.5) * w));
  }
}

Result<void> BuildStraight(const v1::StraightRoadSpec& s, MapBuilder* b) {
  const double length = Or(s.length_m(), 300.0);
  const int lanes = Or(s.lanes(), 2);
  if (lanes > 8 || s.opposite_lanes() < 0 || s.opposite_lanes() > 8) {
    return Error{fmt::format("road.straight: {} lanes and {} opposite lanes; each must be 1..8 / 0..8", lanes,
                             s.opposite_lanes())};
  }
  AddParallelLanes(b, Line({0, 0}, {length, 0}), lanes, s.opposite_lanes(), Or(s.lane_width_m(), 3.5),
                   Or(s.speed_limit_mps(), 15.0), "lane");
  return {};
}

Result<void> BuildCurve(const v1::CurvedRoadSpec& s, MapBuilder* b) {
  const double lead_in = Or(s.lead_in_m(), 50.0), lead_out = Or(s.lead_out_m(), 100.0);
  const double radius = Or(s.radius_m(), 80.0);
  const double angle = (s.angle_deg() == 0.0 ? 90.0 : s.angle_deg()) * kDeg;
  const int lanes = Or(s.lanes(), 2);
  const double w = Or(s.lane_width_m(), 3.5);
  if (std::abs(angle) > 1.5 * kPi || radius < (lanes + 1) * w) {
    return Error{fmt::format("road.curve: radius {} m and angle {} deg: need |angle| <= 270 and radius > {} m",
                             radius, s.angle_deg(), (lanes + 1) * w)};
  }
  std::vector<Vec2> ref = Line({-lead_in, 0}, {0, 0});
  const double sign = angle > 0 ? 1.0 : -1.0;
  const int n = std::max(4, static_cast<int>(std::ceil(radius * std::abs(angle) / 2.0)));
  for (int i = 1; i <= n; ++i) {
    const double a = angle * i / n;  // heading after the arc so far
    ref.push_back({radius * std::sin(std::abs(a)), sign * radius * (1.0 - std::cos(a))});
  }
  const Vec2 end = ref.back();
  const std::vector<Vec2> out = Line(end, {end.x + lead_out * std::cos(angle), end.y + lead_out * std::sin(angle)});
  ref.insert(ref.end(), out.begin() + 1, out.end());
  AddParallelLanes(b, ref, lanes, 0, w, Or(s.speed_limit_mps(), 15.0), "lane");
  return {};
}

// A cubic Bezier from a (heading ha) to b (heading hb), sampled every ~1 m.
std::vector<Vec2> Connector(Vec2 a, double ha, Vec2 b, double hb) {
  const double d = Norm(b.x - a.x, b.y - a.y);
  const double k = 0.4 * d;
  const Vec2 c1{a.x + k * std::cos(ha), a.y + k * std::sin(ha)};
  const Vec2 c2{b.x - k * std::cos(hb), b.y - k * std::sin(hb)};
  const int n = std::max(4, static_cast<int>(std::ceil(d)));
  std::vector<Vec2> pts;
  for (int i = 0; i <= n; ++i) {
    const double t = static_cast<double>(i) / n, u = 1.0 - t;
    pts.push_back({u * u * u * a.x + 3 * u * u * t * c1.x + 3 * u * t * t * c2.x + t * t * t * b.x,
                   u * u * u * a.y + 3 * u * u * t * c1.y + 3 * u * t * t * c2.y + t * t * t * b.y});
  }
  return pts;
}

// Lateral acceleration the turning lanes' advisory speed limits allow [m/s^2].
constexpr double kTurnLateralAccel = 3.0;

Result<void> BuildIntersection(const v1::IntersectionSpec& s, MapBuilder* b, std::vector<std::string>* ns_lanes,
                               std::vector<std::string>* ew_lanes) {
  const double arm = Or(s.arm_length_m(), 80.0);
  const int lanes = Or(s.lanes(), 1);
  const double w = Or(s.lane_width_m(), 3.5);
  const double limit = Or(s.speed_limit_mps(), 12.0);
  if (lanes > 4) return Error{fmt::format("road.intersection.lanes: {}, must be 1..4", lanes)};
  // The junction box: turning lanes' radii are about this (right) and this
  // plus the road's width (left), like a street corner's kerb radius.
  const double half = lanes * w + 8.0;
  // Arms by the heading of their incoming traffic [deg]: W heads east, S north, E west, N south.
  struct Arm {
    const char* name;
    double in_heading;
  };
  const Arm arms[] = {{"W", 0}, {"S", 90}, {"E", 180}, {"N", 270}};
  auto rotate = [](Vec2 p, double deg) {
    const double c = std::cos(deg * kDeg), sn = std::sin(deg * kDeg);
    return Vec2{c * p.x - sn * p.y, sn * p.x + c * p.y};
  };
  auto rotated = [&](const std::vector<Vec2>& pts, double deg) {
    std::vector<Vec2> out;
    for (const Vec2& p : pts) out.push_back(rotate(p, deg));
    return out;
  };
  for (const Arm& a : arms) {
    for (int i = 0; i < lanes; ++i) {
      const double y = (i + 0.5) * w;
      // In the arm's frame the incoming lane heads +x on the right (y < 0).
      b->AddLane(fmt::format("{}_in{}", a.name, i), rotated(Line({-half - arm, -y}, {-half, -y}), a.in_heading), w,
                 limit, i + 1 < lanes ? "dashed" : "double_yellow", "solid");
      b->AddLane(fmt::format("{}_out{}", a.name, i), rotated(Line({-half, y}, {-half - arm, y}), a.in_heading), w,
                 limit, i + 1 < lanes ? "dashed" : "double_yellow", "solid");
      (std::string(a.name) == "W" || std::string(a.name) == "E" ? ew_lanes : ns_lanes)
          ->push_back(fmt::format("{}_in{}", a.name, i));
    }
    for (int i = 0; i + 1 < lanes; ++i) {
      b->Neighbors(fmt::format("{}_in{}", a.name, i), fmt::format("{}_in{}", a.name, i + 1), true);
      b->Neighbors(fmt::format("{}_out{}", a.name, i), fmt::format("{}_out{}", a.name, i + 1), true);
    }
    b->Neighbors(fmt::format("{}_in{}", a.name, lanes - 1), fmt::format("{}_out{}", a.name, lanes - 1), false);
    b->AddEdge(fmt::format("{}_edge_right", a.name), rotated(Line({-half - arm, -lanes * w}, {-half, -lanes * w}), a.in_heading));
    b->AddEdge(fmt::format("{}_edge_left", a.name), rotated(Line({-half - arm, lanes * w}, {-half, lanes * w}), a.in_heading));
    b->AddLine(fmt::format("{}_centre", a.name), v1::ROAD_LINE_TYPE_SOLID_DOUBLE_YELLOW,
               rotated(Line({-half - arm, 0}, {-half, 0}), a.in_heading));
    // Stop line across the incoming lanes at the junction.
    v1::StopLine* stop = b->map.add_stop_lines();
    stop->set_id(fmt::format("{}_stop", a.name));
    SetPolyline(stop->mutable_polyline(), rotated({{-half, -lanes * w}, {-half, 0}}, a.in_heading));
    for (int i = 0; i < lanes; ++i) stop->add_lane_ids(fmt::format("{}_in{}", a.name, i));
  }
  // Connectors: straight (every lane), right (lane 0), left (the leftmost lane).
  auto arm_by_in = [&](double deg) -> const Arm& {
    for (const Arm& a : arms) {
      if (std::abs(std::remainder(a.in_heading - deg, 360.0)) < 1e-6) return a;
    }
    return arms[0];
  };
  for (const Arm& a : arms) {
    struct Turn {
      const char* name;
      double delta;  // heading change [deg]
      int from_lane, to_lane;
    };
    std::vector<Turn> turns;
    for (int i = 0; i < lanes; ++i) turns.push_back({"straight", 0, i, i});
    turns.push_back({"right", -90, 0, 0});
    turns.push_back({"left", 90, lanes - 1, lanes - 1});
    for (const Turn& t : turns) {
      // The arm traffic leaves through: its incoming heading is out - 180.
      const Arm& to = arm_by_in(a.in_heading + t.delta + 180.0);
      const std::string from_id = fmt::format("{}_in{}", a.name, t.from_lane);
      const std::string to_id = fmt::format("{}_out{}", to.name, t.to_lane);
      const v1::Polyline& fc = b->Lane(from_id)->centerline();
      const v1::Polyline& tc = b->Lane(to_id)->centerline();
      const Vec2 p0{fc.x(fc.x_size() - 1), fc.y(fc.y_size() - 1)};
      const Vec2 p1{tc.x(0), tc.y(0)};
      const std::string id = t.delta == 0 && lanes > 1 ? fmt::format("{}_straight{}", a.name, t.from_lane)
                                                       : fmt::format("{}_{}", a.name, t.name);
      // Turns carry an advisory limit that keeps lateral acceleration at
      // kTurnLateralAccel on their (roughly circular) arc.
      const double radius = Norm(p1.x - p0.x, p1.y - p0.y) / std::sqrt(2.0);
      const double turn_limit = t.delta == 0 ? limit : std::min(limit, std::sqrt(kTurnLateralAccel * radius));
      v1::Lane* c =
          b->AddLane(id, Connector(p0, a.in_heading * kDeg, p1, (a.in_heading + t.delta) * kDeg), w, turn_limit);
      c->set_is_intersection(true);
      b->Link(from_id, id);
      b->Link(id, to_id);
    }
  }
  // The junction box is drivable as a whole.
  v1::AreaFeature* box = b->map.add_areas();
  box->set_id("junction");
  box->set_type(v1::AREA_TYPE_DRIVABLE);
  SetPolyline(box->mutable_polygon(), {{-half, -half}, {half, -half}, {half, half}, {-half, half}});
  return {};
}

Result<void> BuildMerge(const v1::MergeSpec& s, MapBuilder* b) {
  const double length = Or(s.length_m(), 300.0);
  const int lanes = Or(s.lanes(), 2);
  const double w = Or(s.lane_width_m(), 3.5);
  const double limit = Or(s.speed_limit_mps(), 25.0);
  const double merge_x = Or(s.merge_x_m(), 120.0);
  const double ramp = Or(s.ramp_length_m(), 80.0);
  const double angle = Or(s.ramp_angle_deg(), 12.0) * kDeg;
  const double accel = Or(s.accel_lane_m(), 60.0);
  const double join_x = merge_x + accel + 30.0;  // where the taper meets main0
  if (join_x + 20.0 > length || merge_x - ramp * std::cos(angle) < 0.0) {
    return Error{fmt::format("road.merge: merge at {} m with a {} m ramp and {} m acceleration lane does not fit "
                             "a {} m road",
                             merge_x, ramp, accel, length)};
  }
  // Main road: lane "main0" splits at join_x into main0 and main0_after.
  b->AddLane("main0", Line({0, 0}, {join_x, 0}), w, limit, lanes > 1 ? "dashed" : "solid", "solid");
  b->AddLane("main0_after", Line({join_x, 0}, {length, 0}), w, limit, lanes > 1 ? "dashed" : "solid", "solid");
  b->Link("main0", "main0_after");
  for (int i = 1; i < lanes; ++i) {
    b->AddLane(fmt::format("main{}", i), Line({0, i * w}, {length, i * w}), w, limit, i + 1 < lanes ? "dashed" : "solid",
               "dashed");
  }
  for (int i = 1; i < lanes; ++i) {
    b->Neighbors(i == 1 ? "main0" : fmt::format("main{}", i - 1), fmt::format("main{}", i), true);
    if (i == 1) b->Neighbors("main0_after", "main1", true);
  }
  // Ramp from the lower left, an acceleration lane beside main0, a taper into main0_after.
  const Vec2 ramp_end{merge_x, -w};
  const Vec2 ramp_start{merge_x - ramp * std::cos(angle), -w - ramp * std::sin(angle)};
  std::vector<Vec2> ramp_pts = Connector(ramp_start, angle, ramp_end, 0.0);
  b->AddLane("ramp", ramp_pts, w, std::min(limit, 20.0), "solid", "solid");
  b->AddLane("accel", Line(ramp_end, {merge_x + accel, -w}), w, limit, "dashed", "solid");
  b->AddLane("taper", Connector({merge_x + accel, -w}, 0.0, {join_x, 0.0}, 0.0), w, limit);
  b->Link("ramp", "accel");
  b->Link("accel", "taper");
  b->Link("taper", "main0_after");
  b->Neighbors("accel", "main0", true);
  b->AddEdge("edge_left", Line({0, (lanes - 0.5) * w}, {length, (lanes - 0.5) * w}));
  b->AddEdge("edge_right_before", Line({0, -0.5 * w}, {ramp_end.x, -0.5 * w}));
  b->AddEdge("edge_right_after", Line({join_x, -0.5 * w}, {length, -0.5 * w}));
  b->AddEdge("edge_accel", Line({merge_x, -1.5 * w}, {merge_x + accel, -1.5 * w}));
  for (int i = 1; i < lanes; ++i) {
    b->AddLine(fmt::format("line{}", i), v1::ROAD_LINE_TYPE_BROKEN_SINGLE_WHITE,
               Line({0, (i - 0.5) * w}, {length, (i - 0.5) * w}));
  }
  return {};
}

void AddCrosswalk(const v1::CrosswalkSpec& c, int index, MapBuilder* b, Result<void>* status) {
  if (!b->Has(c.lane())) {
    *status = Error{fmt::format("road.crosswalks[{}].lane: no lane '{}'", index, c.lane())};
    return;
  }
  const Path2 path = Path2::FromProto(b->Lane(c.lane())->centerline());
  const PathPose p = path.PoseAt(c.s_m());
  // Span every lane within 15 m of the crossing point, measured across the lane.
  const double nx = -std::sin(p.heading), ny = std::cos(p.heading);
  double lo = -2.0, hi = 2.0;
  for (const v1::Lane& lane : b->map.lanes()) {
    const Path2 other = Path2::FromProto(lane.centerline());
    const PathProjection q = other.Project(p.x, p.y);
    if (q.distance > 15.0) continue;
    const PathPose f = other.PoseAt(q.s);
    const double d = (f.x - p.x) * nx + (f.y - p.y) * ny;
    lo = std::min(lo, d - 2.0);
    hi = std::max(hi, d + 2.0);
  }
  const double half = 0.5 * Or(c.width_m(), 4.0);
  const double tx = std::cos(p.heading), ty = std::sin(p.heading);
  v1::Crosswalk* cw = b->map.add_crosswalks();
  cw->set_id(fmt::format("crosswalk{}", index));
  SetPolyline(cw->mutable_polygon(), {{p.x - half * tx + lo * nx, p.y - half * ty + lo * ny},
                                      {p.x + half * tx + lo * nx, p.y + half * ty + lo * ny},
                                      {p.x + half * tx + hi * nx, p.y + half * ty + hi * ny},
                                      {p.x - half * tx + hi * nx, p.y - half * ty + hi * ny}});
}

}  // namespace

v1::SignalState ProgramState(const v1::SignalProgram& p, bool ns, double t) {
  const double g_ns = Or(p.ns_green_s(), 10.0), g_ew = Or(p.ew_green_s(), 10.0);
  const double y = Or(p.yellow_s(), 3.0), r = p.all_red_s() > 0 ? p.all_red_s() : 1.0;
  const double cycle = g_ns + y + r + g_ew + y + r;
  double phase = std::fmod(t + p.offset_s(), cycle);
  if (phase < 0) phase += cycle;
  const double start = ns ? 0.0 : g_ns + y + r;
  const double green = ns ? g_ns : g_ew;
  const double rel = phase - start;
  if (rel >= 0 && rel < green) return v1::SIGNAL_STATE_GO;
  if (rel >= green && rel < green + y) return v1::SIGNAL_STATE_CAUTION;
  return v1::SIGNAL_STATE_STOP;
}

Result<BuiltRoad> BuildRoad(const v1::RoadSpec& road, int num_steps, double dt) {
  MapBuilder b;
  Result<void> status;
  std::vector<std::string> ns_lanes, ew_lanes;
  switch (road.layout_case()) {
    case v1::RoadSpec::kStraight: status = BuildStraight(road.straight(), &b); break;
    case v1::RoadSpec::kCurve: status = BuildCurve(road.curve(), &b); break;
    case v1::RoadSpec::kIntersection: status = BuildIntersection(road.intersection(), &b, &ns_lanes, &ew_lanes); break;
    case v1::RoadSpec::kMerge: status = BuildMerge(road.merge(), &b); break;
    default: return Error{"road: no layout given (straight, curve, intersection or merge)"};
  }
  if (!status.ok()) return status.error();
  for (int i = 0; i < road.crosswalks_size() && status.ok(); ++i) AddCrosswalk(road.crosswalks(i), i, &b, &status);
  if (!status.ok()) return status.error();
  BuiltRoad out;
  out.map = std::move(b.map);
  if (road.has_intersection() && road.intersection().signalized()) {
    for (bool ns : {true, false}) {
      for (const std::string& lane_id : ns ? ns_lanes : ew_lanes) {
        v1::TrafficLight light;
        light.set_id(lane_id + "_signal");
        light.add_lane_ids(lane_id);
        for (const v1::Lane& lane : out.map.lanes()) {
          if (lane.id() != lane_id) continue;
          light.set_has_stop_point(true);
          light.set_stop_x(lane.centerline().x(lane.centerline().x_size() - 1));
          light.set_stop_y(lane.centerline().y(lane.centerline().y_size() - 1));
        }
        for (int k = 0; k < num_steps; ++k) light.add_states(ProgramState(road.intersection().program(), ns, k * dt));
        out.lights.push_back(std::move(light));
      }
    }
  }
  return out;
}

}  // namespace tarmac
