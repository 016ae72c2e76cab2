#include "scenarios/import/commonroad.h"

#include <pugixml.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <string>

#include "scenarios/import/import_util.h"

namespace tarmac {
namespace {

using pugi::xml_node;

// Longest scenario accepted, in steps; guards allocations against corrupt
// time values (10 000 steps = 16 min at 0.1 s).
constexpr long long kMaxSteps = 10000;

// Traffic sign ids (German StVO numbers and US MUTCD codes) the importer
// understands. CommonRoad stores the speed in `additionalValue` in m/s.
const std::set<std::string, std::less<>> kMaxSpeedSigns = {"274", "274.1", "R2-1", "MAX_SPEED"};
const std::set<std::string, std::less<>> kStopSigns = {"206", "R1-1", "STOP"};

// "lanelet[id=3]/leftBound/point[2]/x": where an element sits, for messages.
std::string Describe(xml_node node) {
  std::vector<std::string> parts;
  for (xml_node n = node; n && n.type() == pugi::node_element; n = n.parent()) {
    std::string part = n.name();
    if (const pugi::xml_attribute id = n.attribute("id")) {
      part += fmt::format("[id={}]", id.value());
    } else if (n.parent()) {
      int index = 0;
      int count = 0;
      for (xml_node s = n.parent().child(n.name()); s; s = s.next_sibling(n.name())) {
        if (s == n) index = count;
        ++count;
      }
      if (count > 1) part += fmt::format("[{}]", index);
    }
    parts.push_back(std::move(part));
    if (n.name() == std::string_view("commonRoad")) break;
  }
  std::string out;
  for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
    if (!out.empty()) out += '/';
    out += *it;
  }
  return out;
}

xml_node Child(xml_node parent, const char* name) {
  xml_node c = parent.child(name);
  if (!c) ThrowImportError("{}: missing <{}>", Describe(parent), name);
  return c;
}

double Number(xml_node node) {
  return ParseFiniteDouble(node.text().get(), Describe(node));
}

double ChildNumber(xml_node parent, const char* name) { return Number(Child(parent, name)); }

// A CommonRoad value element: <exact>v</exact>, or an interval whose midpoint
// is taken.
double ExactOrMid(xml_node value) {
  if (xml_node e = value.child("exact")) return Number(e);
  if (value.child("intervalStart") && value.child("intervalEnd")) {
    return 0.5 * (ChildNumber(value, "intervalStart") + ChildNumber(value, "intervalEnd"));
  }
  ThrowImportError("{}: expected <exact> or <intervalStart>/<intervalEnd>", Describe(value));
}

v1::Interval ReadInterval(xml_node value) {
  v1::Interval interval;
  if (xml_node e = value.child("exact")) {
    interval.set_min(Number(e));
    interval.set_max(interval.min());
  } else {
    interval.set_min(ChildNumber(value, "intervalStart"));
    interval.set_max(ChildNumber(value, "intervalEnd"));
  }
  return interval;
}

long long Step(xml_node time) {
  const double t = ExactOrMid(time);
  if (t < 0 || t > static_cast<double>(kMaxSteps) || t != std::floor(t)) {
    ThrowImportError("{}: time step {} is not an integer in [0, {}]", Describe(time), t, kMaxSteps);
  }
  return static_cast<long long>(t);
}

v1::Polyline ReadPoints(xml_node parent) {
  v1::Polyline line;
  for (xml_node p = parent.child("point"); p; p = p.next_sibling("point")) {
    AddPoint(&line, ChildNumber(p, "x"), ChildNumber(p, "y"));
  }
  return line;
}

std::string Ref(xml_node node) {
  const pugi::xml_attribute ref = node.attribute("ref");
  if (!ref) ThrowImportError("{}: missing attribute ref", Describe(node));
  return ref.value();
}

std::vector<std::string> Refs(xml_node parent, const char* name) {
  std::vector<std::string> out;
  for (xml_node n = parent.child(name); n; n = n.next_sibling(name)) out.push_back(Ref(n));
  return out;
}

std::string Id(xml_node node) {
  const pugi::xml_attribute id = node.attribute("id");
  if (!id || *id.value() == '\0') ThrowImportError("{}: missing attribute id", Describe(node));
  return id.value();
}

v1::LaneType LaneTypeOf(const std::string& type) {
  if (type == "accessRamp" || type == "exitRamp") return v1::LANE_TYPE_ACCESS_RAMP;
  if (type == "shoulder") return v1::LANE_TYPE_SHOULDER;
  if (type == "busLane" || type == "busStop") return v1::LANE_TYPE_BUS;
  if (type == "bicycleLane") return v1::LANE_TYPE_BIKE;
  if (type == "sidewalk") return v1::LANE_TYPE_SIDEWALK;
  if (type == "crosswalk") return v1::LANE_TYPE_CROSSWALK;
  if (type == "parking") return v1::LANE_TYPE_PARKING;
  return v1::LANE_TYPE_VEHICLE;
}

v1::TrackType TrackTypeOf(const std::string& type, bool is_static) {
  static const std::map<std::string, v1::TrackType, std::less<>> kTypes = {
      {"car", v1::TRACK_TYPE_VEHICLE},       {"truck", v1::TRACK_TYPE_VEHICLE},
      {"bus", v1::TRACK_TYPE_VEHICLE},       {"motorcycle", v1::TRACK_TYPE_VEHICLE},
      {"taxi", v1::TRACK_TYPE_VEHICLE},      {"priorityVehicle", v1::TRACK_TYPE_VEHICLE},
      {"train", v1::TRACK_TYPE_VEHICLE},     {"bicycle", v1::TRACK_TYPE_CYCLIST},
      {"pedestrian", v1::TRACK_TYPE_PEDESTRIAN}, {"parkedVehicle", v1::TRACK_TYPE_STATIC},
      {"constructionZone", v1::TRACK_TYPE_STATIC}, {"roadBoundary", v1::TRACK_TYPE_STATIC},
      {"building", v1::TRACK_TYPE_STATIC},   {"pillar", v1::TRACK_TYPE_STATIC},
      {"median_strip", v1::TRACK_TYPE_STATIC}, {"unknown", v1::TRACK_TYPE_OTHER},
  };
  if (is_static) return v1::TRACK_TYPE_STATIC;
  const auto it = kTypes.find(type);
  return it == kTypes.end() ? v1::TRACK_TYPE_OTHER : it->second;
}

v1::SignalState SignalOf(xml_node color) {
  const std::string_view c = color.text().get();
  if (c == "red" || c == "redYellow") return v1::SIGNAL_STATE_STOP;  // red-yellow: still stop
  if (c == "yellow") return v1::SIGNAL_STATE_CAUTION;
  if (c == "green") return v1::SIGNAL_STATE_GO;
  if (c == "inactive") return v1::SIGNAL_STATE_OFF;
  ThrowImportError("{}: unknown traffic light color '{}'", Describe(color), c);
}

// Box length and width of an obstacle's <shape>.
void ReadShape(xml_node shape, double* length, double* width) {
  if (xml_node r = shape.child("rectangle")) {
    *length = ChildNumber(r, "length");
    *width = ChildNumber(r, "width");
  } else if (xml_node c = shape.child("circle")) {
    *length = *width = 2.0 * ChildNumber(c, "radius");
  } else if (xml_node p = shape.child("polygon")) {
    const v1::Polyline poly = ReadPoints(p);
    if (poly.x_size() < 3) ThrowImportError("{}: polygon with {} points", Describe(p), poly.x_size());
    const auto [xmin, xmax] = std::minmax_element(poly.x().begin(), poly.x().end());
    const auto [ymin, ymax] = std::minmax_element(poly.y().begin(), poly.y().end());
    *length = *xmax - *xmin;
    *width = *ymax - *ymin;
  } else if (xml_node g = shape.child("shapeGroup")) {
    ReadShape(g, length, width);
  } else {
    ThrowImportError("{}: expected <rectangle>, <circle>, <polygon> or <shapeGroup>",
                     Describe(shape));
  }
}

struct ObstacleState {
  long long step = 0;
  double x = 0, y = 0, heading = 0, speed = 0, lateral_speed = 0;
};

ObstacleState ReadState(xml_node state) {
  ObstacleState s;
  s.step = Step(Child(state, "time"));
  xml_node position = Child(state, "position");
  if (xml_node p = position.child("point")) {
    s.x = ChildNumber(p, "x");
    s.y = ChildNumber(p, "y");
  } else if (xml_node r = position.child("rectangle")) {
    xml_node c = Child(r, "center");
    s.x = ChildNumber(c, "x");
    s.y = ChildNumber(c, "y");
  } else if (xml_node c = position.child("circle")) {
    xml_node center = Child(c, "center");
    s.x = ChildNumber(center, "x");
    s.y = ChildNumber(center, "y");
  } else {
    ThrowImportError("{}: expected <point>, <rectangle> or <circle>", Describe(position));
  }
  s.heading = ExactOrMid(Child(state, "orientation"));
  if (xml_node v = state.child("velocity")) s.speed = ExactOrMid(v);
  if (xml_node v = state.child("velocityY")) s.lateral_speed = ExactOrMid(v);
  return s;
}

struct Importer {
  xml_node root;
  v1::Scenario scenario;
  std::map<std::string, xml_node, std::less<>> signs;   // trafficSign id -> element
  std::map<std::string, xml_node, std::less<>> lights;  // trafficLight id -> element
  std::map<std::string, std::vector<std::string>, std::less<>> light_lanes;
  std::map<std::string, std::vector<std::string>, std::less<>> sign_lanes;
  std::set<std::string, std::less<>> intersection_lanes;

