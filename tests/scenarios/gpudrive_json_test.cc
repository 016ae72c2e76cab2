// GPUDrive / nocturne JSON: hand-written documents in both tools' flavours
// (radians / degrees, with -10000 at invalid steps), a round trip of the 25
// real CommonRoad scenarios through the writer, and the error messages for
// each kind of corruption.
#include "scenarios/import/gpudrive_json.h"

#include <fmt/format.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <numbers>
#include <set>
#include <string>

#include "scenarios/import/commonroad.h"
#include "scenarios/import/import_util.h"
#include "scenarios/scenario_io.h"
#include "scenarios/validate.h"
#include "tests/support/test_data.h"

namespace tarmac {
namespace {

constexpr double kPi = std::numbers::pi;

// GPUDrive flavour (current process_waymo_files.py): radians, ids,
// map_element_id, metadata, z coordinates, -10000 at invalid steps.
const std::string kRadiansDoc =
    R"({"name": "tfrecord-00000-of-00150_abc.json", "scenario_id": "abc",
"objects": [
 {"position": [{"x": 0, "y": 0, "z": 1.5}, {"x": 1.0, "y": 1.0, "z": 1.5}, {"x": 2.0, "y": 2.0, "z": 1.5}],
  "width": 2.0, "length": 4.5, "height": 1.5,
  "heading": [0.7853981633974483, 0.7853981633974483, 0.7853981633974483],
  "velocity": [{"x": 10.0, "y": 10.0}, {"x": 10.0, "y": 10.0}, {"x": 10.0, "y": 10.5}],
  "valid": [true, true, true],
  "goalPosition": {"x": 30.0, "y": 31.0, "z": 1.5}, "type": "vehicle", "id": 707, "mark_as_expert": false},
 {"position": [{"x": -10000.0, "y": -10000.0, "z": -10000.0}, {"x": 5.0, "y": -3.0, "z": 0.0}, {"x": -10000.0, "y": -10000.0, "z": -10000.0}],
  "width": 0.5, "length": 0.6, "height": 1.8,
  "heading": [-10000.0, 3.0, -10000.0],
  "velocity": [{"x": -10000.0, "y": -10000.0}, {"x": -1.2, "y": 0.1}, {"x": -10000.0, "y": -10000.0}],
  "valid": [false, true, false],
  "goalPosition": {"x": 5.0, "y": -3.0, "z": 0.0}, "type": "pedestrian", "id": 8, "mark_as_expert": false},
 {"position": [{"x": 50.0, "y": 1.0}, {"x": 49.5, "y": 1.0}, {"x": 49.0, "y": 1.0}],
  "width": 0.8, "length": 1.9, "height": 1.7,
  "heading": [-3.1, -3.1, 3.1],
  "velocity": [{"x": -5.0, "y": 0.0}, {"x": -5.0, "y": 0.0}, {"x": -5.0, "y": 0.0}],
  "valid": [true, true, true],
  "goalPosition": {"x": 49.0, "y": 1.0}, "type": "cyclist", "id": 9, "mark_as_expert": true},
 {"position": [{"x": 7, "y": 7}, {"x": 7, "y": 7}, {"x": 7, "y": 7}],
  "width": 1, "length": 1, "height": 0,
  "heading": [0, 0, 0],
  "velocity": [{"x": 0, "y": 0}, {"x": 0, "y": 0}, {"x": 0, "y": 0}],
  "valid": [true, true, true],
  "goalPosition": {"x": 7, "y": 7}, "type": "unset", "id": 10, "mark_as_expert": false}
],
"roads": [
 {"geometry": [{"x": 0.0, "y": 0.0, "z": 0.0}, {"x": 10.0, "y": 0.0, "z": 0.0}], "type": "lane", "map_element_id": 2, "id": 100},
 {"geometry": [{"x": 10.02, "y": 0.0}, {"x": 20.0, "y": 0.0}], "type": "lane", "map_element_id": 3, "id": 101},
 {"geometry": [{"x": 10.0, "y": 0.0}, {"x": 0.0, "y": 0.5}], "type": "lane", "map_element_id": 0, "id": 102},
 {"geometry": [{"x": 0.0, "y": 1.8}, {"x": 20.0, "y": 1.8}], "type": "road_line", "map_element_id": 7, "id": 200},
 {"geometry": [{"x": 0.0, "y": -1.8}, {"x": 20.0, "y": -1.8}], "type": "road_edge", "map_element_id": 16, "id": 300},
 {"geometry": [{"x": 9.0, "y": -2.5, "z": 0.0}], "type": "stop_sign", "map_element_id": 17, "id": 400},
 {"geometry": [{"x": 12, "y": -2}, {"x": 14, "y": -2}, {"x": 14, "y": 2}, {"x": 12, "y": 2}, {"x": 12, "y": -2}], "type": "crosswalk", "map_element_id": 18, "id": 500},
 {"geometry": [{"x": 3, "y": -1}, {"x": 4, "y": -1}, {"x": 4, "y": 1}], "type": "speed_bump", "map_element_id": 19, "id": 600},
 {"geometry": [{"x": 30, "y": 5}, {"x": 32, "y": 5}, {"x": 32, "y": 9}], "type": "driveway", "map_element_id": 20, "id": 700},
 {"geometry": [], "type": null, "map_element_id": -1, "id": 800},
 {"geometry": [{"x": 0, "y": 0}], "type": "stop_line", "id": 801}
],
"tl_states": {"100": {"state": ["stop", "go"], "x": [9.5, 9.5], "y": [0.25, 0.25], "z": [0.0, 0.0], "time_index": [0, 2], "lane_id": [100, 100]},
              "999": {"state": ["flashing_caution"], "x": [1.0], "y": [2.0], "time_index": [1]}},
"metadata": {"sdc_track_index": 0, "objects_of_interest": [8, 9],
             "tracks_to_predict": [{"track_index": 2, "difficulty": 1}, {"track_index": 1, "difficulty": 2}],
             "current_time_index": 1}}
)";

