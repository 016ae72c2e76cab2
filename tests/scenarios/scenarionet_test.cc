// ScenarioNet importer: the 7 real nuScenes scenes in ../shared/data, checked
// against SOURCES.md and against values read with Python; a synthetic
// WOMD-style scenario (written by a small pickle writer below) for the parts
// the nuScenes files do not have; round trips, validation and error messages.
#include "scenarios/import/scenarionet.h"

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <google/protobuf/util/message_differencer.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "scenarios/import/import_util.h"
#include "scenarios/scenario_io.h"
#include "scenarios/validate.h"
#include "tests/support/test_data.h"

namespace tarmac {
namespace {

using namespace std::string_literals;

// ---- a minimal pickle writer (protocol 4 opcodes, no memo) for test inputs ----

struct Py {
  enum Kind { kNone, kInt, kFloat, kStr, kList, kDict, kArray } kind = kNone;
  int64_t i = 0;
  double d = 0;
  std::string s;  // str; for arrays the dtype spec
  std::vector<Py> items;
  std::vector<std::pair<std::string, Py>> entries;
  std::vector<int64_t> shape;
  std::string data;  // array bytes, little-endian

  static Py None() { return {}; }
  static Py Int(int64_t v) {
    Py p;
    p.kind = kInt;
    p.i = v;
    return p;
  }
  static Py Float(double v) {
    Py p;
    p.kind = kFloat;
    p.d = v;
    return p;
  }
  static Py Str(std::string v) {
    Py p;
    p.kind = kStr;
    p.s = std::move(v);
    return p;
  }
  static Py List(std::vector<Py> v) {
    Py p;
    p.kind = kList;
    p.items = std::move(v);
    return p;
  }
  static Py Dict(std::vector<std::pair<std::string, Py>> v) {
    Py p;
    p.kind = kDict;
    p.entries = std::move(v);
    return p;
  }
  template <typename T>
  static Py Array(const char* spec, std::vector<int64_t> shape, const std::vector<T>& values) {
    Py p;
    p.kind = kArray;
    p.s = spec;
    p.shape = std::move(shape);
    p.data.resize(values.size() * sizeof(T));
    std::memcpy(p.data.data(), values.data(), p.data.size());
    return p;
  }
  static Py F8(std::vector<int64_t> shape, const std::vector<double>& v) { return Array("f8", std::move(shape), v); }
  static Py F4(std::vector<int64_t> shape, const std::vector<float>& v) { return Array("f4", std::move(shape), v); }
  static Py Bool(const std::vector<uint8_t>& v) {
    return Array("b1", {static_cast<int64_t>(v.size())}, v);
  }
};

void WriteStr(const std::string& s, std::string* out) {
  if (s.size() < 256) {
    *out += "\x8c"s + static_cast<char>(s.size());
  } else {
    *out += "X"s;
    for (int k = 0; k < 4; ++k) *out += static_cast<char>((s.size() >> (8 * k)) & 0xff);
  }
  *out += s;
}

void WriteInt(int64_t v, std::string* out) {
  REQUIRE(v >= INT32_MIN);
  REQUIRE(v <= INT32_MAX);
  *out += "J"s;
  const auto u = static_cast<uint32_t>(static_cast<int32_t>(v));
  for (int k = 0; k < 4; ++k) *out += static_cast<char>((u >> (8 * k)) & 0xff);
}

void Write(const Py& p, std::string* out) {
  switch (p.kind) {
    case Py::kNone: *out += "N"; break;
    case Py::kInt: WriteInt(p.i, out); break;
    case Py::kFloat: {
      uint64_t bits;
      std::memcpy(&bits, &p.d, 8);
      *out += "G"s;
      for (int k = 7; k >= 0; --k) *out += static_cast<char>((bits >> (8 * k)) & 0xff);
      break;
    }
    case Py::kStr: WriteStr(p.s, out); break;
    case Py::kList:
      *out += "]("s;
      for (const Py& item : p.items) Write(item, out);
      *out += "e"s;
      break;
    case Py::kDict:
      *out += "}("s;
      for (const auto& [k, v] : p.entries) {
        WriteStr(k, out);
        Write(v, out);
      }
      *out += "u"s;
      break;
    case Py::kArray:
      // numpy.core.multiarray._reconstruct(numpy.ndarray, (0,), b'b'), then
      // BUILD (1, shape, numpy.dtype(spec) + BUILD (3, '<', ...), False, data).
      WriteStr("numpy.core.multiarray", out);
      WriteStr("_reconstruct", out);
      *out += "\x93"s;
      WriteStr("numpy", out);
      WriteStr("ndarray", out);
      *out += "\x93K\x00\x85" "C\x01" "b\x87R(K\x01("s;
      for (int64_t d : p.shape) WriteInt(d, out);
      *out += "t"s;
      WriteStr("numpy", out);
      WriteStr("dtype", out);
      *out += "\x93"s;
      WriteStr(p.s, out);
      *out += "\x89\x88\x87R(K\x03"s;
      WriteStr(p.s[1] == '1' ? "|" : "<", out);
      *out += "NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb\x89" "B"s;
      for (int k = 0; k < 4; ++k) *out += static_cast<char>((p.data.size() >> (8 * k)) & 0xff);
      *out += p.data + "tb"s;
      break;
  }
}

std::string Pickle(const Py& root) {
  std::string out = "\x80\x04"s;
  Write(root, &out);
  return out + ".";
}

// ---- the real files ----

struct Expected {
  const char* scene;
  const char* map;
  int steps, tracks, vehicles, pedestrians, cyclists, statics;  // statics: cones + barriers
  int map_features;
  double ego_path_sources;  // SOURCES.md, rounded to 1 m
  double ego_path_python;   // sum of step displacements over valid steps, numpy
  int inferred_links;       // lane links by the endpoint rule, computed with numpy
};

// Counts: SOURCES.md §2 table (taken from the pickles independently of
// tarmac). Path lengths and link counts: /usr/bin/python3 + numpy on the
// same files.
const Expected kScenes[] = {
    {"scene-0061", "singapore-onenorth", 191, 226, 24, 60, 6, 71 + 65, 586, 92, 91.850, 476},
    {"scene-0103", "boston-seaport", 196, 122, 61, 46, 7, 8, 513, 119, 118.653, 383},
    {"scene-0553", "boston-seaport", 201, 57, 28, 12, 1, 16, 577, 0, 0.000, 448},
    {"scene-0655", "boston-seaport", 201, 141, 111, 7, 0, 23, 460, 167, 166.660, 339},
    {"scene-0796", "singapore-queenstown", 196, 52, 39, 11, 1, 1, 445, 237, 236.933, 292},
    {"scene-1077", "singapore-hollandvillage", 201, 73, 59, 0, 1, 13, 316, 255, 254.894, 228},
    {"scene-1100", "singapore-hollandvillage", 196, 33, 19, 11, 3, 0, 233, 1, 1.132, 157},
};

std::string ScenePath(const std::string& scene) {
  return testing::DataPath("nuscenes-mini-scenarionet/sd_nuscenes_v1.0-mini_" + scene + ".pkl").string();
}

v1::Scenario ReadScene(const std::string& scene) {
  Result<std::vector<v1::Scenario>> r = ReadScenarios(ScenePath(scene));
  if (!r.ok()) FAIL(r.error().message);
  REQUIRE(r->size() == 1);
  return std::move(r->front());
}

const v1::Track& TrackById(const v1::Scenario& s, const std::string& id) {
  for (const v1::Track& t : s.tracks()) {
    if (t.id() == id) return t;
  }
  FAIL("no track " << id);
  return s.tracks(0);
}

const v1::Lane& LaneById(const v1::Scenario& s, const std::string& id) {
  for (const v1::Lane& l : s.map().lanes()) {
    if (l.id() == id) return l;
  }
  FAIL("no lane " << id);
  return s.map().lanes(0);
}

std::string NoteValue(const v1::Scenario& s, const std::string& key) {
  for (const v1::KeyValue& kv : s.provenance().notes()) {
    if (kv.key() == key) return kv.value();
  }
  return "";
}

double PathLength(const v1::Track& t) {
  double length = 0;
  int last = -1;
  for (int k = 0; k < t.valid_size(); ++k) {
    if (!t.valid(k)) continue;
    if (last >= 0) length += std::hypot(t.x(k) - t.x(last), t.y(k) - t.y(last));
    last = k;
  }
  return length;
}

void CheckRoundTrip(const v1::Scenario& s) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / "tarmac_scenarionet_test";
  std::filesystem::create_directories(dir);
  for (const char* ext : {".pb", ".pbtxt"}) {
    INFO(s.id() << ext);
    const std::filesystem::path path = dir / (s.id() + ext);
    REQUIRE(WriteScenario(s, path).ok());
    Result<std::vector<v1::Scenario>> back = ReadScenarios(path);
    if (!back.ok()) FAIL(back.error().message);
    REQUIRE(back->size() == 1);
    CHECK(google::protobuf::util::MessageDifferencer::Equals(s, back->front()));
    CHECK(SerializeBinary(s) == SerializeBinary(back->front()));
  }
}

void CheckNoValidationErrors(const v1::Scenario& s) {
  const std::vector<Problem> problems = ValidateScenario(s);
  for (const Problem& p : problems) {
    if (p.severity == Severity::kError) FAIL_CHECK(s.id() << ": " << p.where << ": " << p.what);
  }
  CHECK(CountErrors(problems) == 0);
}

TEST_CASE("ScenarioNet: all 7 nuScenes scenes import with the documented counts", "[scenarionet][data]") {
  TARMAC_NEEDS_SHARED_DATA();
  for (const Expected& e : kScenes) {
    INFO(e.scene);
    const v1::Scenario s = ReadScene(e.scene);
    CHECK(s.id() == e.scene);
    CHECK(s.provenance().source_id() == e.scene);
    CHECK(s.map().name() == e.map);
    CHECK(s.time().num_steps() == e.steps);
    CHECK(s.time().dt_s() == 0.1);
    CHECK(s.time().current_step() == 0);
    CHECK(s.tracks_size() == e.tracks);
    std::map<v1::TrackType, int> by_type;
    for (const v1::Track& t : s.tracks()) by_type[t.type()]++;
    CHECK(by_type[v1::TRACK_TYPE_VEHICLE] == e.vehicles);
    CHECK(by_type[v1::TRACK_TYPE_PEDESTRIAN] == e.pedestrians);
    CHECK(by_type[v1::TRACK_TYPE_CYCLIST] == e.cyclists);
    CHECK(by_type[v1::TRACK_TYPE_STATIC] == e.statics);
    CHECK(by_type[v1::TRACK_TYPE_OTHER] == 0);
    const v1::Map& m = s.map();
    // Every map feature of these files is a lane, a road line or a boundary_* edge.
    CHECK(m.lanes_size() + m.road_lines_size() + m.road_edges_size() == e.map_features);
    CHECK(m.crosswalks_size() + m.stop_signs_size() + m.areas_size() + s.traffic_lights_size() == 0);

    CHECK(s.ego().track_id() == "ego");
    const v1::Track& ego = TrackById(s, "ego");
    CHECK(ego.source_type() == "vehicle.car");
    const double path = PathLength(ego);
    CHECK(path == Approx(e.ego_path_sources).margin(1.0));
    CHECK(path == Approx(e.ego_path_python).margin(0.001));

    int links = 0;
    for (const v1::Lane& l : m.lanes()) links += l.successor_ids_size();
    CHECK(links == e.inferred_links);

    CHECK(s.provenance().dataset() == "nuScenes v1.0-mini");
    CHECK(s.provenance().license() == "CC BY-NC-SA 4.0 (nuScenes terms of use)");
  }
}

TEST_CASE("ScenarioNet: one vehicle track matches the values Python reads", "[scenarionet][data]") {
  TARMAC_NEEDS_SHARED_DATA();
  const v1::Scenario s = ReadScene("scene-0103");
  // Values printed by numpy from tracks['dc762bf1bc694d3e8141bf592f9b1456'].
  const v1::Track& t = TrackById(s, "dc762bf1bc694d3e8141bf592f9b1456");
  CHECK(t.type() == v1::TRACK_TYPE_VEHICLE);
  CHECK(t.source_type() == "vehicle.car");
  int valid = 0, first = -1, last = -1;
  for (int k = 0; k < t.valid_size(); ++k) {
    if (!t.valid(k)) continue;
    ++valid;
    if (first < 0) first = k;
    last = k;
  }
  CHECK(valid == 126);
  CHECK(first == 5);
  CHECK(last == 130);
  CHECK(t.x(5) == 660.0);
  CHECK(t.y(5) == 1613.648);
  CHECK(t.heading(5) == -1.9767424575286425);
  CHECK(t.vx(5) == 0.02399999999965985);
  CHECK(t.vy(5) == -0.018000000000029104);
  CHECK(t.x(12) == 660.0172);
  CHECK(t.y(12) == 1613.635);
  CHECK(t.vx(12) == 0.025999999999157808);
  CHECK(t.vy(12) == -0.0200000000018008);
  CHECK(t.x(130) == 679.767);
  CHECK(t.y(130) == 1581.558);
  CHECK(t.heading(130) == -0.7201053960927392);
  // Invalid steps carry zeros.
  CHECK_FALSE(t.valid(4));
  CHECK(t.x(4) == 0.0);
  CHECK(t.y(4) == 0.0);
  // Step 0 (current) is invalid: the box comes from the first valid step.
  CHECK(t.length_m() == 5.03);
  CHECK(t.width_m() == 1.953);
  CHECK(t.height_m() == 1.672);

  // The ego's box is stored swapped in these files (1.73 long, 4.08 wide).
  const v1::Track& ego = TrackById(s, "ego");
  CHECK(ego.length_m() == 4.08);
  CHECK(ego.width_m() == 1.73);
  CHECK(ego.height_m() == 1.56);
  CHECK(s.ego().length_m() == 4.08);
  CHECK(s.ego().width_m() == 1.73);
  CHECK_THAT(NoteValue(s, "ego.box"), Catch::StartsWith("the file gives the ego length 1.73 m and width 4.08 m"));
}

TEST_CASE("ScenarioNet: nuScenes lanes, boundaries and inferred connectivity", "[scenarionet][data]") {
  TARMAC_NEEDS_SHARED_DATA();
  const v1::Scenario s = ReadScene("scene-0103");
  // Lane with a polygon; values printed by numpy.
  const v1::Lane& lane = LaneById(s, "086f2165-d55e-420b-848f-6dada7302c97");
  CHECK(lane.type() == v1::LANE_TYPE_VEHICLE);
  CHECK(lane.source_type() == "LANE_SURFACE_STREET");
  CHECK_FALSE(lane.is_intersection());
  CHECK(lane.speed_limit_mps() == 0.0);
  REQUIRE(lane.centerline().x_size() == 5);
  CHECK(lane.centerline().x(0) == 809.3712295015802);
  CHECK(lane.centerline().y(0) == 1856.0594070122713);
  CHECK(lane.centerline().x(4) == 812.5715515793432);
  CHECK(lane.centerline().y(4) == 1854.3032024146655);
  // The 5 distinct polygon vertices, classified left/right of the centreline with numpy.
  REQUIRE(lane.left_boundary().x_size() == 2);
  CHECK(lane.left_boundary().x(0) == 809.1539072033124);
  CHECK(lane.left_boundary().x(1) == 813.5253097206523);
  REQUIRE(lane.right_boundary().x_size() == 3);
  CHECK(lane.right_boundary().x(0) == 807.6044292835329);
  CHECK(lane.right_boundary().x(1) == 808.8711374456796);
  CHECK(lane.right_boundary().x(2) == 811.6893945535118);

  // Lanes without a polygon are nuScenes lane connectors (200 in this scene, numpy).
  int intersection = 0;
  for (const v1::Lane& l : s.map().lanes()) {
    intersection += l.is_intersection() ? 1 : 0;
    CHECK(l.speed_limit_mps() == 0.0);  // the converter's placeholder 100 km/h is not taken
  }
  CHECK(intersection == 200);

  // Inferred links obey the documented rule and are symmetric.
  std::map<std::string, const v1::Lane*> lanes;
  for (const v1::Lane& l : s.map().lanes()) lanes[l.id()] = &l;
  for (const v1::Lane& a : s.map().lanes()) {
    for (const std::string& id : a.successor_ids()) {
      const v1::Lane& b = *lanes.at(id);
      const v1::Polyline& ca = a.centerline();
      const double gap = std::hypot(b.centerline().x(0) - ca.x(ca.x_size() - 1),
                                    b.centerline().y(0) - ca.y(ca.y_size() - 1));
      CHECK(gap <= kLaneJoinDistance);
      CHECK(std::count(b.predecessor_ids().begin(), b.predecessor_ids().end(), a.id()) == 1);
    }
  }
  CHECK_THAT(NoteValue(s, "map.lane_connectivity"), Catch::StartsWith("inferred (383 links)"));
  CHECK_THAT(NoteValue(s, "map.lane_polyline_column_3"), Catch::StartsWith("lane heading [rad]"));
  // Drivable-area outlines: 6 boundary_* entries in this scene.
  REQUIRE(s.map().road_edges_size() == 6);
  CHECK(s.map().road_edges(0).id() == "boundary_0");
  CHECK(s.map().road_edges(0).type() == v1::ROAD_EDGE_TYPE_BOUNDARY);
}

TEST_CASE("ScenarioNet: imports validate and survive .pb / .pbtxt round trips", "[scenarionet][data]") {
  TARMAC_NEEDS_SHARED_DATA();
  for (const Expected& e : kScenes) {
    const v1::Scenario s = ReadScene(e.scene);
    CheckNoValidationErrors(s);
    CheckRoundTrip(s);
  }
}

// ---- a synthetic WOMD-style scenario ----

std::vector<std::pair<std::string, Py>> WomdStyle() {
  const Py ego_state = Py::Dict({
      {"position", Py::F4({4, 3}, {1, 2, 0.5f, 1.5f, 2, 0.5f, 2, 2, 0.5f, 2.5f, 2, 0.5f})},
      {"heading", Py::F4({4}, {0, 0, 0.25f, 0.5f})},
      {"velocity", Py::F4({4, 2}, {5, 0, 5, 0, 5, 0.5f, 5, 1})},
      {"valid", Py::Bool({1, 1, 1, 1})},
      {"length", Py::F4({4}, {4.5f, 4.5f, 4.5f, 4.5f})},
      {"width", Py::F4({4}, {2, 2, 2, 2})},
      {"height", Py::F4({4}, {1.5f, 1.5f, 1.5f, 1.5f})},
  });
  const Py other_state = Py::Dict({
      {"position", Py::F4({4, 3}, {10, 20, 0, 99, 99, 99, 11, 21, 0, 12, 22, 0})},
      {"valid", Py::Bool({1, 0, 1, 1})},
      {"length", Py::F4({4}, {3, 0, 3.5f, 3.5f})},
      {"width", Py::F4({4}, {1, 0, 1.25f, 1.25f})},
  });
  const Py cone_state = Py::Dict({
      {"position", Py::F8({4, 2}, {7, 8, 7, 8, 7, 8, 7, 8})},
      {"heading", Py::F8({4, 1}, {0.5, 0.5, 0.5, 0.5})},
      {"velocity", Py::F8({4, 2}, {0, 0, 0, 0, 0, 0, 0, 0})},
      {"valid", Py::F8({4}, {1, 1, 1, 1})},
      {"length", Py::Float(0.5)},
      {"width", Py::Float(0.5)},
  });
  const Py tracks = Py::Dict({
      {"7", Py::Dict({{"type", Py::Str("VEHICLE")},
                      {"state", ego_state},
                      {"metadata", Py::Dict({{"type", Py::Str("VEHICLE")}, {"object_id", Py::Str("7")}})}})},
      {"8", Py::Dict({{"type", Py::Str("OTHER")}, {"state", other_state}})},
      {"9", Py::Dict({{"type", Py::Str("TRAFFIC_CONE")}, {"state", cone_state}})},
  });
  const Py boundary = Py::Dict({{"lane_start_index", Py::Str("0")},
                                {"boundary_type", Py::Str("ROAD_LINE_BROKEN_SINGLE_WHITE")},
                                {"boundary_feature_id", Py::Str("201")}});
  const Py map = Py::Dict({
      {"101", Py::Dict({{"type", Py::Str("LANE_SURFACE_STREET")},
                        {"polyline", Py::F4({3, 3}, {0, 0, 5, 10, 0, 5, 20, 0, 5})},
                        {"speed_limit_mph", Py::Float(25.0)},
                        {"entry_lanes", Py::List({})},
                        {"exit_lanes", Py::List({Py::Int(102), Py::Int(999)})},
                        {"left_neighbor", Py::List({Py::Dict({{"feature_id", Py::Str("102")},
                                                              {"self_start_index", Py::Str("0")}})})},
                        {"right_neighbor", Py::List({})},
                        {"left_boundaries", Py::List({boundary})}})},
      {"102", Py::Dict({{"type", Py::Str("LANE_BIKE_LANE")},
                        {"polyline", Py::F4({2, 3}, {20, 0, 5, 30, 0, 5})},
                        {"speed_limit_kmh", Py::Float(36.0)},
                        {"entry_lanes", Py::List({Py::Int(101)})},
                        {"exit_lanes", Py::List({})}})},
      {"201", Py::Dict({{"type", Py::Str("ROAD_LINE_SOLID_DOUBLE_YELLOW")},
                        {"polyline", Py::F4({2, 3}, {0, 1.5f, 5, 20, 1.5f, 5})}})},
      {"202", Py::Dict({{"type", Py::Str("ROAD_EDGE_MEDIAN")},
                        {"polyline", Py::F4({2, 3}, {0, 3, 5, 20, 3, 5})}})},
      {"301", Py::Dict({{"type", Py::Str("CROSSWALK")},
                        {"polygon", Py::F4({5, 3}, {0, 0, 5, 2, 0, 5, 2, 2, 5, 0, 2, 5, 0, 0, 5})}})},
      {"401", Py::Dict({{"type", Py::Str("STOP_SIGN")},
                        {"position", Py::F4({3}, {15, -2, 0})},
                        {"lane", Py::List({Py::Int(101)})}})},
      {"501", Py::Dict({{"type", Py::Str("SPEED_BUMP")},
                        {"polygon", Py::List({Py::List({Py::Float(5), Py::Float(0)}),
                                              Py::List({Py::Float(6), Py::Float(0)}),
                                              Py::List({Py::Float(6), Py::Float(1)}),
                                              Py::List({Py::Float(5), Py::Float(1)})})}})},
      {"601", Py::Dict({{"type", Py::Str("SOMETHING_NEW")}})},
  });
  const Py lights = Py::Dict({
      {"101", Py::Dict({{"type", Py::Str("TRAFFIC_LIGHT")},
                        {"state", Py::Dict({{"object_state",
                                             Py::List({Py::Str("LANE_STATE_STOP"), Py::None(),
                                                       Py::Str("LANE_STATE_ARROW_GO"),
                                                       Py::Str("TRAFFIC_LIGHT_YELLOW")})}})},
                        {"lane", Py::Int(101)},
                        {"stop_point", Py::F4({3}, {19.5f, 0.25f, 0})}})},
  });
  const Py meta = Py::Dict({
      {"dataset", Py::Str("waymo")},
      {"ts", Py::F4({4}, {0, 0.1f, 0.2f, 0.3f})},
      {"current_time_index", Py::Int(1)},
      {"sdc_id", Py::Str("7")},
      {"tracks_to_predict", Py::Dict({{"8", Py::Dict({{"track_index", Py::Int(1)}})}})},
  });
  return {{"id", Py::Str("abc123")},     {"version", Py::Str("v1.2")}, {"length", Py::Int(4)},
          {"metadata", meta},            {"tracks", tracks},           {"map_features", map},
          {"dynamic_map_states", lights}};
}

Result<std::vector<v1::Scenario>> ParseSynthetic(const std::vector<std::pair<std::string, Py>>& top) {
  return ParseScenarios(Pickle(Py::Dict(top)), "syn.pkl", Format::kScenarioNet);
}

TEST_CASE("ScenarioNet: a WOMD-style scenario maps every feature kind", "[scenarionet]") {
  Result<std::vector<v1::Scenario>> r = ParseSynthetic(WomdStyle());
  if (!r.ok()) FAIL(r.error().message);
  const v1::Scenario& s = r->front();
  CHECK(s.id() == "abc123");
  CHECK(s.provenance().dataset() == "Waymo Open Motion Dataset v1.2");
  CHECK(s.provenance().license() == "Waymo Open Dataset License Agreement for Non-Commercial Use");
  CHECK(s.provenance().source_format() == "scenarionet-pickle");
  // float32 ts: (0.3f - 0) / 3 = 0.10000000397, kept to whole microseconds.
  CHECK(s.time().dt_s() == 0.1);
  CHECK(s.time().num_steps() == 4);
  CHECK(s.time().current_step() == 1);

  REQUIRE(s.tracks_size() == 3);
  const v1::Track& ego = s.tracks(0);
  CHECK(ego.type() == v1::TRACK_TYPE_VEHICLE);
  CHECK(ego.x(2) == 2.0);
  CHECK(ego.heading(3) == 0.5);
  CHECK(ego.vy(3) == 1.0);
  CHECK(ego.length_m() == 4.5);
  CHECK(ego.width_m() == 2.0);
  CHECK(ego.height_m() == 1.5);
  CHECK(s.ego().track_id() == "7");
  CHECK(s.ego().length_m() == 4.5);

  const v1::Track& other = s.tracks(1);
  CHECK(other.type() == v1::TRACK_TYPE_OTHER);
  CHECK(other.source_type() == "OTHER");
  CHECK(std::vector<bool>(other.valid().begin(), other.valid().end()) == std::vector<bool>{true, false, true, true});
  CHECK(other.x(1) == 0.0);  // invalid: zeroed although the file has 99
  CHECK(other.x(3) == 12.0);
  CHECK(other.heading(2) == 0.0);  // no heading, no velocity in the file
  CHECK(other.vx(2) == 0.0);
  // Invalid at the current step 1: box from the first valid step (0).
  CHECK(other.length_m() == 3.0);
  CHECK(other.width_m() == 1.0);
  CHECK(other.height_m() == 0.0);

  const v1::Track& cone = s.tracks(2);
  CHECK(cone.type() == v1::TRACK_TYPE_STATIC);
  CHECK(cone.heading(0) == 0.5);
  CHECK(cone.length_m() == 0.5);
  CHECK(cone.y(3) == 8.0);
  REQUIRE(s.tracks_to_predict_size() == 1);
  CHECK(s.tracks_to_predict(0) == "8");

  const v1::Map& m = s.map();
  REQUIRE(m.lanes_size() == 2);
  const v1::Lane& a = m.lanes(0);
  CHECK(a.id() == "101");
  CHECK(a.type() == v1::LANE_TYPE_VEHICLE);
  CHECK(a.speed_limit_mps() == Approx(25 * 0.44704));
  CHECK(std::vector<double>(a.centerline().x().begin(), a.centerline().x().end()) == std::vector<double>{0, 10, 20});
  CHECK(a.predecessor_ids_size() == 0);
  REQUIRE(a.successor_ids_size() == 1);  // 999 is not in the file: dropped
  CHECK(a.successor_ids(0) == "102");
  REQUIRE(a.left_neighbors_size() == 1);
  CHECK(a.left_neighbors(0).lane_id() == "102");
  CHECK(a.left_marking() == "ROAD_LINE_BROKEN_SINGLE_WHITE");
  CHECK_FALSE(a.is_intersection());
  const v1::Lane& b = m.lanes(1);
  CHECK(b.type() == v1::LANE_TYPE_BIKE);
  CHECK(b.speed_limit_mps() == Approx(10.0));
  REQUIRE(b.predecessor_ids_size() == 1);
  CHECK(b.predecessor_ids(0) == "101");

  REQUIRE(m.road_lines_size() == 1);
  CHECK(m.road_lines(0).type() == v1::ROAD_LINE_TYPE_SOLID_DOUBLE_YELLOW);
  REQUIRE(m.road_edges_size() == 1);
  CHECK(m.road_edges(0).type() == v1::ROAD_EDGE_TYPE_MEDIAN);
  REQUIRE(m.crosswalks_size() == 1);
  CHECK(m.crosswalks(0).polygon().x_size() == 4);  // closing point dropped
  REQUIRE(m.stop_signs_size() == 1);
  CHECK(m.stop_signs(0).x() == 15.0);
  CHECK(m.stop_signs(0).y() == -2.0);
  REQUIRE(m.stop_signs(0).lane_ids_size() == 1);
  CHECK(m.stop_signs(0).lane_ids(0) == "101");
  REQUIRE(m.areas_size() == 1);
  CHECK(m.areas(0).type() == v1::AREA_TYPE_SPEED_BUMP);
  CHECK(m.areas(0).polygon().x_size() == 4);

  REQUIRE(s.traffic_lights_size() == 1);
  const v1::TrafficLight& tl = s.traffic_lights(0);
  CHECK(tl.id() == "101");
  REQUIRE(tl.lane_ids_size() == 1);
  CHECK(tl.lane_ids(0) == "101");
  CHECK(tl.has_stop_point());
  CHECK(tl.stop_x() == 19.5);
  CHECK(tl.stop_y() == 0.25);
  CHECK(std::vector<int>(tl.states().begin(), tl.states().end()) ==
        std::vector<int>{v1::SIGNAL_STATE_STOP, v1::SIGNAL_STATE_UNKNOWN, v1::SIGNAL_STATE_ARROW_GO,
                         v1::SIGNAL_STATE_CAUTION});

  CHECK_THAT(NoteValue(s, "map.lane_polyline_column_3"), Catch::StartsWith("z [m]"));
  CHECK(NoteValue(s, "map.lane_connectivity").empty());  // the file has entry/exit lanes
  CHECK(NoteValue(s, "map.dropped_references") == "exit_lanes naming a lane not in the file x1");
  CHECK(NoteValue(s, "map.skipped") == "SOMETHING_NEW x1");
  CHECK(NoteValue(s, "tracks.missing") == "heading (set to 0) x1; velocity (set to 0) x1");
  CHECK_THAT(NoteValue(s, "time.dt"), Catch::StartsWith("0.1 s from the mean step of metadata.ts"));

  CheckNoValidationErrors(s);
  CheckRoundTrip(s);
}

TEST_CASE("ScenarioNet: one track shared by memo cannot multiply the work", "[scenarionet]") {
  // 20000 tracks that all reference (BINGET) one track of 100000 steps: about
  // 0.5 MB of pickle that would expand to 20000 x 100000 x 6 doubles.
  constexpr int64_t kSteps = 100000;
  const Py state = Py::Dict({
      {"position", Py::Array("i1", {kSteps, 2}, std::vector<int8_t>(2 * kSteps, 1))},
      {"valid", Py::Array("i1", {kSteps}, std::vector<int8_t>(kSteps, 1))},
      {"length", Py::Float(4)},
      {"width", Py::Float(2)},
  });
  std::string b = "\x80\x04}("s;
  auto entry = [&](const std::string& key, const Py& value) {
    WriteStr(key, &b);
    Write(value, &b);
  };
  entry("id", Py::Str("amp"));
  entry("length", Py::Int(kSteps));
  entry("metadata", Py::Dict({{"sample_rate", Py::Float(0.1)}, {"sdc_id", Py::Str("0")}}));
  WriteStr("tracks", &b);
  b += "}("s;
  entry("0", Py::Dict({{"type", Py::Str("VEHICLE")}, {"state", state}}));
  b += "\x94"s;  // memo 0: the first track's dict
  for (int i = 1; i < 20000; ++i) {
    WriteStr(std::to_string(i), &b);
    b += "h\x00"s;
  }
  b += "uu."s;
  Result<std::vector<v1::Scenario>> r = ParseScenarios(b, "amp.pkl", Format::kScenarioNet);
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.error().message, Catch::StartsWith("amp.pkl: tracks['") &&
                                    Catch::Contains("the scenario expands to more than"));
}