  void ReadHeader(const ImportContext&) {
    const std::string version = root.attribute("commonRoadVersion").value();
    const std::string id = root.attribute("benchmarkID").value();
    if (id.empty()) ThrowImportError("commonRoad: missing attribute benchmarkID");
    scenario.set_id(id);
    const double dt =
        ParseFiniteDouble(root.attribute("timeStepSize").value(), "commonRoad/@timeStepSize");
    scenario.mutable_time()->set_dt_s(dt);
    scenario.mutable_time()->set_current_step(0);

    v1::Provenance* p = scenario.mutable_provenance();
    p->set_source_id(id);
    const std::string source = root.attribute("source").value();
    const bool ngsim = source.find("NGSIM") != std::string::npos;
    p->set_dataset(ngsim ? "NGSIM (CommonRoad)" : source);
    p->set_license(ngsim ? "NGSIM trajectories: US DOT public data; lanelets derived from "
                           "OpenStreetMap (ODbL); file licence: see the repository it came from"
                         : "unknown (CommonRoad XML states no licence)");
    auto note = [p](std::string key, std::string value) {
      v1::KeyValue* kv = p->add_notes();
      kv->set_key(std::move(key));
      kv->set_value(std::move(value));
    };
    note("commonroad_version", version);
    note("source", source);
    note("author", root.attribute("author").value());
    note("date", root.attribute("date").value());
    // Tags: an attribute in 2018b, child elements of <scenarioTags> in 2020a.
    std::string tags = root.attribute("tags").value();
    for (size_t pos = 0; pos < tags.size();) {
      const size_t end = std::min(tags.find(' ', pos), tags.size());
      if (end > pos) p->add_tags(tags.substr(pos, end - pos));
      pos = end + 1;
    }
    for (xml_node t = root.child("scenarioTags").first_child(); t; t = t.next_sibling()) {
      if (t.type() == pugi::node_element) p->add_tags(t.name());
    }
    // Map name: "USA_US101-4_1_T-1" -> "USA_US101-4" (country_map-mapid).
    const size_t cut = id.find('_', id.find('_') + 1);
    scenario.mutable_map()->set_name(cut == std::string::npos ? id : id.substr(0, cut));
  }