// nocturne flavour (waymo_scenario_construction.py): headings in degrees, no
// ids, no height, no scenario_id, no metadata; 91 WOMD steps.
std::string DegreesDoc() {
  std::string objects;
  auto object = [&](const char* type, double heading_deg, auto valid, auto x, auto y, double vx,
                    double vy) {
    std::string pos, head, vel, val;
    for (int k = 0; k < 91; ++k) {
      const char* sep = k > 0 ? ", " : "";
      const bool v = valid(k);
      pos += v ? fmt::format("{}{{\"x\": {}, \"y\": {}}}", sep, x(k), y(k))
               : fmt::format("{}{{\"x\": -10000.0, \"y\": -10000.0}}", sep);
      head += v ? fmt::format("{}{}", sep, heading_deg) : fmt::format("{}-10000.0", sep);
      vel += v ? fmt::format("{}{{\"x\": {}, \"y\": {}}}", sep, vx, vy)
               : fmt::format("{}{{\"x\": -10000.0, \"y\": -10000.0}}", sep);
      val += fmt::format("{}{}", sep, v ? "true" : "false");
    }
    if (!objects.empty()) objects += ",\n";
    objects += fmt::format(
        "{{\"position\": [{}], \"width\": 1.8, \"length\": 4.2, \"heading\": [{}], "
        "\"velocity\": [{}], \"valid\": [{}], \"goalPosition\": {{\"x\": 150.0, \"y\": -20.0}}, "
        "\"type\": \"{}\"}}",
        pos, head, vel, val, type);
  };
  // A pedestrian standing, a vehicle gone before "now" (step 10), a vehicle
  // appearing at step 5 and driving west at 8 m/s.
  object(
      "pedestrian", 45.0, [](int) { return true; }, [](int) { return 100.0; },
      [](int) { return 100.0; }, 0.0, 0.0);
  object(
      "vehicle", 90.0, [](int k) { return k <= 5; }, [](int) { return 0.0; },
      [](int k) { return 0.5 * k; }, 0.0, 5.0);
  object(
      "vehicle", 180.0, [](int k) { return k >= 5; }, [](int k) { return 200.0 - 0.8 * (k - 5); },
      [](int) { return -20.0; }, -8.0, 0.0);
  return fmt::format(R"({{"name": "tfrecord-00001-of-01000_307.json", "objects": [
{}],
"roads": [{{"geometry": [{{"x": 0.0, "y": 0.0}}, {{"x": 0.0, "y": 50.0}}], "type": "lane"}},
          {{"geometry": [{{"x": 1.5, "y": 0.0}}, {{"x": 1.5, "y": 50.0}}], "type": "road_line"}},
          {{"geometry": [{{"x": 2.0, "y": 40.0}}], "type": "stop_sign"}}],
"tl_states": {{"155": {{"state": ["go", "caution"], "x": [451.7, 451.7], "y": [1291.0, 1291.0], "time_index": [9, 10]}}}}}})",
                     objects);
}

// One vehicle driving at `direction_deg` with the given heading value: a
// heading too small to give degrees away by size.
std::string SmallHeadingDoc(double heading, double direction_deg, double speed) {
  const double d = direction_deg * kPi / 180.0;
  const double vx = speed * std::cos(d), vy = speed * std::sin(d);
  return fmt::format(
      R"({{"name": "small.json", "objects": [{{"position": [{{"x": 0, "y": 0}}, {{"x": 1, "y": 0.1}}, {{"x": 2, "y": 0.2}}],
"width": 2, "length": 4, "heading": [{h}, {h}, {h}],
"velocity": [{{"x": {vx}, "y": {vy}}}, {{"x": {vx}, "y": {vy}}}, {{"x": {vx}, "y": {vy}}}],
"valid": [true, true, true], "goalPosition": {{"x": 2, "y": 0.2}}, "type": "vehicle"}}], "roads": [], "tl_states": {{}}}})",
      fmt::arg("h", heading), fmt::arg("vx", vx), fmt::arg("vy", vy));
}

v1::Scenario Parse(const std::string& json, const std::string& name = "x.json") {
  Result<std::vector<v1::Scenario>> r = ParseScenarios(json, name, Format::kGpuDrive);
  if (!r.ok()) FAIL(r.error().message);
  REQUIRE(r->size() == 1);
  return std::move(r->front());
}

std::string ErrorOf(const std::string& json) {
  Result<std::vector<v1::Scenario>> r = ParseScenarios(json, "x.json", Format::kGpuDrive);
  REQUIRE_FALSE(r.ok());
  return r.error().message;
}

std::string Note(const v1::Scenario& s, const std::string& key) {
  for (const v1::KeyValue& kv : s.provenance().notes()) {
    if (kv.key() == key) return kv.value();
  }
  return "<no note " + key + ">";
}

std::vector<std::string> Strings(const google::protobuf::RepeatedPtrField<std::string>& r) {
  return {r.begin(), r.end()};
}

std::vector<double> Doubles(const google::protobuf::RepeatedField<double>& r) {
  return {r.begin(), r.end()};
}

// Replaces the only occurrence of `from` in `s` (the test fails otherwise).
std::string ReplaceOnce(std::string s, const std::string& from, const std::string& to) {
  const size_t at = s.find(from);
  REQUIRE(at != std::string::npos);
  REQUIRE(s.find(from, at + 1) == std::string::npos);
  return s.replace(at, from.size(), to);
}

// "line L, column C (byte B)" of byte offset `b` in `s`, as errors give it.
std::string Where(const std::string& s, size_t b) {
  const size_t line =
      1 + static_cast<size_t>(std::count(s.begin(), s.begin() + static_cast<long>(b), '\n'));
  const size_t nl = s.rfind('\n', b == 0 ? 0 : b - 1);
  const size_t column = (nl == std::string::npos || b == 0) ? b + 1 : b - nl;
  return fmt::format("line {}, column {} (byte {})", line, column, b);
}