TEST_CASE("ScenarioNet: malformed scenarios are reported with their path", "[scenarionet]") {
  auto error = [](const std::vector<std::pair<std::string, Py>>& top) {
    Result<std::vector<v1::Scenario>> r = ParseSynthetic(top);
    return r.ok() ? std::string("(imported)") : r.error().message;
  };
  auto without = [](std::vector<std::pair<std::string, Py>> top, const std::string& key) {
    top.erase(std::remove_if(top.begin(), top.end(), [&](const auto& kv) { return kv.first == key; }), top.end());
    return top;
  };
  auto with = [](std::vector<std::pair<std::string, Py>> top, const std::string& key, Py value) {
    for (auto& kv : top) {
      if (kv.first == key) kv.second = std::move(value);
    }
    return top;
  };
  CHECK(error(without(WomdStyle(), "tracks")) == "syn.pkl: scenario: missing key 'tracks'");
  CHECK(error(with(WomdStyle(), "length", Py::Int(0))) == "syn.pkl: length: int 0 is not a step count in [1, 1000000]");
  CHECK(error(with(WomdStyle(), "tracks", Py::List({}))) == "syn.pkl: tracks: expected a dict, got list of 0");

  auto meta_with = [&](const std::string& key, Py value) {
    std::vector<std::pair<std::string, Py>> top = WomdStyle();
    for (auto& kv : top) {
      if (kv.first != "metadata") continue;
      bool found = false;
      for (auto& e : kv.second.entries) {
        if (e.first == key) {
          e.second = value;
          found = true;
        }
      }
      if (!found) kv.second.entries.emplace_back(key, value);
    }
    return top;
  };
  // 5 steps: ts (4 values) is not used, sample_rate gives dt, and the tracks are too short.
  CHECK(error(with(meta_with("sample_rate", Py::Float(0.1)), "length", Py::Int(5))) ==
        "syn.pkl: tracks['7']['state']['position']: 4 steps, but the scenario has 5 (length)");
  CHECK(error(with(WomdStyle(), "length", Py::Int(5))) ==
        "syn.pkl: metadata: no time base (neither 'sample_rate' nor a usable 'ts')");
  CHECK(error(meta_with("ts", Py::F8({4}, {0, 0.2, 0.1, 0.3}))) ==
        "syn.pkl: metadata['ts']: time does not increase at index 2 (0.1 after 0.2)");
  CHECK(error(meta_with("sdc_id", Py::Str("nope"))) == "syn.pkl: ego track 'nope' is not among the tracks");
  CHECK(error(meta_with("current_time_index", Py::Int(4))) ==
        "syn.pkl: metadata['current_time_index']: 4 outside [0, 4)");
  CHECK(error(meta_with("sample_rate", Py::Str("fast"))) ==
        "syn.pkl: metadata['sample_rate']: expected a number, got str 'fast'");
  // sample_rate given as a rate (10 Hz) is recognised from ts.
  {
    Result<std::vector<v1::Scenario>> r = ParseSynthetic(meta_with("sample_rate", Py::Float(10.0)));
    if (!r.ok()) FAIL(r.error().message);
    CHECK(r->front().time().dt_s() == 0.1);
  }

  Result<std::vector<v1::Scenario>> list = ParseScenarios(Pickle(Py::List({})), "l.pkl", Format::kScenarioNet);
  REQUIRE_FALSE(list.ok());
  CHECK(list.error().message == "l.pkl: top level: expected a dict (a ScenarioNet scenario), got list of 0");
}

}  // namespace
}  // namespace tarmac