  void IndexRegulatoryElements() {
    for (xml_node s = root.child("trafficSign"); s; s = s.next_sibling("trafficSign")) {
      signs[Id(s)] = s;
    }
    for (xml_node l = root.child("trafficLight"); l; l = l.next_sibling("trafficLight")) {
      lights[Id(l)] = l;
    }
    for (xml_node i = root.child("intersection"); i; i = i.next_sibling("intersection")) {
      for (xml_node in = i.child("incoming"); in; in = in.next_sibling("incoming")) {
        for (const char* kind : {"successorsRight", "successorsStraight", "successorsLeft"}) {
          for (const std::string& ref : Refs(in, kind)) intersection_lanes.insert(ref);
        }
      }
    }
  }

  // Speed limit [m/s] from 2018b <speedLimit> or 2020a max-speed signs; 0 if none.
  double SpeedLimit(xml_node lanelet) {
    if (xml_node s = lanelet.child("speedLimit")) return Number(s);
    double limit = 0.0;
    for (const std::string& ref : Refs(lanelet, "trafficSignRef")) {
      const auto it = signs.find(ref);
      if (it == signs.end()) {
        ThrowImportError("{}: trafficSignRef {} names no <trafficSign>", Describe(lanelet), ref);
      }
      for (xml_node e = it->second.child("trafficSignElement"); e;
           e = e.next_sibling("trafficSignElement")) {
        if (kMaxSpeedSigns.count(e.child("trafficSignID").text().get()) == 0) continue;
        const double v = ChildNumber(e, "additionalValue");
        limit = limit == 0.0 ? v : std::min(limit, v);
      }
    }
    return limit;
  }