TEST_CASE("GPUDrive JSON: a radians document, every field", "[gpudrive]") {
  const v1::Scenario s = Parse(kRadiansDoc);
  CHECK(s.id() == "abc");
  CHECK(s.provenance().source_id() == "abc");
  CHECK(s.provenance().source_format() == "gpudrive-json");
  CHECK(s.provenance().dataset() == "Waymo Open Motion Dataset (GPUDrive/nocturne JSON)");
  CHECK(s.provenance().license() == "Waymo Dataset License Agreement for Non-Commercial Use");
  CHECK(Note(s, "name") == "tfrecord-00000-of-00150_abc.json");
  CHECK(Note(s, "heading_units") == "radians");
  // Moving samples: object 707 x3, pedestrian 8 x1, cyclist 9 x3; object 10 stands.
  CHECK(Note(s, "heading_units_evidence") ==
        "no |heading| beyond 2*pi; the direction of motion agrees with radians at 7 of 7 moving "
        "samples");
  CHECK(Note(s, "mark_as_expert") == "9");
  CHECK(Note(s, "objects_of_interest") == "8,9");
  CHECK(Note(s, "skipped_roads") == "1 of type null, 1 of type stop_line");

  CHECK(s.time().dt_s() == 0.1);
  CHECK(s.time().num_steps() == 3);
  CHECK(s.time().current_step() == 1);  // metadata.current_time_index
  CHECK(Note(s, "current_step") == "1: metadata.current_time_index");

  REQUIRE(s.tracks_size() == 4);
  const v1::Track& car = s.tracks(0);
  CHECK(car.id() == "707");
  CHECK(car.type() == v1::TRACK_TYPE_VEHICLE);
  CHECK(car.source_type() == "vehicle");
  CHECK(car.length_m() == 4.5);
  CHECK(car.width_m() == 2.0);
  CHECK(car.height_m() == 1.5);
  CHECK(Doubles(car.x()) == std::vector<double>{0.0, 1.0, 2.0});
  CHECK(Doubles(car.y()) == std::vector<double>{0.0, 1.0, 2.0});
  CHECK(Doubles(car.heading()) == std::vector<double>(3, 0.7853981633974483));
  CHECK(Doubles(car.vx()) == std::vector<double>{10.0, 10.0, 10.0});
  CHECK(Doubles(car.vy()) == std::vector<double>{10.0, 10.0, 10.5});
  CHECK(std::vector<bool>(car.valid().begin(), car.valid().end()) ==
        std::vector<bool>{true, true, true});

  const v1::Track& ped = s.tracks(1);
  CHECK(ped.id() == "8");
  CHECK(ped.type() == v1::TRACK_TYPE_PEDESTRIAN);
  CHECK(ped.length_m() == 0.6);
  CHECK(ped.width_m() == 0.5);
  CHECK(ped.height_m() == 1.8);
  CHECK(std::vector<bool>(ped.valid().begin(), ped.valid().end()) ==
        std::vector<bool>{false, true, false});
  // -10000 at invalid steps becomes 0 (tarmac's convention); step 1 is kept.
  CHECK(Doubles(ped.x()) == std::vector<double>{0.0, 5.0, 0.0});
  CHECK(Doubles(ped.y()) == std::vector<double>{0.0, -3.0, 0.0});
  CHECK(Doubles(ped.heading()) == std::vector<double>{0.0, 3.0, 0.0});
  CHECK(Doubles(ped.vx()) == std::vector<double>{0.0, -1.2, 0.0});
  CHECK(Doubles(ped.vy()) == std::vector<double>{0.0, 0.1, 0.0});

  const v1::Track& bike = s.tracks(2);
  CHECK(bike.id() == "9");
  CHECK(bike.type() == v1::TRACK_TYPE_CYCLIST);
  CHECK(Doubles(bike.heading()) == std::vector<double>{-3.1, -3.1, 3.1});
  CHECK(Doubles(bike.x()) == std::vector<double>{50.0, 49.5, 49.0});

  const v1::Track& unset = s.tracks(3);
  CHECK(unset.id() == "10");
  CHECK(unset.type() == v1::TRACK_TYPE_OTHER);
  CHECK(unset.source_type() == "unset");
  CHECK(unset.height_m() == 0.0);

  // metadata: the sdc is objects[0]; tracks_to_predict by index, in file order.
  CHECK(s.ego().track_id() == "707");
  CHECK(s.ego().length_m() == 4.5);
  CHECK(s.ego().width_m() == 2.0);
  CHECK_FALSE(s.ego().has_initial_state());
  CHECK(Note(s, "ego") == "objects[0]: metadata.sdc_track_index");
  CHECK(Strings(s.tracks_to_predict()) == std::vector<std::string>{"9", "8"});
  REQUIRE(s.goal().regions_size() == 1);
  REQUIRE(s.goal().regions(0).shapes_size() == 1);
  const v1::Circle& goal = s.goal().regions(0).shapes(0).circle();
  CHECK(goal.center_x() == 30.0);
  CHECK(goal.center_y() == 31.0);
  CHECK(goal.radius() == kGpuDriveGoalRadius);

  const v1::Map& m = s.map();
  REQUIRE(m.lanes_size() == 3);
  CHECK(m.lanes(0).id() == "100");
  CHECK(m.lanes(0).type() == v1::LANE_TYPE_VEHICLE);
  CHECK(m.lanes(0).source_type() == "lane/2");
  CHECK(Doubles(m.lanes(0).centerline().x()) == std::vector<double>{0.0, 10.0});
  CHECK(Doubles(m.lanes(0).centerline().y()) == std::vector<double>{0.0, 0.0});
  CHECK(m.lanes(0).left_boundary().x_size() == 0);
  CHECK(m.lanes(1).type() == v1::LANE_TYPE_BIKE);
  CHECK(m.lanes(2).type() == v1::LANE_TYPE_UNSPECIFIED);
  // 101 starts 0.02 m from where 100 ends, heading the same way; 102 starts
  // exactly there but heads back, so it is no successor.
  CHECK(Strings(m.lanes(0).successor_ids()) == std::vector<std::string>{"101"});
  CHECK(Strings(m.lanes(1).predecessor_ids()) == std::vector<std::string>{"100"});
  CHECK(m.lanes(2).successor_ids_size() == 0);
  CHECK(m.lanes(2).predecessor_ids_size() == 0);
  CHECK(m.lanes(0).predecessor_ids_size() == 0);
  REQUIRE(m.road_lines_size() == 1);
  CHECK(m.road_lines(0).id() == "200");
  CHECK(m.road_lines(0).type() == v1::ROAD_LINE_TYPE_SOLID_SINGLE_WHITE);  // map_element_id 7
  CHECK(Doubles(m.road_lines(0).polyline().y()) == std::vector<double>{1.8, 1.8});
  REQUIRE(m.road_edges_size() == 1);
  CHECK(m.road_edges(0).id() == "300");
  CHECK(m.road_edges(0).type() == v1::ROAD_EDGE_TYPE_MEDIAN);  // map_element_id 16
  REQUIRE(m.stop_signs_size() == 1);
  CHECK(m.stop_signs(0).id() == "400");
  CHECK(m.stop_signs(0).x() == 9.0);
  CHECK(m.stop_signs(0).y() == -2.5);
  REQUIRE(m.crosswalks_size() == 1);
  CHECK(m.crosswalks(0).id() == "500");
  // The repeated closing point is dropped.
  CHECK(Doubles(m.crosswalks(0).polygon().x()) == std::vector<double>{12, 14, 14, 12});
  CHECK(Doubles(m.crosswalks(0).polygon().y()) == std::vector<double>{-2, -2, 2, 2});
  REQUIRE(m.areas_size() == 2);
  CHECK(m.areas(0).id() == "600");
  CHECK(m.areas(0).type() == v1::AREA_TYPE_SPEED_BUMP);
  CHECK(m.areas(0).polygon().x_size() == 3);
  CHECK(m.areas(1).id() == "700");
  CHECK(m.areas(1).type() == v1::AREA_TYPE_DRIVEWAY);

  REQUIRE(s.traffic_lights_size() == 2);
  const v1::TrafficLight& tl = s.traffic_lights(0);
  CHECK(tl.id() == "100");
  CHECK(Strings(tl.lane_ids()) == std::vector<std::string>{"100"});
  CHECK(tl.has_stop_point());
  CHECK(tl.stop_x() == 9.5);
  CHECK(tl.stop_y() == 0.25);
  // time_index [0, 2]: step 1 has no logged state.
  REQUIRE(tl.states_size() == 3);
  CHECK(tl.states(0) == v1::SIGNAL_STATE_STOP);
  CHECK(tl.states(1) == v1::SIGNAL_STATE_UNKNOWN);
  CHECK(tl.states(2) == v1::SIGNAL_STATE_GO);
  const v1::TrafficLight& orphan = s.traffic_lights(1);
  CHECK(orphan.id() == "999");
  CHECK(orphan.lane_ids_size() == 0);
  CHECK(orphan.states(1) == v1::SIGNAL_STATE_FLASHING_CAUTION);
  CHECK(Note(s, "traffic_light_lanes") ==
        "1 of 2 tl_states keys name no lane in roads; those lights control no lane");

  for (const Problem& p : ValidateScenario(s)) {
    if (p.severity == Severity::kError) FAIL_CHECK(p.where << ": " << p.what);
  }
}

