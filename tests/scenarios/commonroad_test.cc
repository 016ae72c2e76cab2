// CommonRoad XML importer on the 25 real NGSIM scenarios in ../shared/data.
#include "scenarios/import/commonroad.h"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "scenarios/scenario_io.h"
#include "scenarios/validate.h"
#include "tests/support/test_data.h"

namespace tarmac {
namespace {

struct Expected {
  const char* file;
  int tracks;     // dynamic obstacles
  int last_step;  // last trajectory time step
  int lanes;      // lanelets
};

// Counts from ../shared/data/SOURCES.md (commonroad-ngsim table), which were
// taken from the XML independently of this importer; cross-checked by hand
// with grep -c '<dynamicObstacle \|<obstacle ' and '<lanelet id'.
const Expected kFiles[] = {
    {"commonroad-ngsim/commonroad-crime/USA_Lanker-1_3_T-1.xml", 36, 40, 95},
    {"commonroad-ngsim/commonroad-crime/USA_US101-5_1_T-1.xml", 25, 100, 5},
    {"commonroad-ngsim/commonroad-drivability-checker/USA_US101-3_1_T-1.xml", 35, 80, 12},
    {"commonroad-ngsim/commonroad-io/USA_Lanker-1_1_T-1.xml", 24, 40, 91},
    {"commonroad-ngsim/commonroad-io/USA_Peach-4_8_T-1.xml", 9, 60, 79},
    {"commonroad-ngsim/commonroad-io/USA_US101-3_3_T-1.xml", 12, 31, 12},
    {"commonroad-ngsim/commonroad-io/USA_US101-4_1_T-1.xml", 22, 100, 12},
    {"commonroad-ngsim/commonroad-reachable-set/USA_Lanker-1_4_T-1.xml", 34, 15, 95},
    {"commonroad-ngsim/commonroad-reachable-set/USA_US101-15_1_T-1.xml", 37, 80, 12},
    {"commonroad-ngsim/commonroad-reachable-set/USA_US101-6_1_T-1.xml", 29, 80, 5},
    {"commonroad-ngsim/commonroad-reachable-set/USA_US101-8_1_T-1.xml", 27, 75, 5},
    {"commonroad-ngsim/commonroad-search-gpl3/USA_Lanker-1_12_T-1.xml", 19, 15, 91},
    {"commonroad-ngsim/commonroad-search-gpl3/USA_Lanker-1_16_T-1.xml", 35, 10, 91},
    {"commonroad-ngsim/commonroad-search-gpl3/USA_Lanker-1_6_T-1.xml", 34, 10, 91},
    {"commonroad-ngsim/commonroad-search-gpl3/USA_Lanker-1_7_T-1.xml", 22, 15, 91},
    {"commonroad-ngsim/commonroad-search-gpl3/USA_Peach-1_1_T-1.xml", 3, 30, 59},
    {"commonroad-ngsim/commonroad-search-gpl3/USA_Peach-2_1_T-1.xml", 16, 105, 74},
    {"commonroad-ngsim/commonroad-search-gpl3/USA_Peach-4_3_T-1.xml", 6, 70, 79},
    {"commonroad-ngsim/commonroad-search-gpl3/USA_Peach-4_7_T-1.xml", 19, 130, 79},
    {"commonroad-ngsim/commonroad-search-gpl3/USA_US101-10_2_T-1.xml", 11, 27, 12},
    {"commonroad-ngsim/commonroad-search-gpl3/USA_US101-14_2_T-1.xml", 13, 27, 12},
    {"commonroad-ngsim/commonroad-search-gpl3/USA_US101-26_2_T-1.xml", 27, 80, 12},
    {"commonroad-ngsim/commonroad-search-gpl3/USA_US101-4_2_T-1.xml", 10, 31, 12},
    {"commonroad-ngsim/commonroad-search-gpl3/USA_US101-4_3_T-1.xml", 23, 100, 12},
    {"commonroad-ngsim/commonroad-search-gpl3/USA_US101-8_2_T-1.xml", 10, 27, 5},
};

double DistanceToPolyline(const v1::Polyline& line, double x, double y) {
  double best = 1e300;
  for (int i = 1; i < line.x_size(); ++i) {
    const double ax = line.x(i - 1), ay = line.y(i - 1);
    const double dx = line.x(i) - ax, dy = line.y(i) - ay;
    const double len2 = dx * dx + dy * dy;
    const double t = len2 > 0 ? std::clamp(((x - ax) * dx + (y - ay) * dy) / len2, 0.0, 1.0) : 0.0;
    best = std::min(best, std::hypot(x - ax - t * dx, y - ay - t * dy));
  }
  return best;
}

v1::Scenario ReadOne(const std::string& relative) {
  Result<std::vector<v1::Scenario>> r = ReadScenarios(testing::DataPath(relative));
  if (!r.ok()) FAIL(r.error().message);
  REQUIRE(r->size() == 1);
  return std::move(r->front());
}

TEST_CASE("CommonRoad: all 25 NGSIM scenarios import with the right counts", "[commonroad][data]") {
  TARMAC_NEEDS_SHARED_DATA();
  for (const Expected& e : kFiles) {
    INFO(e.file);
    const v1::Scenario s = ReadOne(e.file);
    CHECK(s.tracks_size() == e.tracks);
    CHECK(s.time().num_steps() == e.last_step + 1);
    CHECK(s.time().dt_s() == 0.1);
    CHECK(s.map().lanes_size() == e.lanes);
    CHECK(s.provenance().source_format() == "commonroad-xml");
    // No logged ego: the planning problem's initial state.
    CHECK(s.ego().track_id().empty());
    CHECK(s.ego().has_initial_state());
    CHECK(s.goal().regions_size() >= 1);
    // Every imported file is valid.
    const std::vector<Problem> problems = ValidateScenario(s);
    for (const Problem& p : problems) {
      if (p.severity == Severity::kError) FAIL_CHECK(p.where << ": " << p.what);
    }
  }
}

TEST_CASE("CommonRoad: one obstacle's values match the XML", "[commonroad][data]") {
  TARMAC_NEEDS_SHARED_DATA();
  // USA_US101-4_1_T-1.xml, <dynamicObstacle id="373">: a car 4.4196 x 1.8288 m
  // whose first states are (20.8465, -38.8751) at t=0 and (22.0989, -39.973) at t=1.
  const v1::Scenario s = ReadOne("commonroad-ngsim/commonroad-io/USA_US101-4_1_T-1.xml");
  const v1::Track* track = nullptr;
  for (const v1::Track& t : s.tracks()) {
    if (t.id() == "373") track = &t;
  }
  REQUIRE(track != nullptr);
  CHECK(track->type() == v1::TRACK_TYPE_VEHICLE);
  CHECK(track->source_type() == "car");
  CHECK(track->x(0) == 20.8465);
  CHECK(track->y(0) == -38.8751);
  CHECK(track->x(1) == 22.0989);
  CHECK(track->y(1) == -39.973);
  CHECK(track->valid(0));
  // Speed along the heading becomes a velocity vector.
  const double speed = std::hypot(track->vx(1), track->vy(1));
  CHECK(std::atan2(track->vy(1), track->vx(1)) == Approx(track->heading(1)).margin(1e-9));
  CHECK(speed > 5.0);
  CHECK(s.id() == "USA_US101-4_1_T-1");
  CHECK(s.map().name() == "USA_US101-4");
}

TEST_CASE("CommonRoad: the two US101-4 files, 2020a and 2018b, import alike", "[commonroad][data]") {
  TARMAC_NEEDS_SHARED_DATA();
  const v1::Scenario a = ReadOne("commonroad-ngsim/commonroad-io/USA_US101-4_1_T-1.xml");
  const v1::Scenario b = ReadOne("commonroad-ngsim/commonroad-search-gpl3/USA_US101-4_3_T-1.xml");
  CHECK(a.time().num_steps() == b.time().num_steps());
  std::map<std::string, const v1::Track*> in_b;
  for (const v1::Track& t : b.tracks()) in_b[t.id()] = &t;
  // The 2018b file holds one extra obstacle; every one of the 2020a file's is
  // in it with the same box and the same states.
  CHECK(b.tracks_size() == a.tracks_size() + 1);
  for (const v1::Track& ta : a.tracks()) {
    INFO("track " << ta.id());
    REQUIRE(in_b.count(ta.id()) == 1);
    const v1::Track& tb = *in_b[ta.id()];
    CHECK(ta.length_m() == tb.length_m());
    CHECK(ta.width_m() == tb.width_m());
    for (int k = 0; k < a.time().num_steps(); ++k) {
      REQUIRE(ta.valid(k) == tb.valid(k));
      CHECK(ta.x(k) == Approx(tb.x(k)).margin(1e-4));
      CHECK(ta.y(k) == Approx(tb.y(k)).margin(1e-4));
      CHECK(ta.heading(k) == Approx(tb.heading(k)).margin(1e-4));
    }
  }
  // Same road: the same lanelets and topology. The 2020a file extends some
  // bounds by one point, so geometry is compared as "every 2018b centreline
  // point lies on the 2020a centreline".
  REQUIRE(a.map().lanes_size() == b.map().lanes_size());
  for (int i = 0; i < a.map().lanes_size(); ++i) {
    const v1::Lane& la = a.map().lanes(i);
    const v1::Lane& lb = b.map().lanes(i);
    INFO("lane " << la.id());
    CHECK(la.id() == lb.id());
    for (int k = 0; k < lb.centerline().x_size(); ++k) {
      CHECK(DistanceToPolyline(la.centerline(), lb.centerline().x(k), lb.centerline().y(k)) < 0.01);
    }
    CHECK(std::vector<std::string>(la.successor_ids().begin(), la.successor_ids().end()) ==
          std::vector<std::string>(lb.successor_ids().begin(), lb.successor_ids().end()));
  }
  CHECK(a.ego().initial_state().x() == b.ego().initial_state().x());
  CHECK(a.ego().initial_state().y() == b.ego().initial_state().y());
}

TEST_CASE("CommonRoad: Lankershim 2020a keeps lights, stop lines, signs and intersections",
          "[commonroad][data]") {
  TARMAC_NEEDS_SHARED_DATA();
  const v1::Scenario s = ReadOne("commonroad-ngsim/commonroad-crime/USA_Lanker-1_3_T-1.xml");
  CHECK(s.traffic_lights_size() == 8);
  CHECK(s.map().stop_lines_size() == 17);
  int limited = 0, in_intersection = 0;
  for (const v1::Lane& l : s.map().lanes()) {
    limited += l.speed_limit_mps() > 0 ? 1 : 0;
    in_intersection += l.is_intersection() ? 1 : 0;
  }
  CHECK(limited > 0);
  CHECK(in_intersection > 0);
  for (const v1::TrafficLight& l : s.traffic_lights()) {
    INFO("light " << l.id());
    CHECK(l.lane_ids_size() > 0);
    CHECK(l.has_stop_point());
    CHECK(l.states_size() == s.time().num_steps());
  }
  // <trafficLight id="11522">: green 170, yellow 30, red 800, offset 790: at
  // step 0 the phase is (0 - 790) mod 1000 = 210, which is red.
  for (const v1::TrafficLight& l : s.traffic_lights()) {
    if (l.id() == "11522") CHECK(l.states(0) == v1::SIGNAL_STATE_STOP);
  }
  // 2018b files carry speed limits directly on lanelets (<speedLimit>, m/s).
  const v1::Scenario old = ReadOne("commonroad-ngsim/commonroad-io/USA_Lanker-1_1_T-1.xml");
  CHECK(old.map().lanes(0).speed_limit_mps() > 0);
  CHECK(old.provenance().tags_size() > 0);
}

// A minimal CommonRoad document with one traffic light, to pin down the cycle
// semantics (the cases of commonroad-io's own traffic-light test).
std::string LightScenario(int offset) {
  return fmt::format(R"(<?xml version="1.0"?>
<commonRoad timeStepSize="0.1" commonRoadVersion="2020a" benchmarkID="ZAM_Test-1_1_T-1">
  <lanelet id="1">
    <leftBound><point><x>0</x><y>2</y></point><point><x>50</x><y>2</y></point></leftBound>
    <rightBound><point><x>0</x><y>-2</y></point><point><x>50</x><y>-2</y></point></rightBound>
    <trafficLightRef ref="7"/>
  </lanelet>
  <trafficLight id="7"><cycle>
    <cycleElement><duration>2</duration><color>green</color></cycleElement>
    <cycleElement><duration>3</duration><color>yellow</color></cycleElement>
    <cycleElement><duration>2</duration><color>red</color></cycleElement>
    <timeOffset>{}</timeOffset></cycle><active>true</active></trafficLight>
  <dynamicObstacle id="2"><type>car</type><shape><rectangle><length>4</length><width>2</width></rectangle></shape>
    <initialState><position><point><x>1</x><y>0</y></point></position><orientation><exact>0</exact></orientation>
      <time><exact>0</exact></time><velocity><exact>1</exact></velocity></initialState>
    <trajectory><state><position><point><x>2</x><y>0</y></point></position><orientation><exact>0</exact></orientation>
      <time><exact>13</exact></time><velocity><exact>1</exact></velocity></state></trajectory>
  </dynamicObstacle>
</commonRoad>)",
                     offset);
}

TEST_CASE("CommonRoad: traffic-light cycles repeat from their time offset", "[commonroad]") {
  auto states = [](int offset) {
    Result<std::vector<v1::Scenario>> r =
        ParseScenarios(LightScenario(offset), "light.xml", Format::kCommonRoad);
    if (!r.ok()) FAIL(r.error().message);
    return r->front().traffic_lights(0);
  };
  CHECK(states(0).states(8) == v1::SIGNAL_STATE_GO);        // cycle of 7: 8 -> 1, green
  CHECK(states(3).states(5) == v1::SIGNAL_STATE_CAUTION);   // 5 - 3 = 2, yellow
  CHECK(states(10).states(12) == v1::SIGNAL_STATE_CAUTION);  // 12 - 10 = 2, yellow
  CHECK(states(0).states(6) == v1::SIGNAL_STATE_STOP);
  CHECK(states(0).lane_ids(0) == "1");
  // Track 2 is valid only at steps 0 and 13, as logged.
  Result<std::vector<v1::Scenario>> r = ParseScenarios(LightScenario(0), "light.xml", Format::kCommonRoad);
  REQUIRE(r.ok());
  const v1::Track& t = r->front().tracks(0);
  CHECK(t.valid(0));
  CHECK_FALSE(t.valid(5));
  CHECK(t.valid(13));
  CHECK(r->front().time().num_steps() == 14);
}

TEST_CASE("CommonRoad: corrupt files give one error naming file, element and reason",
          "[commonroad][data]") {
  TARMAC_NEEDS_SHARED_DATA();
  const std::string path = testing::DataPath("commonroad-ngsim/commonroad-io/USA_US101-3_3_T-1.xml").string();
  Result<std::string> bytes = ReadFileBytes(path);
  REQUIRE(bytes.ok());
  const std::string& xml = *bytes;

  SECTION("truncated") {
    auto r = ParseScenarios(std::string_view(xml).substr(0, xml.size() / 2), "cut.xml", Format::kCommonRoad);
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.error().message, Catch::StartsWith("cut.xml: malformed XML at line "));
  }
  SECTION("a coordinate that is not a number") {
    std::string bad = xml;
    const size_t at = bad.find("<x>", bad.find("<obstacle id=\"363\""));
    bad.replace(at, 3, "<x>abc");
    auto r = ParseScenarios(bad, "bad.xml", Format::kCommonRoad);
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.error().message,
               Catch::StartsWith("bad.xml: commonRoad/obstacle[id=363]/initialState/position/point/x: 'abc"));
    CHECK_THAT(r.error().message, Catch::Contains("is not a finite number"));
  }
  SECTION("a NaN coordinate") {
    std::string bad = xml;
    const size_t at = bad.find("<y>", bad.find("<obstacle id=\"363\""));
    bad.replace(at, 3, "<y>nan");
    bad.erase(at + 6, bad.find('<', at + 6) - (at + 6));
    auto r = ParseScenarios(bad, "nan.xml", Format::kCommonRoad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message ==
          "nan.xml: commonRoad/obstacle[id=363]/initialState/position/point/y: 'nan' is not a finite number");
  }
  SECTION("a dangling traffic-light reference") {
    std::string bad = LightScenario(0);
    bad.replace(bad.find("<trafficLightRef ref=\"7\"/>"), 26, "<trafficLightRef ref=\"9\"/>");
    auto r = ParseScenarios(bad, "ref.xml", Format::kCommonRoad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message == "ref.xml: commonRoad/lanelet[id=1]: trafficLightRef 9 names no <trafficLight>");
  }
  SECTION("not CommonRoad at all") {
    auto r = ParseScenarios("<?xml version=\"1.0\"?><osm/>", "x.xml", Format::kCommonRoad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message == "x.xml: root element is not <commonRoad>");
  }
}

}  // namespace
}  // namespace tarmac