  void ReadLanelet(xml_node lanelet) {
    v1::Lane* lane = scenario.mutable_map()->add_lanes();
    const std::string id = Id(lanelet);
    lane->set_id(id);
    xml_node left = Child(lanelet, "leftBound");
    xml_node right = Child(lanelet, "rightBound");
    *lane->mutable_left_boundary() = ReadPoints(left);
    *lane->mutable_right_boundary() = ReadPoints(right);
    if (lane->left_boundary().x_size() < 2 || lane->right_boundary().x_size() < 2) {
      ThrowImportError("{}: bounds have {} and {} points, need >= 2 each", Describe(lanelet),
                       lane->left_boundary().x_size(), lane->right_boundary().x_size());
    }
    *lane->mutable_centerline() = CenterlineFromBounds(lane->left_boundary(), lane->right_boundary());
    lane->set_left_marking(left.child("lineMarking").text().get());
    lane->set_right_marking(right.child("lineMarking").text().get());
    for (const std::string& ref : Refs(lanelet, "predecessor")) lane->add_predecessor_ids(ref);
    for (const std::string& ref : Refs(lanelet, "successor")) lane->add_successor_ids(ref);
    for (const char* side : {"adjacentLeft", "adjacentRight"}) {
      for (xml_node a = lanelet.child(side); a; a = a.next_sibling(side)) {
        v1::LaneNeighbor* n = side == std::string_view("adjacentLeft") ? lane->add_left_neighbors()
                                                                       : lane->add_right_neighbors();
        n->set_lane_id(Ref(a));
        const std::string_view dir = a.attribute("drivingDir").value();
        if (dir != "same" && dir != "opposite") {
          ThrowImportError("{}: drivingDir '{}', expected 'same' or 'opposite'", Describe(a), dir);
        }
        n->set_same_direction(dir == "same");
      }
    }
    lane->set_speed_limit_mps(SpeedLimit(lanelet));
    std::string types;
    v1::LaneType type = v1::LANE_TYPE_VEHICLE;
    for (xml_node t = lanelet.child("laneletType"); t; t = t.next_sibling("laneletType")) {
      const std::string name = t.text().get();
      if (!types.empty()) types += ',';
      types += name;
      if (LaneTypeOf(name) != v1::LANE_TYPE_VEHICLE) type = LaneTypeOf(name);
    }
    lane->set_type(type);
    lane->set_source_type(types);
    lane->set_is_intersection(intersection_lanes.count(id) > 0);
    if (type == v1::LANE_TYPE_CROSSWALK) AddCrosswalk(*lane);

    for (const std::string& ref : Refs(lanelet, "trafficLightRef")) {
      if (lights.count(ref) == 0) {
        ThrowImportError("{}: trafficLightRef {} names no <trafficLight>", Describe(lanelet), ref);
      }
      light_lanes[ref].push_back(id);
    }
    for (const std::string& ref : Refs(lanelet, "trafficSignRef")) sign_lanes[ref].push_back(id);
    if (xml_node stop = lanelet.child("stopLine")) AddStopLine(stop, *lane);
  }

  void AddCrosswalk(const v1::Lane& lane) {
    v1::Crosswalk* c = scenario.mutable_map()->add_crosswalks();
    c->set_id(lane.id());
    const v1::Polyline& l = lane.left_boundary();
    const v1::Polyline& r = lane.right_boundary();
    for (int i = 0; i < l.x_size(); ++i) AddPoint(c->mutable_polygon(), l.x(i), l.y(i));
    for (int i = r.x_size() - 1; i >= 0; --i) AddPoint(c->mutable_polygon(), r.x(i), r.y(i));
  }