TEST_CASE("GPUDrive JSON: a nocturne document in degrees with -10000 steps", "[gpudrive]") {
  const v1::Scenario s = Parse(DegreesDoc());
  CHECK(s.id() == "tfrecord-00001-of-01000_307");  // from "name": no scenario_id
  CHECK(Note(s, "heading_units") == "degrees");
  CHECK(Note(s, "heading_units_evidence") == "largest |heading| at a valid step is 180 > 2*pi");
  CHECK(s.time().num_steps() == 91);
  CHECK(s.time().current_step() == 10);  // 91-step WOMD file
  CHECK(Note(s, "current_step") == "10: a 91-step WOMD file (1 s history, then now)");

  REQUIRE(s.tracks_size() == 3);
  CHECK(s.tracks(0).id() == "obj0");  // no "id" keys: the object index
  CHECK(s.tracks(1).id() == "obj1");
  CHECK(s.tracks(2).id() == "obj2");
  CHECK(s.tracks(0).height_m() == 0.0);
  CHECK(s.tracks(0).heading(0) == Approx(kPi / 4).margin(1e-15));
  CHECK(s.tracks(1).heading(3) == Approx(kPi / 2).margin(1e-15));
  const v1::Track& west = s.tracks(2);
  for (int k = 0; k < 5; ++k) {
    INFO("step " << k);
    CHECK_FALSE(west.valid(k));
    CHECK(west.x(k) == 0.0);
    CHECK(west.heading(k) == 0.0);  // -10000 is never converted or kept
  }
  CHECK(west.valid(5));
  CHECK(west.heading(5) == Approx(kPi).margin(1e-15));
  CHECK(west.x(5) == 200.0);
  CHECK(west.x(15) == Approx(192.0).margin(1e-12));
  CHECK(west.vx(5) == -8.0);

  // No sdc_track_index: the first vehicle valid at step 10 (obj1 left at step 5).
  CHECK(s.ego().track_id() == "obj2");
  CHECK(Note(s, "ego") ==
        "objects[2]: no metadata.sdc_track_index, so the first vehicle valid at the current step");
  REQUIRE(s.goal().regions_size() == 1);
  CHECK(s.goal().regions(0).shapes(0).circle().center_x() == 150.0);
  CHECK(s.goal().regions(0).shapes(0).circle().center_y() == -20.0);

  REQUIRE(s.map().lanes_size() == 1);
  CHECK(s.map().lanes(0).id() == "road0");
  CHECK(s.map().lanes(0).type() == v1::LANE_TYPE_UNSPECIFIED);
  CHECK(s.map().lanes(0).source_type() == "lane");
  REQUIRE(s.map().road_lines_size() == 1);
  CHECK(s.map().road_lines(0).id() == "road1");
  CHECK(s.map().road_lines(0).type() == v1::ROAD_LINE_TYPE_UNSPECIFIED);
  REQUIRE(s.map().stop_signs_size() == 1);
  CHECK(s.map().stop_signs(0).id() == "road2");
  CHECK(s.map().stop_signs(0).y() == 40.0);

  // tl key 155 names a WOMD lane id; roads carry none, so it controls no lane.
  REQUIRE(s.traffic_lights_size() == 1);
  const v1::TrafficLight& tl = s.traffic_lights(0);
  CHECK(tl.id() == "155");
  CHECK(tl.lane_ids_size() == 0);
  CHECK(tl.stop_x() == 451.7);
  REQUIRE(tl.states_size() == 91);
  CHECK(tl.states(8) == v1::SIGNAL_STATE_UNKNOWN);
  CHECK(tl.states(9) == v1::SIGNAL_STATE_GO);
  CHECK(tl.states(10) == v1::SIGNAL_STATE_CAUTION);
  CHECK(tl.states(11) == v1::SIGNAL_STATE_UNKNOWN);
  CHECK(s.tracks_to_predict_size() == 0);
}

