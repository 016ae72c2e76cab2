#include "scenarios/map/map_index.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <random>

#include "scenarios/import/import_util.h"
#include "scenarios/scenario_io.h"
#include "tests/support/test_data.h"

namespace tarmac {
namespace {

constexpr double kPi = std::numbers::pi;

v1::Lane* AddLane(v1::Map* map, const std::string& id, std::initializer_list<Vec2> points) {
  v1::Lane* lane = map->add_lanes();
  lane->set_id(id);
  for (const Vec2& p : points) AddPoint(lane->mutable_centerline(), p.x, p.y);
  return lane;
}

// Two parallel eastbound lanes (y = 0 and y = 3.5), 100 m long. Lane "a"
// forks at x = 100 into "straight" (continuing east) and "left" (turning
// north); "b" continues into "b2".
v1::Map ForkMap() {
  v1::Map map;
  v1::Lane* a = AddLane(&map, "a", {{0, 0}, {50, 0}, {100, 0}});
  v1::Lane* b = AddLane(&map, "b", {{0, 3.5}, {100, 3.5}});
  AddLane(&map, "straight", {{100, 0}, {150, 0}});
  AddLane(&map, "left", {{100, 0}, {110, 5}, {115, 20}});
  AddLane(&map, "b2", {{100, 3.5}, {150, 3.5}});
  a->add_successor_ids("left");
  a->add_successor_ids("straight");
  b->add_successor_ids("b2");
  v1::LaneNeighbor* n = a->add_left_neighbors();
  n->set_lane_id("b");
  n->set_same_direction(true);
  a->add_successor_ids("missing");  // dangling: dropped and counted
  return map;
}

TEST_CASE("Path2 projects with signed lateral offset and arc length", "[map]") {
  const std::vector<Vec2> pts = {{0, 0}, {10, 0}, {10, 10}};
  const Path2 path(pts);
  CHECK(path.length() == 20.0);
  PathProjection p = path.Project(4, 2);
  CHECK(p.s == 4.0);
  CHECK(p.d == 2.0);  // left of an eastbound path is +y
  CHECK(p.distance == 2.0);
  p = path.Project(12, 5);  // right of the northbound leg
  CHECK(p.s == 15.0);
  CHECK(p.d == -2.0);
  CHECK(p.heading == Approx(kPi / 2));
  const PathPose pose = path.PoseAt(15.0);
  CHECK(pose.x == 10.0);
  CHECK(pose.y == 5.0);
  CHECK(pose.heading == Approx(kPi / 2));
  CHECK(path.PoseAt(-3).x == 0.0);   // clamped
  CHECK(path.PoseAt(99).y == 10.0);  // clamped
}

TEST_CASE("MapIndex resolves the lane graph and drops dangling references", "[map]") {
  const MapIndex index(ForkMap());
  REQUIRE(index.num_lanes() == 5);
  const LaneIdx a = index.LaneIndexOf("a");
  CHECK(index.LaneId(a) == "a");
  CHECK(index.LaneIndexOf("nope") == kNoLane);
  CHECK(index.Successors(a).size() == 2);
  CHECK(index.num_dangling_refs() == 1);
  REQUIRE(index.LeftNeighbors(a).size() == 1);
  CHECK(index.LeftNeighbors(a)[0] == index.LaneIndexOf("b"));
}

TEST_CASE("MapIndex projects points onto the nearest lane", "[map]") {
  const MapIndex index(ForkMap());
  LaneProjection p = index.Project(30, 1.0);
  CHECK(index.LaneId(p.lane) == "a");
  CHECK(p.s == Approx(30.0));
  CHECK(p.d == Approx(1.0));
  p = index.Project(30, 2.5);
  CHECK(index.LaneId(p.lane) == "b");
  CHECK(p.d == Approx(-1.0));
  // Far off the map (beyond the grid): still the exact nearest lane.
  p = index.Project(-500, 3.0);
  CHECK(index.LaneId(p.lane) == "b");
  CHECK(p.distance == Approx(std::hypot(500.0, 0.5)));
}

TEST_CASE("ProjectWithHeading picks the lane going the pose's way at a fork", "[map]") {
  const MapIndex index(ForkMap());
  // Just past the fork point, both successors start at (100, 0).
  LaneProjection east = index.ProjectWithHeading(101, 0.3, 0.0);
  CHECK(index.LaneId(east.lane) == "straight");
  const double left_heading = std::atan2(5.0, 10.0);
  LaneProjection north = index.ProjectWithHeading(101, 0.6, left_heading);
  CHECK(index.LaneId(north.lane) == "left");
  CHECK(north.heading_error == Approx(0.0).margin(1e-9));
  // A pose driving against the lane reports the heading error.
  LaneProjection wrong = index.ProjectWithHeading(20, 0.0, kPi);
  CHECK(std::abs(wrong.heading_error) == Approx(kPi));
}

TEST_CASE("FollowLanes goes straight at forks unless told otherwise", "[map]") {
  const MapIndex index(ForkMap());
  const LaneIdx a = index.LaneIndexOf("a");
  LanePath path = index.FollowLanes(a, 80.0, 60.0);
  REQUIRE(path.lanes.size() == 2);
  CHECK(index.LaneId(path.lanes[1]) == "straight");
  CHECK(path.path.length() == Approx(70.0));  // 20 m left on "a", then all of "straight"
  CHECK(path.lane_start_s[1] == Approx(20.0));
  const LaneIdx left = index.LaneIndexOf("left");
  const std::vector<LaneIdx> route = {left};
  path = index.FollowLanes(a, 80.0, 60.0, route);
  REQUIRE(path.lanes.size() == 2);
  CHECK(path.lanes[1] == left);
  // The graph ends: the path is shorter than asked.
  path = index.FollowLanes(index.LaneIndexOf("b2"), 0.0, 500.0);
  CHECK(path.path.length() == Approx(50.0));
}

TEST_CASE("ShortestRoute changes lanes when it must", "[map]") {
  const MapIndex index(ForkMap());
  const std::vector<LaneIdx> route =
      index.ShortestRoute(index.LaneIndexOf("a"), index.LaneIndexOf("b2"));
  REQUIRE(route.size() == 3);
  CHECK(index.LaneId(route[0]) == "a");
  CHECK(index.LaneId(route[1]) == "b");
  CHECK(index.LaneId(route[2]) == "b2");
  CHECK(index.ShortestRoute(index.LaneIndexOf("b2"), index.LaneIndexOf("a")).empty());
}

// Reference: the nearest lane by scanning every lane's centreline.
LaneProjection BruteForce(const MapIndex& index, double x, double y) {
  LaneProjection best;
  best.distance = 1e300;
  for (LaneIdx l = 0; l < index.num_lanes(); ++l) {
    const PathProjection p = index.Centerline(l).Project(x, y);
    if (p.distance < best.distance) {
      best.lane = l;
      best.distance = p.distance;
      best.s = p.s;
    }
  }
  return best;
}

TEST_CASE("MapIndex grid queries equal brute force on real maps", "[map][data]") {
  TARMAC_NEEDS_SHARED_DATA();
  for (const char* file : {"commonroad-ngsim/commonroad-crime/USA_Lanker-1_3_T-1.xml",
                           "commonroad-ngsim/commonroad-io/USA_US101-4_1_T-1.xml"}) {
    INFO(file);
    Result<std::vector<v1::Scenario>> r = ReadScenarios(testing::DataPath(file));
    REQUIRE(r.ok());
    const v1::Scenario& s = r->front();
    const MapIndex index(s.map());
    std::mt19937 rng(7);  // fixed seed: the test is deterministic
    // Jitter of up to 8 m (the fine grid), 40 m (the wide grid) and 80 m (the scan).
    std::uniform_real_distribution<double> jitter(-8.0, 8.0), far(-40.0, 40.0), farther(-80.0, 80.0);
    int checked = 0;
    for (const v1::Track& t : s.tracks()) {
      for (int k = 0; k < t.x_size(); k += 2) {
        if (!t.valid(k)) continue;
        const int mode = k % 3;
        const double x = t.x(k) + (mode == 0 ? jitter(rng) : mode == 1 ? far(rng) : farther(rng));
        const double y = t.y(k) + (mode == 0 ? jitter(rng) : mode == 1 ? far(rng) : farther(rng));
        const LaneProjection fast = index.Project(x, y);
        const LaneProjection slow = BruteForce(index, x, y);
        REQUIRE(fast.distance == Approx(slow.distance).margin(1e-9));
        ++checked;
      }
    }
    CHECK(checked > 100);
  }
}

TEST_CASE("LanesNear with a large radius equals scanning every lane", "[map][data]") {
  TARMAC_NEEDS_SHARED_DATA();
  for (const char* file : {"commonroad-ngsim/commonroad-crime/USA_Lanker-1_3_T-1.xml",
                           "nuscenes-mini-scenarionet/sd_nuscenes_v1.0-mini_scene-0061.pkl"}) {
    INFO(file);
    Result<std::vector<v1::Scenario>> r = ReadScenarios(testing::DataPath(file));
    REQUIRE(r.ok());
    const v1::Scenario& s = r->front();
    const MapIndex index(s.map());
    int checked = 0;
    std::vector<LaneProjection> near;
    for (const v1::Track& t : s.tracks()) {
      for (int k = 0; k < t.x_size(); k += 25) {
        if (!t.valid(k)) continue;
        for (double radius : {3.0, 20.0, 50.0}) {
          near.clear();
          index.LanesNear(t.x(k), t.y(k), radius, &near);
          // Every lane within the radius, by distance then index.
          std::vector<std::pair<double, LaneIdx>> expected;
          for (LaneIdx l = 0; l < index.num_lanes(); ++l) {
            const double d = index.Centerline(l).Project(t.x(k), t.y(k)).distance;
            if (d <= radius && index.Centerline(l).points().size() >= 2) expected.emplace_back(d, l);
          }
          std::sort(expected.begin(), expected.end());
          REQUIRE(near.size() == expected.size());
          for (size_t i = 0; i < near.size(); ++i) {
            REQUIRE(near[i].distance == Approx(expected[i].first).margin(1e-9));
            if (i + 1 < near.size()) REQUIRE(near[i].distance <= near[i + 1].distance);
          }
          ++checked;
        }
      }
    }
    CHECK(checked > 100);
  }
}

TEST_CASE("Logged vehicles project onto lanes heading their way", "[map][data]") {
  TARMAC_NEEDS_SHARED_DATA();
  Result<std::vector<v1::Scenario>> r =
      ReadScenarios(testing::DataPath("commonroad-ngsim/commonroad-io/USA_US101-4_1_T-1.xml"));
  REQUIRE(r.ok());
  const v1::Scenario& s = r->front();
  const MapIndex index(s.map());
  int total = 0, aligned = 0, close = 0;
  for (const v1::Track& t : s.tracks()) {
    for (int k = 0; k < t.x_size(); ++k) {
      if (!t.valid(k)) continue;
      const LaneProjection p = index.ProjectWithHeading(t.x(k), t.y(k), t.heading(k));
      ++total;
      aligned += std::abs(p.heading_error) < 0.35 ? 1 : 0;  // 20 degrees
      close += std::abs(p.d) < 2.5 ? 1 : 0;                // within a lane's half width + margin
    }
  }
  CHECK(aligned >= 0.98 * total);
  CHECK(close >= 0.95 * total);
}

}  // namespace
}  // namespace tarmac