  // A lanelet's stop line; without points it lies across the lanelet's end.
  void AddStopLine(xml_node stop, const v1::Lane& lane) {
    v1::StopLine* s = scenario.mutable_map()->add_stop_lines();
    s->set_id(lane.id() + "/stopLine");
    s->add_lane_ids(lane.id());
    *s->mutable_polyline() = ReadPoints(stop);
    if (s->polyline().x_size() == 0) {
      const v1::Polyline& l = lane.left_boundary();
      const v1::Polyline& r = lane.right_boundary();
      AddPoint(s->mutable_polyline(), l.x(l.x_size() - 1), l.y(l.y_size() - 1));
      AddPoint(s->mutable_polyline(), r.x(r.x_size() - 1), r.y(r.y_size() - 1));
    } else if (s->polyline().x_size() != 2) {
      ThrowImportError("{}: stop line with {} points, expected 0 or 2", Describe(stop),
                       s->polyline().x_size());
    }
  }

  void AddStopSigns() {
    for (const auto& [id, sign] : signs) {
      bool is_stop = false;
      for (xml_node e = sign.child("trafficSignElement"); e; e = e.next_sibling("trafficSignElement")) {
        is_stop = is_stop || kStopSigns.count(e.child("trafficSignID").text().get()) > 0;
      }
      if (!is_stop) continue;
      v1::StopSign* s = scenario.mutable_map()->add_stop_signs();
      s->set_id(id);
      if (xml_node p = sign.child("position").child("point")) {
        s->set_x(ChildNumber(p, "x"));
        s->set_y(ChildNumber(p, "y"));
      }
      for (const std::string& lane : sign_lanes[id]) s->add_lane_ids(lane);
    }
  }

  // Per-step states of every traffic light: the cycle starts at timeOffset and
  // repeats, i.e. the state at step t is the cycle element containing
  // (t - offset) mod cycle_length (CommonRoad 2020a semantics).
  void AddTrafficLights(int num_steps) {
    for (const auto& [id, light] : lights) {
      v1::TrafficLight* tl = scenario.add_traffic_lights();
      tl->set_id(id);
      for (const std::string& lane : light_lanes[id]) tl->add_lane_ids(lane);
      if (!light_lanes[id].empty()) SetStopPoint(light_lanes[id].front(), tl);
      std::vector<std::pair<long long, v1::SignalState>> cycle;
      long long length = 0;
      long long offset = 0;
      xml_node c = light.child("cycle");
      for (xml_node e = c.child("cycleElement"); e; e = e.next_sibling("cycleElement")) {
        const double d = ChildNumber(e, "duration");
        if (d <= 0 || d > 1e7 || d != std::floor(d)) {
          ThrowImportError("{}: duration {} is not a positive whole number of steps",
                           Describe(e.child("duration")), d);
        }
        length += static_cast<long long>(d);
        cycle.emplace_back(length, SignalOf(Child(e, "color")));
      }
      if (xml_node o = c.child("timeOffset")) offset = static_cast<long long>(Number(o));
      const bool active = std::string_view(light.child("active").text().as_string("true")) != "false";
      for (int t = 0; t < num_steps; ++t) {
        v1::SignalState state = v1::SIGNAL_STATE_UNKNOWN;
        if (!active) {
          state = v1::SIGNAL_STATE_OFF;
        } else if (length > 0) {
          const long long phase = ((t - offset) % length + length) % length;
          for (const auto& [end, s] : cycle) {
            if (phase < end) {
              state = s;
              break;
            }
          }
        }
        tl->add_states(state);
      }
    }
  }

  // Where traffic on `lane_id` stops for a light: the middle of its stop line,
  // else the end of its centreline.
  void SetStopPoint(const std::string& lane_id, v1::TrafficLight* tl) {
    for (const v1::StopLine& s : scenario.map().stop_lines()) {
      if (s.lane_ids_size() > 0 && s.lane_ids(0) == lane_id) {
        tl->set_has_stop_point(true);
        tl->set_stop_x(0.5 * (s.polyline().x(0) + s.polyline().x(s.polyline().x_size() - 1)));
        tl->set_stop_y(0.5 * (s.polyline().y(0) + s.polyline().y(s.polyline().y_size() - 1)));
        return;
      }
    }
    for (const v1::Lane& lane : scenario.map().lanes()) {
      if (lane.id() == lane_id) {
        const v1::Polyline& c = lane.centerline();
        tl->set_has_stop_point(true);
        tl->set_stop_x(c.x(c.x_size() - 1));
        tl->set_stop_y(c.y(c.y_size() - 1));
        return;
      }
    }
  }