TEST_CASE("GPUDrive JSON: small headings are told apart by the direction of motion", "[gpudrive]") {
  // Driving at 6 degrees north of east at 10 m/s. Written as degrees the
  // heading is 6.0 (within 2*pi, so its size proves nothing); read as
  // radians it would point at -16 degrees.
  const v1::Scenario deg = Parse(SmallHeadingDoc(6.0, 6.0, 10.0));
  CHECK(Note(deg, "heading_units") == "degrees");
  CHECK(Note(deg, "heading_units_evidence") ==
        "no |heading| beyond 2*pi; the direction of motion agrees with degrees at 3 of 3 moving "
        "samples");
  CHECK(deg.tracks(0).heading(0) == Approx(6.0 * kPi / 180.0).margin(1e-15));
  // The same motion with the heading in radians.
  const v1::Scenario rad = Parse(SmallHeadingDoc(6.0 * kPi / 180.0, 6.0, 10.0));
  CHECK(Note(rad, "heading_units") == "radians");
  CHECK(Note(rad, "heading_units_evidence") ==
        "no |heading| beyond 2*pi; the direction of motion agrees with radians at 3 of 3 moving "
        "samples");
  CHECK(rad.tracks(0).heading(0) == 6.0 * kPi / 180.0);
  // Standing still, nothing to compare with: radians (current GPUDrive).
  const v1::Scenario still = Parse(SmallHeadingDoc(6.0, 6.0, 0.5));
  CHECK(Note(still, "heading_units") == "radians");
  CHECK(Note(still, "heading_units_evidence") ==
        "no |heading| beyond 2*pi and no moving object whose heading reads differently in degrees; "
        "radians assumed");
  CHECK(still.tracks(0).heading(0) == WrapAngle(6.0));
  // A unit stated in metadata.heading_units (as this writer does) overrides
  // detection; anything but "radians"/"degrees" there is an error.
  std::string stated = SmallHeadingDoc(6.0, 6.0, 10.0);
  stated.insert(stated.rfind('}'), R"(, "metadata": {"heading_units": "radians"})");
  const v1::Scenario told = Parse(stated);
  CHECK(Note(told, "heading_units") == "radians");
  CHECK(Note(told, "heading_units_evidence") == "stated by metadata.heading_units");
  CHECK(told.tracks(0).heading(0) == WrapAngle(6.0));
  stated = ReplaceOnce(stated, R"("heading_units": "radians")", R"("heading_units": "rad")");
  CHECK(ErrorOf(stated) ==
        R"(x.json: metadata.heading_units: expected "radians" or "degrees", got the string "rad")");
  // A 3-step file that is not WOMD-shaped: "now" is step 0; ego by fallback.
  CHECK(deg.time().current_step() == 0);
  CHECK(deg.ego().track_id() == "obj0");
}

TEST_CASE("GPUDrive JSON: .json files are read through the format table", "[gpudrive]") {
  const std::filesystem::path path =
      std::filesystem::temp_directory_path() / "tarmac_gpudrive_abc.json";
  {
    std::ofstream out(path, std::ios::binary);
    out << kRadiansDoc;
  }
  CHECK(DetectFormat(path, kRadiansDoc.substr(0, 100)) == Format::kGpuDrive);
  Result<std::vector<v1::Scenario>> r = ReadScenarios(path);
  if (!r.ok()) FAIL(r.error().message);
  CHECK(r->front().id() == "abc");
  CHECK(r->front().provenance().source_file() == path.string());
  std::filesystem::remove(path);
}

// ---- round trip through the writer on real data ---------------------------------

// Where the writer puts the ego's goal: the centre of the first goal shape,
// else the end of the first goal lane.
bool ExpectedGoal(const v1::Scenario& s, double* x, double* y) {
  for (const v1::GoalRegion& r : s.goal().regions()) {
    for (const v1::GoalShape& shape : r.shapes()) {
      if (shape.has_rectangle()) {
        *x = shape.rectangle().center_x();
        *y = shape.rectangle().center_y();
        return true;
      }
      if (shape.has_circle()) {
        *x = shape.circle().center_x();
        *y = shape.circle().center_y();
        return true;
      }
    }
    for (const std::string& id : r.lane_ids()) {
      for (const v1::Lane& l : s.map().lanes()) {
        if (l.id() == id) {
          *x = l.centerline().x(l.centerline().x_size() - 1);
          *y = l.centerline().y(l.centerline().y_size() - 1);
          return true;
        }
      }
    }
  }
  return false;
}

std::vector<std::filesystem::path> CommonRoadFiles() {
  std::vector<std::filesystem::path> files;
  for (const auto& e :
       std::filesystem::recursive_directory_iterator(testing::DataPath("commonroad-ngsim"))) {
    if (e.path().extension() == ".xml") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

TEST_CASE("GPUDrive JSON: the 25 CommonRoad scenarios survive write and re-import",
          "[gpudrive][data]") {
  TARMAC_NEEDS_SHARED_DATA();
  const std::vector<std::filesystem::path> files = CommonRoadFiles();
  REQUIRE(files.size() == 25);
  int lanes_total = 0, successor_lists_equal = 0, predecessor_lists_equal = 0, lights_checked = 0;
  for (const std::filesystem::path& file : files) {
    INFO(file.string());
    Result<std::vector<v1::Scenario>> read = ReadScenarios(file);
    REQUIRE(read.ok());
    const v1::Scenario& a = read->front();
    Result<std::string> json = WriteGpuDriveJson(a);
    if (!json.ok()) FAIL(json.error().message);
    const v1::Scenario b = Parse(*json, "rt.json");

    CHECK(b.id() == a.id());
    CHECK(b.time().dt_s() == a.time().dt_s());
    CHECK(b.time().num_steps() == a.time().num_steps());
    CHECK(b.time().current_step() == a.time().current_step());
    CHECK(Note(b, "heading_units") == "radians");
    CHECK(Note(b, "heading_units_evidence") == "stated by metadata.heading_units");

    // Every logged track, bit for bit (shortest round-trip number text).
    REQUIRE(b.tracks_size() == a.tracks_size() + 1);
    for (int i = 0; i < a.tracks_size(); ++i) {
      const v1::Track& ta = a.tracks(i);
      const v1::Track& tb = b.tracks(i);
      INFO("track " << ta.id());
      CHECK(tb.id() == ta.id());
      CHECK(tb.type() == ta.type());
      CHECK(tb.length_m() == ta.length_m());
      CHECK(tb.width_m() == ta.width_m());
      CHECK(std::vector<bool>(tb.valid().begin(), tb.valid().end()) ==
            std::vector<bool>(ta.valid().begin(), ta.valid().end()));
      CHECK(Doubles(tb.x()) == Doubles(ta.x()));
      CHECK(Doubles(tb.y()) == Doubles(ta.y()));
      CHECK(Doubles(tb.heading()) == Doubles(ta.heading()));
      CHECK(Doubles(tb.vx()) == Doubles(ta.vx()));
      CHECK(Doubles(tb.vy()) == Doubles(ta.vy()));
    }
    // The planning problem's ego comes back as the sdc: a vehicle logged only
    // at the initial state's step.
    const v1::EgoInitialState& init = a.ego().initial_state();
    const v1::Track& ego = b.tracks(a.tracks_size());
    CHECK(b.ego().track_id() == ego.id());
    CHECK(Note(b, "ego") == fmt::format("objects[{}]: metadata.sdc_track_index", a.tracks_size()));
    CHECK(ego.type() == v1::TRACK_TYPE_VEHICLE);
    CHECK(std::count(ego.valid().begin(), ego.valid().end(), true) == 1);
    REQUIRE(ego.valid(init.step()));
    CHECK(ego.x(init.step()) == init.x());
    CHECK(ego.y(init.step()) == init.y());
    CHECK(ego.heading(init.step()) == init.heading());
    CHECK(std::hypot(ego.vx(init.step()), ego.vy(init.step())) ==
          Approx(init.speed()).margin(1e-9));
    CHECK(b.ego().length_m() == kCommonRoadEgoLength);
    CHECK(b.ego().width_m() == kCommonRoadEgoWidth);
    // Without a goal position (USA_US101-26_2: time and speed only) the
    // writer has nothing better than the start.
    double gx = init.x(), gy = init.y();
    ExpectedGoal(a, &gx, &gy);
    REQUIRE(b.goal().regions_size() == 1);
    CHECK(b.goal().regions(0).shapes(0).circle().center_x() == gx);
    CHECK(b.goal().regions(0).shapes(0).circle().center_y() == gy);

    // Lanes: ids and centrelines exact; vehicle lanes stay vehicle lanes.
    REQUIRE(b.map().lanes_size() == a.map().lanes_size());
    for (int i = 0; i < a.map().lanes_size(); ++i) {
      const v1::Lane& la = a.map().lanes(i);
      const v1::Lane& lb = b.map().lanes(i);
      INFO("lane " << la.id());
      CHECK(lb.id() == la.id());
      CHECK(Doubles(lb.centerline().x()) == Doubles(la.centerline().x()));
      CHECK(Doubles(lb.centerline().y()) == Doubles(la.centerline().y()));
      if (la.type() == v1::LANE_TYPE_VEHICLE) CHECK(lb.type() == v1::LANE_TYPE_VEHICLE);
      // Inferred successors are a subset of CommonRoad's explicit ones.
      for (const std::string& s : lb.successor_ids()) {
        CHECK(std::find(la.successor_ids().begin(), la.successor_ids().end(), s) !=
              la.successor_ids().end());
      }
      ++lanes_total;
      if (Strings(lb.successor_ids()) == Strings(la.successor_ids())) ++successor_lists_equal;
      // Predecessors as sets: CommonRoad lists them in its own order.
      std::vector<std::string> pa = Strings(la.predecessor_ids()),
                               pb = Strings(lb.predecessor_ids());
      std::sort(pa.begin(), pa.end());
      std::sort(pb.begin(), pb.end());
      if (pa == pb) ++predecessor_lists_equal;
    }
    REQUIRE(b.map().stop_signs_size() == a.map().stop_signs_size());
    for (int i = 0; i < a.map().stop_signs_size(); ++i) {
      CHECK(b.map().stop_signs(i).x() == a.map().stop_signs(i).x());
      CHECK(b.map().stop_signs(i).y() == a.map().stop_signs(i).y());
    }
    REQUIRE(b.map().crosswalks_size() == a.map().crosswalks_size());
    for (int i = 0; i < a.map().crosswalks_size(); ++i) {
      CHECK(Doubles(b.map().crosswalks(i).polygon().x()) ==
            Doubles(a.map().crosswalks(i).polygon().x()));
    }
    // Traffic lights come back one per controlled lane, with the states of
    // the first light controlling it (OFF has no WOMD name: UNKNOWN).
    std::map<std::string, const v1::TrafficLight*> by_lane;
    for (const v1::TrafficLight& l : b.traffic_lights()) {
      REQUIRE(l.lane_ids_size() == 1);
      by_lane[l.lane_ids(0)] = &l;
    }
    std::set<std::string> seen_lanes;
    for (const v1::TrafficLight& la : a.traffic_lights()) {
      for (const std::string& lane : la.lane_ids()) {
        INFO("light " << la.id() << " lane " << lane);
        REQUIRE(by_lane.count(lane) == 1);
        if (!seen_lanes.insert(lane).second) continue;
        const v1::TrafficLight& lb = *by_lane[lane];
        for (int k = 0; k < a.time().num_steps(); ++k) {
          const v1::SignalState want =
              la.states(k) == v1::SIGNAL_STATE_OFF ? v1::SIGNAL_STATE_UNKNOWN : la.states(k);
          CHECK(lb.states(k) == want);
        }
        if (la.has_stop_point()) {
          CHECK(lb.stop_x() == la.stop_x());
          CHECK(lb.stop_y() == la.stop_y());
        }
        ++lights_checked;
      }
    }
    // The data's true origin and licence come back (metadata.tarmac_provenance).
    CHECK(b.provenance().dataset() == a.provenance().dataset());
    CHECK(b.provenance().license() == a.provenance().license());
    // The re-imported scenario is valid, and writing it again gives the same
    // bytes: nothing else is lost on a second trip.
    for (const Problem& p : ValidateScenario(b)) {
      if (p.severity == Severity::kError) FAIL_CHECK(p.where << ": " << p.what);
    }
    Result<std::string> again = WriteGpuDriveJson(b);
    REQUIRE(again.ok());
    const bool same_bytes = *again == *json;
    CHECK(same_bytes);
  }
  // Endpoint inference recovers CommonRoad's explicit topology exactly: the
  // lanelets of these maps join end to start (1143 lanes, SOURCES.md counts).
  CHECK(lanes_total == 1143);
  CHECK(successor_lists_equal == lanes_total);
  CHECK(predecessor_lists_equal == lanes_total);
  CHECK(lights_checked > 0);
}

// ---- corrupt input ------------------------------------------------------------------

TEST_CASE("GPUDrive JSON: each corruption gives its own error", "[gpudrive]") {
  const std::string& doc = kRadiansDoc;
  const std::string ped_heading = R"("heading": [-10000.0, 3.0, -10000.0])";

  SECTION("a coordinate that is a string") {
    CHECK(ErrorOf(ReplaceOnce(doc, R"({"x": 5.0, "y": -3.0, "z": 0.0}, {)",
                              R"({"x": "5.0", "y": -3.0, "z": 0.0}, {)")) ==
          R"(x.json: objects[1].position[1].x: expected a number, got the string "5.0")");
  }
  SECTION("a missing key") {
    CHECK(ErrorOf(ReplaceOnce(doc, ped_heading + ",", "")) ==
          R"(x.json: objects[1]: missing key "heading")");
    CHECK(ErrorOf(ReplaceOnce(doc, R"("roads": [)", R"("roadz": [)")) ==
          R"(x.json: document: missing key "roads")");
  }
  SECTION("NaN and Infinity literals") {
    for (const char* literal : {"NaN", "Infinity", "-Infinity"}) {
      INFO(literal);
      const std::string bad = ReplaceOnce(
          doc, ped_heading, fmt::format(R"("heading": [-10000.0, {}, -10000.0])", literal));
      const size_t at = bad.find(literal, bad.find(R"("heading": [-10000.0, )"));
      // nlohmann stops at the first character it cannot take: 'N', 'I', or the 'I' after '-'.
      const size_t stop = literal[0] == '-' ? at + 1 : at;
      CHECK(ErrorOf(bad) ==
            fmt::format("x.json: objects[1].heading[1]: malformed JSON at {}: '{}' is not a "
                        "JSON number (NaN and Infinity are not allowed)",
                        Where(bad, stop), literal));
    }
  }
  SECTION("a number too large for a double") {
    const std::string bad = ReplaceOnce(doc, R"("width": 0.5,)", R"("width": 1e999,)");
    // nlohmann reports the overflow at the number's last digit.
    CHECK(ErrorOf(bad) ==
          fmt::format("x.json: objects[1].width: malformed JSON at {}: number overflow "
                      "parsing '1e999'",
                      Where(bad, bad.find("1e999") + 4)));
  }
  SECTION("a truncated file") {
    const std::string cut =
        doc.substr(0, doc.find(ped_heading) + std::string(R"("heading": [-10000.0, 3.0)").size());
    CHECK(ErrorOf(cut) ==
          fmt::format("x.json: objects[1].heading[2]: malformed JSON at {}: unexpected end of "
                      "input (truncated file?)",
                      Where(cut, cut.size())));
    CHECK(ErrorOf("") ==
          "x.json: document: malformed JSON at line 1, column 1 (byte 0): unexpected end of "
          "input (truncated file?)");
  }
  SECTION("other syntax errors name the place") {
    const std::string bad = ReplaceOnce(doc, R"("id": 707, "mark_as_expert": false},)",
                                        R"("id": 707, "mark_as_expert": false,},)");
    CHECK_THAT(ErrorOf(bad),
               Catch::StartsWith("x.json: objects[0]: malformed JSON at line 8, column "));
    CHECK_THAT(ErrorOf(bad),
               Catch::Contains("syntax error while parsing object key - unexpected '}'"));
  }
  SECTION("per-step lists of different lengths") {
    CHECK(ErrorOf(ReplaceOnce(doc, ped_heading, R"("heading": [-10000.0, 3.0])")) ==
          "x.json: objects[1].heading: 2 entries, but objects[1].position has 3");
    CHECK(ErrorOf(ReplaceOnce(doc, R"("valid": [false, true, false])",
                              R"("valid": [false, true, false, true])")) ==
          "x.json: objects[1].valid: 4 entries, but objects[1].position has 3");
    CHECK(ErrorOf(ReplaceOnce(doc, R"({"x": 49.5, "y": 1.0}, )", "")) ==
          "x.json: objects[2].position: 2 steps, but objects[0].position has 3");
    CHECK(ErrorOf(ReplaceOnce(doc, R"("time_index": [0, 2])", R"("time_index": [0])")) ==
          R"(x.json: tl_states["100"].time_index: 1 entries, but tl_states["100"].state has 2)");
  }
  SECTION("wrong types and values elsewhere") {
    CHECK(ErrorOf(ReplaceOnce(doc, R"("valid": [true, true, true],
  "goalPosition": {"x": 30.0)",
                              R"("valid": [1, true, true],
  "goalPosition": {"x": 30.0)")) == "x.json: objects[0].valid[0]: expected true or false, got 1");
    CHECK(ErrorOf(ReplaceOnce(doc, R"("type": "pedestrian")", R"("type": 2)")) ==
          "x.json: objects[1].type: expected a string, got 2");
    CHECK(ErrorOf(ReplaceOnce(doc, R"("state": ["stop", "go"])", R"("state": ["red", "go"])")) ==
          R"(x.json: tl_states["100"].state[0]: unknown signal state the string "red")");
    CHECK(ErrorOf(ReplaceOnce(doc, R"("time_index": [0, 2])", R"("time_index": [0, 3])")) ==
          R"(x.json: tl_states["100"].time_index[1]: step 3 outside [0, 3))");
    CHECK(ErrorOf(ReplaceOnce(doc, R"("sdc_track_index": 0)", R"("sdc_track_index": 4)")) ==
          "x.json: metadata.sdc_track_index: track index 4 outside [0, 4)");
    CHECK(ErrorOf(ReplaceOnce(doc, R"({"track_index": 2, "difficulty": 1})",
                              R"({"track_index": 2.5})")) ==
          "x.json: metadata.tracks_to_predict[0].track_index: expected an integer, got 2.5");
    CHECK(ErrorOf(ReplaceOnce(doc, R"("geometry": [{"x": 9.0, "y": -2.5, "z": 0.0}])",
                              R"("geometry": {})")) ==
          "x.json: roads[5].geometry: expected an array, got an object with 0 keys");
    CHECK(ErrorOf(ReplaceOnce(doc, R"("geometry": [{"x": 9.0, "y": -2.5, "z": 0.0}])",
                              R"("geometry": [])")) ==
          "x.json: roads[5].geometry: empty, a stop sign needs its position");
    CHECK(ErrorOf(ReplaceOnce(doc, R"("id": 707,)", R"("id": null,)")) ==
          "x.json: objects[0].id: expected an integer or non-empty string id, got null");
    CHECK(ErrorOf("[]") == "x.json: document: expected an object, got an array of 0 entries");
    CHECK(ErrorOf(ReplaceOnce(doc, R"("id": 8,)", R"("id": 707,)")) ==
          "x.json: duplicate track id '707'");
  }
}

TEST_CASE("GPUDrive JSON: corruptions of a real written file name the path", "[gpudrive][data]") {
  TARMAC_NEEDS_SHARED_DATA();
  Result<std::vector<v1::Scenario>> read =
      ReadScenarios(testing::DataPath("commonroad-ngsim/commonroad-io/USA_US101-4_1_T-1.xml"));
  REQUIRE(read.ok());
  Result<std::string> written = WriteGpuDriveJson(read->front());
  REQUIRE(written.ok());
  const std::string& json = *written;
  // objects[3]: the 4th object; its lists are written in a fixed layout.
  size_t obj = 0;
  for (int i = 0; i < 4; ++i) obj = json.find(R"({"position": [)", obj + 1);
  REQUIRE(obj != std::string::npos);

  SECTION("objects[3].position[7].x is a string") {
    size_t at = obj;
    for (int k = 0; k < 8; ++k) at = json.find(R"({"x": )", at + 1);
    at += std::string(R"({"x": )").size();
    std::string bad = json;
    bad.insert(at, "\"");
    bad.insert(bad.find(',', at), "\"");
    const std::string value = bad.substr(at + 1, bad.find('"', at + 1) - at - 1);
    CHECK(ErrorOf(bad) ==
          fmt::format(R"(x.json: objects[3].position[7].x: expected a number, got the string "{}")",
                      value));
  }
  SECTION("objects[3].heading[12] is NaN") {
    size_t at = json.find(R"("heading": [)", obj) + std::string(R"("heading": [)").size();
    for (int k = 0; k < 12; ++k) at = json.find(", ", at) + 2;
    std::string bad = json;
    bad.replace(at, bad.find(',', at) - at, "NaN");
    CHECK(ErrorOf(bad) ==
          fmt::format("x.json: objects[3].heading[12]: malformed JSON at line 1, column {} (byte "
                      "{}): 'NaN' is not a JSON number (NaN and Infinity are not allowed)",
                      at + 1, at));
  }
  SECTION("objects[3].heading one short") {
    const size_t list = json.find(R"("heading": [)", obj);
    const size_t first_end = json.find(", ", list) + 2;
    std::string bad = json;
    bad.erase(list + std::string(R"("heading": [)").size(),
              first_end - list - std::string(R"("heading": [)").size());
    CHECK(ErrorOf(bad) ==
          fmt::format("x.json: objects[3].heading: {} entries, but objects[3].position has {}",
                      read->front().time().num_steps() - 1, read->front().time().num_steps()));
  }
  SECTION("truncated in the middle") {
    const std::string cut = json.substr(0, json.size() / 2);
    CHECK_THAT(ErrorOf(cut), Catch::Contains("unexpected end of input (truncated file?)"));
    CHECK_THAT(ErrorOf(cut), Catch::StartsWith("x.json: "));
  }
}

TEST_CASE("GPUDrive JSON writer: what it refuses and how it fills ids", "[gpudrive]") {
  v1::Scenario s;
  s.set_id("w");
  s.mutable_time()->set_dt_s(0.1);
  s.mutable_time()->set_num_steps(2);
  v1::Track* t = s.add_tracks();
  t->set_id("car-a");  // not an integer: GPUDrive needs one
  t->set_type(v1::TRACK_TYPE_STATIC);
  t->set_length_m(4);
  t->set_width_m(2);
  InitTrack(2, t);
  t->set_valid(1, true);
  t->set_x(1, 3.5);
  v1::Track* u = s.add_tracks();
  u->set_id("41");
  u->set_length_m(1);
  u->set_width_m(1);
  InitTrack(2, u);
  s.mutable_ego()->set_track_id("41");
  v1::Lane* lane = s.mutable_map()->add_lanes();
  lane->set_id("main");
  AddPoint(lane->mutable_centerline(), 0, 0);
  AddPoint(lane->mutable_centerline(), 5, 0);
  v1::TrafficLight* light = s.add_traffic_lights();
  light->set_id("L");
  light->add_lane_ids("main");
  light->add_states(v1::SIGNAL_STATE_OFF);
  light->add_states(v1::SIGNAL_STATE_ARROW_GO);

  Result<std::string> json = WriteGpuDriveJson(s);
  REQUIRE(json.ok());
  const v1::Scenario back = Parse(*json);
  REQUIRE(back.tracks_size() == 2);
  CHECK(back.tracks(0).id() == "42");  // fresh: above the largest integer id
  CHECK(back.tracks(0).type() == v1::TRACK_TYPE_OTHER);
  CHECK(back.tracks(0).x(1) == 3.5);
  CHECK_FALSE(back.tracks(0).valid(0));
  CHECK(back.ego().track_id() == "41");
  REQUIRE(back.map().lanes_size() == 1);
  CHECK(back.map().lanes(0).id() == "0");
  REQUIRE(back.traffic_lights_size() == 1);
  CHECK(Strings(back.traffic_lights(0).lane_ids()) == std::vector<std::string>{"0"});
  CHECK(back.traffic_lights(0).states(0) == v1::SIGNAL_STATE_UNKNOWN);
  CHECK(back.traffic_lights(0).states(1) == v1::SIGNAL_STATE_ARROW_GO);
  // No stop point given: traffic stops at the lane's end.
  CHECK(back.traffic_lights(0).stop_x() == 5.0);
  CHECK_THAT(*json,
             Catch::Contains(R"("position": [{"x": -10000, "y": -10000}, {"x": 3.5, "y": 0}])"));

  s.mutable_time()->set_dt_s(0.04);
  Result<std::string> bad_dt = WriteGpuDriveJson(s);
  REQUIRE_FALSE(bad_dt.ok());
  CHECK(bad_dt.error().message ==
        "scenario 'w': GPUDrive JSON has a fixed step of 0.1 s; scenario 'w' has 0.04 s");
  s.mutable_time()->set_dt_s(0.1);
  t->set_x(1, std::nan(""));
  Result<std::string> nan = WriteGpuDriveJson(s);
  REQUIRE_FALSE(nan.ok());
  CHECK(nan.error().message == "scenario 'w': track 'car-a' is nan, not a finite number");
}

}  // namespace
}  // namespace tarmac