  struct PendingTrack {
    xml_node element;
    bool is_static = false;
    std::vector<ObstacleState> states;
  };

  std::vector<PendingTrack> ReadObstacles(long long* max_step) {
    std::vector<PendingTrack> out;
    for (xml_node o = root.first_child(); o; o = o.next_sibling()) {
      const std::string_view name = o.name();
      bool is_static = false;
      if (name == "dynamicObstacle") {
        is_static = false;
      } else if (name == "staticObstacle") {
        is_static = true;
      } else if (name == "obstacle") {  // 2018b
        const std::string_view role = Child(o, "role").text().get();
        if (role != "dynamic" && role != "static") {
          ThrowImportError("{}: role '{}', expected 'dynamic' or 'static'", Describe(o), role);
        }
        is_static = role == "static";
      } else {
        continue;
      }
      PendingTrack track{o, is_static, {}};
      track.states.push_back(ReadState(Child(o, "initialState")));
      for (xml_node s = o.child("trajectory").child("state"); s; s = s.next_sibling("state")) {
        track.states.push_back(ReadState(s));
      }
      for (const ObstacleState& s : track.states) *max_step = std::max(*max_step, s.step);
      out.push_back(std::move(track));
    }
    return out;
  }

  void AddTrack(const PendingTrack& pending, int num_steps) {
    v1::Track* track = scenario.add_tracks();
    xml_node o = pending.element;
    track->set_id(Id(o));
    const std::string type = Child(o, "type").text().get();
    track->set_source_type(type);
    track->set_type(TrackTypeOf(type, pending.is_static));
    double length = 0, width = 0;
    ReadShape(Child(o, "shape"), &length, &width);
    track->set_length_m(length);
    track->set_width_m(width);
    InitTrack(num_steps, track);
    auto set_state = [track](int t, const ObstacleState& s) {
      const double c = std::cos(s.heading), sn = std::sin(s.heading);
      track->set_x(t, s.x);
      track->set_y(t, s.y);
      track->set_heading(t, s.heading);
      track->set_vx(t, s.speed * c - s.lateral_speed * sn);
      track->set_vy(t, s.speed * sn + s.lateral_speed * c);
      track->set_valid(t, true);
    };
    if (pending.is_static) {
      for (int t = 0; t < num_steps; ++t) set_state(t, pending.states.front());
      return;
    }
    for (const ObstacleState& s : pending.states) {
      const int t = static_cast<int>(s.step);
      if (track->valid(t)) {
        ThrowImportError("{}: two states at time step {}", Describe(o), t);
      }
      set_state(t, s);
    }
  }

  void ReadPlanningProblem() {
    xml_node problem = root.child("planningProblem");
    if (!problem) return;  // a scenario without a task: no ego
    int count = 0;
    for (xml_node p = problem; p; p = p.next_sibling("planningProblem")) ++count;
    v1::Provenance* prov = scenario.mutable_provenance();
    v1::KeyValue* kv = prov->add_notes();
    kv->set_key("planning_problem");
    kv->set_value(count == 1 ? Id(problem)
                             : fmt::format("{} (first of {}; the others are ignored)", Id(problem), count));

    v1::Ego* ego = scenario.mutable_ego();
    ego->set_length_m(kCommonRoadEgoLength);
    ego->set_width_m(kCommonRoadEgoWidth);
    xml_node init = Child(problem, "initialState");
    v1::EgoInitialState* s = ego->mutable_initial_state();
    s->set_step(static_cast<int>(Step(Child(init, "time"))));
    xml_node point = Child(Child(init, "position"), "point");
    s->set_x(ChildNumber(point, "x"));
    s->set_y(ChildNumber(point, "y"));
    s->set_heading(ExactOrMid(Child(init, "orientation")));
    s->set_speed(ExactOrMid(Child(init, "velocity")));
    if (xml_node v = init.child("yawRate")) s->set_yaw_rate(ExactOrMid(v));
    if (xml_node v = init.child("slipAngle")) s->set_slip_angle(ExactOrMid(v));
    if (xml_node v = init.child("acceleration")) s->set_acceleration(ExactOrMid(v));

    for (xml_node g = problem.child("goalState"); g; g = g.next_sibling("goalState")) {
      v1::GoalRegion* region = scenario.mutable_goal()->add_regions();
      if (xml_node pos = g.child("position")) ReadGoalPosition(pos, region);
      if (xml_node t = g.child("time")) {
        const v1::Interval i = ReadInterval(t);
        constexpr double kMax = static_cast<double>(kMaxSteps);
        region->mutable_steps()->set_min(static_cast<int>(std::clamp(i.min(), 0.0, kMax)));
        region->mutable_steps()->set_max(static_cast<int>(std::clamp(i.max(), 0.0, kMax)));
      }
      if (xml_node o = g.child("orientation")) *region->mutable_heading() = ReadInterval(o);
      if (xml_node v = g.child("velocity")) *region->mutable_speed() = ReadInterval(v);
    }
  }

  void ReadGoalPosition(xml_node pos, v1::GoalRegion* region) {
    for (xml_node n = pos.first_child(); n; n = n.next_sibling()) {
      const std::string_view name = n.name();
      if (name == "rectangle") {
        v1::Rectangle* r = region->add_shapes()->mutable_rectangle();
        xml_node c = Child(n, "center");
        r->set_center_x(ChildNumber(c, "x"));
        r->set_center_y(ChildNumber(c, "y"));
        r->set_length(ChildNumber(n, "length"));
        r->set_width(ChildNumber(n, "width"));
        if (n.child("orientation")) r->set_orientation(ChildNumber(n, "orientation"));
      } else if (name == "circle") {
        v1::Circle* c = region->add_shapes()->mutable_circle();
        xml_node center = Child(n, "center");
        c->set_center_x(ChildNumber(center, "x"));
        c->set_center_y(ChildNumber(center, "y"));
        c->set_radius(ChildNumber(n, "radius"));
      } else if (name == "polygon") {
        *region->add_shapes()->mutable_polygon() = ReadPoints(n);
      } else if (name == "lanelet") {
        region->add_lane_ids(Ref(n));
      } else if (name == "point") {
        v1::Circle* c = region->add_shapes()->mutable_circle();  // a point: a tiny circle
        c->set_center_x(ChildNumber(n, "x"));
        c->set_center_y(ChildNumber(n, "y"));
        c->set_radius(0.0);
      } else if (n.type() == pugi::node_element) {
        ThrowImportError("{}: unsupported goal position element <{}>", Describe(n), name);
      }
    }
  }
};

std::string XmlErrorPosition(std::string_view bytes, ptrdiff_t offset) {
  const size_t end = std::min(bytes.size(), static_cast<size_t>(std::max<ptrdiff_t>(offset, 0)));
  const long long line = 1 + std::count(bytes.begin(), bytes.begin() + static_cast<ptrdiff_t>(end), '\n');
  const size_t last_nl = bytes.substr(0, end).rfind('\n');
  const size_t column = last_nl == std::string_view::npos ? end + 1 : end - last_nl;
  return fmt::format("line {}, column {} (byte {})", line, column, offset);
}

}  // namespace

std::vector<v1::Scenario> ImportCommonRoad(std::string_view bytes, const ImportContext& ctx) {
  pugi::xml_document doc;
  const pugi::xml_parse_result parsed =
      doc.load_buffer(bytes.data(), bytes.size(), pugi::parse_default, pugi::encoding_utf8);
  if (!parsed) {
    ThrowImportError("malformed XML at {}: {}", XmlErrorPosition(bytes, parsed.offset),
                     parsed.description());
  }
  Importer im;
  im.root = doc.child("commonRoad");
  if (!im.root) ThrowImportError("root element is not <commonRoad>");
  im.ReadHeader(ctx);
  im.IndexRegulatoryElements();
  for (xml_node l = im.root.child("lanelet"); l; l = l.next_sibling("lanelet")) im.ReadLanelet(l);

  long long max_step = 0;
  std::vector<Importer::PendingTrack> obstacles = im.ReadObstacles(&max_step);
  if (xml_node p = im.root.child("planningProblem")) {
    if (xml_node t = p.child("initialState").child("time")) max_step = std::max(max_step, Step(t));
  }
  const int num_steps = static_cast<int>(max_step + 1);
  im.scenario.mutable_time()->set_num_steps(num_steps);
  for (const Importer::PendingTrack& o : obstacles) im.AddTrack(o, num_steps);
  im.AddTrafficLights(num_steps);
  im.AddStopSigns();
  im.ReadPlanningProblem();

  std::vector<v1::Scenario> out;
  out.push_back(std::move(im.scenario));
  return out;
}

}  // namespace tarmac
