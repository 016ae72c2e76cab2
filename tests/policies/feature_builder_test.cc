// policies/features/: the model contract's feature builder, state history and
// output decoding, on hand-built situations with known answers and on every
// real scenario of the embedded suite and ../shared/data.
#include <catch2/catch.hpp>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <new>
#include <filesystem>
#include <memory>
#include <numbers>

#include "agents/log_agents.h"
#include "policies/features/feature_builder.h"
#include "policies/features/trajectory_decoder.h"
#include "scenarios/import/import_util.h"
#include "scenarios/scenario_io.h"
#include "tests/support/real_scenarios.h"
#include "tests/support/synthetic.h"
#include "tests/support/test_data.h"

// Counts heap allocations in this test binary, so that a test can check that
// building features allocates nothing once warm (the builder's contract).
namespace {
std::atomic<long long> g_heap_allocations{0};
}  // namespace

// GCC flags free() in a replaced operator delete as a mismatch once it has
// inlined the matching operator new (malloc); the pair is consistent.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
void* operator new(std::size_t n) {
  g_heap_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

namespace tarmac {
namespace {

namespace io = model_io;
constexpr int kNow = io::kHistorySteps - 1;
constexpr double kPi = std::numbers::pi;
// The normalisation scales as floats: feature * scale is the value in state units.
constexpr float kPos = static_cast<float>(io::kPositionScale);
constexpr float kVel = static_cast<float>(io::kVelocityScale);
constexpr float kSize = static_cast<float>(io::kSizeScale);
constexpr float kLimit = static_cast<float>(io::kSpeedLimitScale);

std::shared_ptr<const ScenarioModel> Build(v1::Scenario s, int start_step = -1) {
  ModelOptions options;
  options.start_step = start_step;
  Result<std::shared_ptr<const ScenarioModel>> m = ScenarioModel::Build(std::move(s), options);
  if (!m.ok()) FAIL(m.error().message);
  return *m;
}

// The state at the model's start, every agent replaying its log.
SimState StartState(const ScenarioModel& m) {
  SimState st;
  st.Reset(m);
  LogAgents().Reset(m, &st);
  return st;
}

struct Obs {
  std::vector<float> buf = std::vector<float>(io::kObservationFloats, -7.0f);  // junk: the builder must overwrite
  ObservationIndex index;
  ObservationView view() { return {buf}; }
};

Obs Observe(const ScenarioModel& m, const SimState& st, int actor = kEgoActor, const StateHistory* h = nullptr) {
  FeatureBuilder builder;
  Obs o;
  const Result<void> r = builder.BuildObservation(m, st, actor, h, o.view(), &o.index);
  if (!r.ok()) FAIL(r.error().message);
  return o;
}

bool AllZero(std::span<const float> v) {
  for (float x : v) {
    if (x != 0.0f) return false;
  }
  return true;
}

// Every padded row (entity mask 0) is all zero; masks are 0 or 1; all finite.
void CheckWellFormed(Obs& o) {
  const ObservationView v = o.view();
  for (float x : o.buf) REQUIRE(std::isfinite(x));
  for (const io::Block& b : {io::kEgoMask, io::kAgentMask, io::kAgentValid, io::kLanePointMask, io::kLaneValid,
                             io::kStaticValid}) {
    for (float x : v.block(b)) REQUIRE((x == 0.0f || x == 1.0f));
  }
  for (int k = 0; k < io::kMaxAgents; ++k) {
    REQUIRE((v.agent_valid(k) == 1.0f) == (k < o.index.num_agents));
    REQUIRE(v.agent_mask(k, kNow) == v.agent_valid(k));  // present now <=> selected
    for (int t = 0; t < io::kHistorySteps; ++t) {
      if (v.agent_mask(k, t) == 0.0f) REQUIRE(AllZero({v.agent_history(k, t), io::kStateDim}));
    }
    if (v.agent_valid(k) == 0.0f) REQUIRE(AllZero({v.agent_attr(k), io::kAgentAttrDim}));
  }
  for (int m = 0; m < io::kMaxLanes; ++m) {
    REQUIRE((v.lane_valid(m) == 1.0f) == (m < o.index.num_lanes));
    if (v.lane_valid(m) == 1.0f) REQUIRE(v.lane_point_mask(m, 0) == 1.0f);
    for (int p = 0; p < io::kLanePoints; ++p) {
      if (v.lane_point_mask(m, p) == 0.0f) REQUIRE(AllZero({v.lane_point(m, p), io::kLanePointDim}));
      if (p > 0 && v.lane_point_mask(m, p) == 1.0f) REQUIRE(v.lane_point_mask(m, p - 1) == 1.0f);  // a prefix
    }
    if (v.lane_valid(m) == 0.0f) {
      REQUIRE(AllZero({v.lane_attr(m), io::kLaneAttrDim}));
    } else {
      const float* a = v.lane_attr(m);
      REQUIRE(a[io::kLaneLightUnknown] + a[io::kLaneLightGreen] + a[io::kLaneLightYellow] + a[io::kLaneLightRed] ==
              1.0f);
    }
  }
  for (int s = 0; s < io::kMaxStatic; ++s) {
    REQUIRE((v.static_valid(s) == 1.0f) == (s < o.index.num_static));
    if (v.static_valid(s) == 0.0f) REQUIRE(AllZero({v.static_object(s), io::kStaticDim}));
  }
  REQUIRE(v.ego_mask(kNow) == 1.0f);
  // The actor's own row now is the frame's origin, heading along +x.
  const float* e = v.ego_history(kNow);
  REQUIRE(std::abs(e[0]) < 1e-6f);
  REQUIRE(std::abs(e[1]) < 1e-6f);
  REQUIRE(e[2] == Approx(1.0f));
  REQUIRE(std::abs(e[3]) < 1e-6f);
}

TEST_CASE("FeatureBuilder: the layout is contiguous and versioned") {
  CHECK(io::kContractVersion == 1);
  CHECK(io::kEgoHistory.offset == 0);
  CHECK(io::kStaticValid.offset + io::kStaticValid.size == io::kObservationFloats);
  CHECK(io::kObservationFloats == 21 * 6 + 21 + 2 + 32 * 21 * 6 + 32 * 21 + 32 * 5 + 32 + 64 * 20 * 4 + 64 * 20 +
                                      64 * 8 + 64 + 16 * 6 + 16);
  CHECK(io::kTargetFloats == 80 * 4);
}

TEST_CASE("FeatureBuilder: an agent 10 m ahead appears at x = 10, y = 0 and padding is zero") {
  v1::Scenario s = testing::StraightRoad(500.0, 1, 15.0, 50, 100.0, 0.0);
  testing::AddStraightTrack(&s, "car", v1::TRACK_TYPE_VEHICLE, 110.0, 0.0, 5.0);
  const auto m = Build(s);
  const SimState st = StartState(*m);
  Obs o = Observe(*m, st);
  CheckWellFormed(o);
  const ObservationView v = o.view();
  REQUIRE(o.index.num_agents == 1);
  CHECK(o.index.agent_track[0] == 1);
  const float* a = v.agent_history(0, kNow);
  CHECK(a[0] * kPos == Approx(10.0).margin(1e-5));
  CHECK(a[1] * kPos == Approx(0.0).margin(1e-5));
  CHECK(a[2] == Approx(1.0f));
  CHECK(a[3] == Approx(0.0f).margin(1e-7));
  CHECK(a[4] * kVel == Approx(5.0));
  CHECK(a[5] == Approx(0.0f).margin(1e-7));
  // Attributes: 4.5 x 1.8 m vehicle.
  CHECK(v.agent_attr(0)[0] * kSize == Approx(4.5));
  CHECK(v.agent_attr(0)[1] * kSize == Approx(1.8));
  CHECK(v.agent_attr(0)[2] == 1.0f);
  CHECK(v.agent_attr(0)[3] == 0.0f);
  CHECK(v.agent_attr(0)[4] == 0.0f);
  // The log starts at step 0: no history before now.
  for (int t = 0; t < kNow; ++t) {
    CHECK(v.agent_mask(0, t) == 0.0f);
    CHECK(v.ego_mask(t) == 0.0f);
  }
  CHECK(v.ego_attr()[0] * kSize == Approx(5.0));
  CHECK(v.ego_attr()[1] * kSize == Approx(2.0));
  CHECK(o.index.num_static == 0);
  CHECK(AllZero(v.block(io::kStatic)));
  // The frame a planner decodes in: the ego's box centre, not its rear axle.
  const ActorFrame f = FeatureBuilder::FrameOf(*m, st, kEgoActor);
  CHECK(f.x == Approx(100.0));
  CHECK(f.y == Approx(0.0).margin(1e-12));
  CHECK(f.heading == Approx(0.0).margin(1e-12));
}

TEST_CASE("FeatureBuilder: an ego heading north sees the world rotated by -90 degrees") {
  v1::Scenario s;
  s.set_id("north");
  s.mutable_time()->set_dt_s(0.1);
  s.mutable_time()->set_num_steps(10);
  testing::AddStraightTrack(&s, "ego", v1::TRACK_TYPE_VEHICLE, 0.0, 0.0, 0.0, 5.0, 2.0);
  for (int k = 0; k < 10; ++k) {  // heading north at 2 m/s
    s.mutable_tracks(0)->set_heading(k, kPi / 2);
    s.mutable_tracks(0)->set_y(k, 0.2 * k);
    s.mutable_tracks(0)->set_vy(k, 2.0);
  }
  s.mutable_ego()->set_track_id("ego");
  s.mutable_ego()->set_length_m(5.0);
  s.mutable_ego()->set_width_m(2.0);
  // 10 m ahead (north), 10 m west = left, 5 m east = right, heading east at 3 m/s.
  testing::AddStraightTrack(&s, "ahead", v1::TRACK_TYPE_VEHICLE, 0.0, 10.0, 0.0);
  testing::AddStraightTrack(&s, "left", v1::TRACK_TYPE_PEDESTRIAN, -10.0, 0.0, 0.0, 0.5, 0.5);
  testing::AddStraightTrack(&s, "right", v1::TRACK_TYPE_CYCLIST, 3.5, 0.0, 3.0, 1.8, 0.6);  // x = 5 at step 5
  // Start at step 5 so that the ego has history: at step k it was 0.2 (5 - k) m behind.
  const auto m = Build(s, 5);
  const SimState st = StartState(*m);
  Obs o = Observe(*m, st);
  CheckWellFormed(o);
  const ObservationView v = o.view();
  REQUIRE(o.index.num_agents == 3);
  // Nearest first: right (5.1 m, track 3), ahead (9 m), left (10.05 m).
  CHECK(o.index.agent_track[0] == 3);
  CHECK(o.index.agent_track[1] == 1);
  CHECK(o.index.agent_track[2] == 2);
  auto pos = [&](int k) {
    const float* r = v.agent_history(k, kNow);
    return std::pair<double, double>{static_cast<double>(r[0] * kPos), static_cast<double>(r[1] * kPos)};
  };
  // The ego's box centre at step 5 is at y = 1.0: "ahead" is 9 m ahead.
  CHECK(pos(1).first == Approx(9.0).margin(1e-5));
  CHECK(pos(1).second == Approx(0.0).margin(1e-5));
  CHECK(pos(2).first == Approx(-1.0).margin(1e-5));
  CHECK(pos(2).second == Approx(10.0).margin(1e-5));
  CHECK(pos(0).first == Approx(-1.0).margin(1e-5));
  CHECK(pos(0).second == Approx(-5.0).margin(1e-5));
  // The cyclist heads east: -90 degrees relative, velocity to the right.
  const float* r = v.agent_history(0, kNow);
  CHECK(r[2] == Approx(0.0f).margin(1e-6));
  CHECK(r[3] == Approx(-1.0f));
  CHECK(r[4] == Approx(0.0f).margin(1e-6));
  CHECK(r[5] * kVel == Approx(-3.0));
  CHECK(v.agent_attr(0)[4] == 1.0f);  // cyclist
  CHECK(v.agent_attr(2)[3] == 1.0f);  // pedestrian
  // The ego's own past: straight behind, 0.2 m per step; its speed forward.
  for (int t = 0; t < kNow; ++t) {
    const int back = kNow - t;
    if (back > 5) {
      CHECK(v.ego_mask(t) == 0.0f);
      continue;
    }
    CHECK(v.ego_mask(t) == 1.0f);
    CHECK(v.ego_history(t)[0] * kPos == Approx(-0.2 * back).margin(1e-5));
    CHECK(v.ego_history(t)[1] * kPos == Approx(0.0).margin(1e-5));
    CHECK(v.ego_history(t)[4] * kVel == Approx(2.0));
  }
}

TEST_CASE("FeatureBuilder: K nearest agents by distance, ties by track index, static objects apart") {
  v1::Scenario s = testing::StraightRoad(500.0, 1, 15.0, 20, 100.0, 0.0);
  // 40 movers at 10 .. 49 m, alternately ahead and behind, plus a tie at 30 m
  // (three of them: ahead at x = 130, and beside at y = +-30), and one at 90 m.
  for (int i = 0; i < 40; ++i) {
    const double d = 10.0 + i;
    testing::AddStraightTrack(&s, "m" + std::to_string(i), v1::TRACK_TYPE_VEHICLE, i % 2 == 0 ? 100.0 + d : 100.0 - d,
                              0.0, 0.0);
  }
  testing::AddStraightTrack(&s, "tie_left", v1::TRACK_TYPE_VEHICLE, 100.0, 30.0, 0.0);
  testing::AddStraightTrack(&s, "tie_right", v1::TRACK_TYPE_VEHICLE, 100.0, -30.0, 0.0);
  testing::AddStraightTrack(&s, "far", v1::TRACK_TYPE_VEHICLE, 190.0, 0.0, 0.0);
  for (int i = 0; i < 20; ++i) {
    testing::AddStraightTrack(&s, "cone" + std::to_string(i), v1::TRACK_TYPE_STATIC, 102.0 + i, 5.0, 0.0, 0.5, 0.5);
  }
  const auto m = Build(s);
  // As a training sample of the logged ego, whose frame is exactly at (100, 0).
  FeatureBuilder builder;
  Obs o;
  std::vector<float> target(io::kTargetFloats);
  REQUIRE(builder.BuildTrainingSample(*m, 0, 0, o.view(), {target}, &o.index).ok());
  CheckWellFormed(o);
  REQUIRE(o.index.num_agents == io::kMaxAgents);
  const v1::Scenario& sc = m->scenario();
  auto dist = [&](int track) {
    return std::hypot(sc.tracks(track).x(0) - 100.0, sc.tracks(track).y(0));
  };
  for (int k = 1; k < io::kMaxAgents; ++k) {
    const int a = o.index.agent_track[static_cast<size_t>(k - 1)], b = o.index.agent_track[static_cast<size_t>(k)];
    CHECK((dist(a) < dist(b) || (dist(a) == dist(b) && a < b)));
  }
  // The first 20 movers (10 .. 29 m), then the three at 30 m in track order.
  for (int k = 0; k < 20; ++k) CHECK(o.index.agent_track[static_cast<size_t>(k)] == 1 + k);
  CHECK(o.index.agent_track[20] == 21);  // m20, ahead at x = 130
  CHECK(o.index.agent_track[21] == 41);  // tie_left
  CHECK(o.index.agent_track[22] == 42);  // tie_right
  CHECK(o.index.agent_track[31] == 30);  // m29 at 39 m is the 32nd
  // No cone among the movers; the 16 nearest cones as static objects, in order.
  REQUIRE(o.index.num_static == io::kMaxStatic);
  for (int k = 0; k < io::kMaxStatic; ++k) CHECK(o.index.static_track[static_cast<size_t>(k)] == 44 + k);
  const float* cone = o.view().static_object(0);
  CHECK(cone[0] * kPos == Approx(2.0).margin(1e-5));
  CHECK(cone[1] * kPos == Approx(5.0).margin(1e-5));
  CHECK(cone[4] * kSize == Approx(0.5));
}

TEST_CASE("FeatureBuilder: a lane straight ahead is resampled every 3 m from 9 m behind") {
  v1::Scenario s = testing::StraightRoad(500.0, 2, 15.0, 20, 100.0, 0.0);
  const auto m = Build(s);
  Obs o = Observe(*m, StartState(*m));
  CheckWellFormed(o);
  const ObservationView v = o.view();
  REQUIRE(o.index.num_lanes == 2);
  CHECK(m->map().LaneId(o.index.lane[0]) == "lane0");
  CHECK(m->map().LaneId(o.index.lane[1]) == "lane1");
  for (int p = 0; p < io::kLanePoints; ++p) {
    CHECK(v.lane_point_mask(0, p) == 1.0f);
    const float* q = v.lane_point(0, p);
    CHECK(q[0] * kPos == Approx(-io::kLaneBackM + io::kLaneSpacingM * p).margin(1e-4));
    CHECK(q[1] == Approx(0.0f).margin(1e-7));
    CHECK(q[2] == Approx(1.0f));
    CHECK(q[3] == Approx(0.0f).margin(1e-7));
    CHECK(v.lane_point(1, p)[1] * kPos == Approx(3.5).margin(1e-5));
  }
  const float* a0 = v.lane_attr(0);
  CHECK(a0[io::kLaneSpeedLimit] * kLimit == Approx(15.0));
  CHECK(a0[io::kLaneSpeedLimitKnown] == 1.0f);
  CHECK(a0[io::kLaneLightUnknown] == 1.0f);
  CHECK(a0[io::kLaneOnRoute] == 1.0f);  // the ego drives lane0
  CHECK(a0[io::kLaneInIntersection] == 0.0f);
  CHECK(v.lane_attr(1)[io::kLaneOnRoute] == 0.0f);

  SECTION("near the lane's end the window stops at the end point") {
    const auto m2 = Build(testing::StraightRoad(500.0, 1, 15.0, 20, 480.0, 0.0));
    Obs e = Observe(*m2, StartState(*m2));
    CheckWellFormed(e);
    const ObservationView w = e.view();
    // From s = 471: 471, 474, ..., 498, then the end at 500 (11 points).
    for (int p = 0; p < io::kLanePoints; ++p) CHECK(w.lane_point_mask(0, p) == (p <= 10 ? 1.0f : 0.0f));
    CHECK(w.lane_point(0, 9)[0] * kPos == Approx(18.0).margin(1e-4));
    CHECK(w.lane_point(0, 10)[0] * kPos == Approx(20.0).margin(1e-4));
  }
}

TEST_CASE("FeatureBuilder: a red light shows in its lane's feature at the current step") {
  v1::Scenario s = testing::StraightRoad(500.0, 2, 15.0, 40, 100.0, 0.0);
  v1::TrafficLight* light = s.add_traffic_lights();
  light->set_id("tl");
  light->add_lane_ids("lane0");
  for (int k = 0; k < 40; ++k) {
    light->add_states(k < 10 ? v1::SIGNAL_STATE_GO : (k < 20 ? v1::SIGNAL_STATE_CAUTION : v1::SIGNAL_STATE_STOP));
  }
  auto light_of = [&](int step) {
    const auto m = Build(s, step);
    Obs o = Observe(*m, StartState(*m));
    CheckWellFormed(o);
    REQUIRE(m->map().LaneId(o.index.lane[0]) == "lane0");
    CHECK(o.view().lane_attr(1)[io::kLaneLightUnknown] == 1.0f);  // lane1 has no light
    const float* a = o.view().lane_attr(0);
    for (int c : {io::kLaneLightUnknown, io::kLaneLightGreen, io::kLaneLightYellow, io::kLaneLightRed}) {
      if (a[c] == 1.0f) return c;
    }
    return -1;
  };
  CHECK(light_of(5) == io::kLaneLightGreen);
  CHECK(light_of(15) == io::kLaneLightYellow);
  CHECK(light_of(25) == io::kLaneLightRed);
}

TEST_CASE("FeatureBuilder: the simulated past comes from the StateHistory") {
  v1::Scenario s = testing::StraightRoad(500.0, 1, 15.0, 60, 100.0, 0.0);
  testing::AddStraightTrack(&s, "car", v1::TRACK_TYPE_VEHICLE, 120.0, 0.0, 5.0);
  const auto m = Build(s, 2);
  SimState st = StartState(*m);
  StateHistory history;
  history.Reset(*m);
  const LogAgents agents;
  // 25 simulated steps in which the car drifts 0.1 m left per step (as a
  // reactive agent might): the features must show the drift, not the log.
  for (int k = 0; k < 25; ++k) {
    history.Push(*m, st);
    agents.Step(*m, &st);
    ++st.step;
    st.y[0] = 0.1 * (k + 1);
  }
  REQUIRE(st.step == 27);
  Obs with = Observe(*m, st, kEgoActor, &history);
  Obs without = Observe(*m, st);
  CheckWellFormed(with);
  CheckWellFormed(without);
  const ObservationView v = with.view();
  for (int t = 0; t <= kNow; ++t) {
    const int step = 27 - (kNow - t);
    CHECK(v.agent_mask(0, t) == 1.0f);
    CHECK(v.agent_history(0, t)[1] * kPos == Approx(0.1 * (step - 2)).margin(1e-5));
    CHECK(v.ego_mask(t) == 1.0f);
    // Without a history the simulated past is masked.
    CHECK(without.view().agent_mask(0, t) == (t == kNow ? 1.0f : 0.0f));
  }
  // Pushing "now" before building changes nothing (the ring holds 21 steps).
  history.Push(*m, st);
  Obs pushed = Observe(*m, st, kEgoActor, &history);
  CHECK(std::memcmp(with.buf.data(), pushed.buf.data(), with.buf.size() * sizeof(float)) == 0);
  // Steps never pushed (before the start) or pushed out are not held.
  Kinematics k;
  CHECK(!history.Agent(1, 0, &k));
  CHECK(history.Agent(26, 0, &k));
  CHECK(k.y == Approx(2.4));
  CHECK(!history.Agent(5, 0, &k));  // pushed out of the ring
}

// Builds every training sample of `file` at `now` (and, with a logged ego,
// its observation in simulation) from the scenario and from a copy whose
// future is changed beyond recognition: every track's and light's state after
// now, except the sampled vehicle's own (its route flags, like the ego's route
// in the simulator, come from its whole log). The observations must be the
// same bytes.
void CheckNoFutureLeak(const std::filesystem::path& file) {
  INFO(file.string());
  Result<std::vector<v1::Scenario>> r = ReadScenarios(file);
  REQUIRE(r.ok());
  const v1::Scenario original = r->front();
  const int now = std::min(30, original.time().num_steps() - 2);
  const bool logged_ego = !original.ego().track_id().empty();
  const int start = logged_ego ? now : -1;  // a planning problem starts where it is posed
  auto perturbed = [&](int keep_track) {
    v1::Scenario s = original;
    for (int j = 0; j < s.tracks_size(); ++j) {
      if (j == keep_track) continue;
      v1::Track* t = s.mutable_tracks(j);
      for (int k = now + 1; k < t->valid_size(); ++k) {
        t->set_x(k, t->x(k) + 7.0 + k);
        t->set_y(k, t->y(k) - 3.0);
        t->set_heading(k, t->heading(k) + 1.0);
        t->set_vx(k, 40.0);
        t->set_valid(k, k % 3 != 0);
      }
    }
    for (int l = 0; l < s.traffic_lights_size(); ++l) {
      for (int k = now + 1; k < s.traffic_lights(l).states_size(); ++k) {
        s.mutable_traffic_lights(l)->set_states(k, v1::SIGNAL_STATE_STOP);
      }
    }
    return s;
  };
  const auto m0 = Build(original, start);
  std::vector<int> tracks;
  FeatureBuilder::TrainingTracks(*m0, now, &tracks);
  REQUIRE(!tracks.empty());
  FeatureBuilder builder;
  for (int track : tracks) {
    const auto m1 = Build(perturbed(track), start);
    Obs a, b;
    std::vector<float> ta(io::kTargetFloats), tb(io::kTargetFloats);
    REQUIRE(builder.BuildTrainingSample(*m0, now, track, a.view(), {ta}, &a.index).ok());
    REQUIRE(builder.BuildTrainingSample(*m1, now, track, b.view(), {tb}, &b.index).ok());
    CheckWellFormed(a);
    CHECK(std::memcmp(a.buf.data(), b.buf.data(), a.buf.size() * sizeof(float)) == 0);
    CHECK(std::memcmp(ta.data(), tb.data(), ta.size() * sizeof(float)) == 0);  // its own future kept
  }
  if (logged_ego) {  // in simulation: the ego's observation at the start step
    const auto m1 = Build(perturbed(m0->ego_track_index()), start);
    Obs a = Observe(*m0, StartState(*m0)), b = Observe(*m1, StartState(*m1));
    CHECK(std::memcmp(a.buf.data(), b.buf.data(), a.buf.size() * sizeof(float)) == 0);
  }
  // Sanity: the target does read the future.
  const auto m2 = Build(perturbed(-1), start);
  Obs c, d;
  std::vector<float> tc(io::kTargetFloats), td(io::kTargetFloats);
  REQUIRE(builder.BuildTrainingSample(*m0, now, tracks.back(), c.view(), {tc}).ok());
  REQUIRE(builder.BuildTrainingSample(*m2, now, tracks.back(), d.view(), {td}).ok());
  CHECK(std::memcmp(tc.data(), td.data(), tc.size() * sizeof(float)) != 0);
}

TEST_CASE("FeatureBuilder: the observation never reads the log after now") {
  for (const char* file : {"generated/cut-in-1-000.pb", "generated/red-light-1-000.pb",
                           "generated/pedestrian-crossing-1-000.pb", "generated/dense-lane-change-1-000.pb",
                           "commonroad/USA_Lanker-1_1_T-1.xml", "commonroad/USA_US101-15_1_T-1.xml"}) {
    CheckNoFutureLeak(testing::SourceDir() / "suites/default" / file);
  }
}

TEST_CASE("FeatureBuilder: the training target is the logged future in the vehicle's frame") {
  v1::Scenario s = testing::StraightRoad(2000.0, 1, 15.0, 100, 100.0, 0.0);
  v1::Track* car = testing::AddStraightTrack(&s, "car", v1::TRACK_TYPE_VEHICLE, 50.0, 0.0, 10.0);
  for (int k = 60; k < 100; ++k) car->set_valid(k, false);  // the log ends at step 59
  const auto m = Build(s);
  FeatureBuilder builder;
  std::vector<int> tracks;
  FeatureBuilder::TrainingTracks(*m, 10, &tracks);
  CHECK(tracks == std::vector<int>{0, 1});  // the logged ego and the car
  Obs o;
  std::vector<float> target(io::kTargetFloats, -7.0f);
  REQUIRE(builder.BuildTrainingSample(*m, 10, 1, o.view(), {target}, &o.index).ok());
  CheckWellFormed(o);
  const TargetView t{target};
  for (int h = 0; h < io::kFutureSteps; ++h) {
    const int step = 11 + h;
    if (step <= 59) {
      CHECK(t.mask(h) == 1.0f);
      CHECK(t.pose(h)[0] == Approx(1.0 * (h + 1)));
      CHECK(t.pose(h)[1] == 0.0f);
      CHECK(t.pose(h)[2] == 0.0f);
    } else {
      CHECK(t.mask(h) == 0.0f);
      CHECK(t.pose(h)[0] == 0.0f);
    }
  }
  // The car's own history from the log; the ego is among the others.
  CHECK(o.view().ego_mask(0) == 0.0f);  // step -10
  CHECK(o.view().ego_mask(10) == 1.0f);  // step 0
  CHECK(o.view().ego_history(10)[0] * kPos == Approx(-10.0).margin(1e-5));
  REQUIRE(o.index.num_agents == 1);
  CHECK(o.index.agent_entity[0] == kEgoActor);
  CHECK(o.index.agent_track[0] == 0);
  // Errors name the problem.
  CHECK(builder.BuildTrainingSample(*m, 70, 1, o.view(), {target}).error().message ==
        "straight: track 'car' is not a vehicle valid at step 70");
  CHECK(!builder.BuildTrainingSample(*m, 10, 9, o.view(), {target}).ok());
}

TEST_CASE("FeatureBuilder: a model's output decodes into a world-frame Trajectory") {
  const ActorFrame frame = ActorFrame::At(10.0, 5.0, kPi / 2);
  std::vector<float> poses(io::kFutureSteps * io::kPoseDim);
  for (int k = 0; k < io::kFutureSteps; ++k) {
    poses[static_cast<size_t>(3 * k)] = static_cast<float>(k + 1);  // 1 m per step forward
    poses[static_cast<size_t>(3 * k + 1)] = 0.5f;                   // 0.5 m left
    poses[static_cast<size_t>(3 * k + 2)] = 0.25f;
  }
  Trajectory traj;
  REQUIRE(DecodeTrajectory(frame, poses, 0.1, &traj).ok());
  REQUIRE(traj.poses.size() == static_cast<size_t>(kMinPlanHorizonSteps + 1));
  CHECK(traj.poses[0].x == 10.0);
  CHECK(traj.poses[0].y == 5.0);
  CHECK(traj.poses[5].x == Approx(9.5));
  CHECK(traj.poses[5].y == Approx(10.0));
  CHECK(traj.poses[5].heading == Approx(kPi / 2 + 0.25));
  poses[7] = std::nanf("");
  CHECK(DecodeTrajectory(frame, poses, 0.1, &traj).error().message == "model output: pose 2 value 1 is nan");
  poses.pop_back();
  CHECK(!DecodeTrajectory(frame, poses, 0.1, &traj).ok());
  const std::vector<float> scores = {0.1f, 0.7f, 0.2f, 0.7f};
  CHECK(BestMode(scores) == 1);
}

TEST_CASE("RemoveBackingUp: a plan waits where it would back up and goes on when its path is ahead again") {
  // Heading pi/2 (north): 1 m north; back to 0.5 (with 0.2 m east); 0.8; 1.5 north.
  Trajectory plan;
  plan.dt = 0.1;
  plan.poses = {{0.0, 0.0, kPi / 2}, {0.0, 1.0, kPi / 2}, {0.2, 0.5, kPi / 2}, {0.1, 0.8, kPi / 2}, {0.0, 1.5, kPi / 2}};
  const std::vector<Pose2> before = plan.poses;
  RemoveBackingUp(&plan);
  // Poses 2 and 3 are behind pose 1: they wait at pose 1.
  for (size_t k : {2u, 3u}) {
    CHECK(plan.poses[k].x == before[1].x);
    CHECK(plan.poses[k].y == before[1].y);
  }
  // Pose 4 is ahead again: as planned (the plan never goes farther than planned).
  for (size_t k : {0u, 1u, 4u}) {
    CHECK(plan.poses[k].x == before[k].x);
    CHECK(plan.poses[k].y == before[k].y);
  }
  for (const Pose2& p : plan.poses) CHECK(p.heading == kPi / 2);
  // A plan that only moves forward is left as it is, bit for bit.
  Trajectory forward;
  forward.dt = 0.1;
  forward.poses = {{1.0, 2.0, 0.3}, {1.9, 2.3, 0.35}, {2.8, 2.7, 0.4}};
  const std::vector<Pose2> ahead = forward.poses;
  RemoveBackingUp(&forward);
  for (size_t k = 0; k < ahead.size(); ++k) {
    CHECK(forward.poses[k].x == ahead[k].x);
    CHECK(forward.poses[k].y == ahead[k].y);
  }
}

// Every real scenario: well-formed, finite and byte-identical when built again
// (by the same builder and a fresh one), for the ego at the start and for
// every training sample a few steps in.
void CheckRealModel(const ScenarioModel& m) {
  INFO(m.id());
  FeatureBuilder builder;
  const SimState st = StartState(m);
  Obs a = Observe(m, st);
  CheckWellFormed(a);
  Obs b;
  REQUIRE(builder.BuildObservation(m, st, kEgoActor, nullptr, b.view(), &b.index).ok());
  REQUIRE(builder.BuildObservation(m, st, kEgoActor, nullptr, b.view(), &b.index).ok());
  CHECK(std::memcmp(a.buf.data(), b.buf.data(), a.buf.size() * sizeof(float)) == 0);
  // Every active vehicle agent as the actor.
  for (int i = 0; i < st.num_agents(); ++i) {
    if (!st.active(i) || m.agent_type(i) != v1::TRACK_TYPE_VEHICLE) continue;
    Obs o;
    REQUIRE(builder.BuildObservation(m, st, i, nullptr, o.view(), &o.index).ok());
    CheckWellFormed(o);
  }
  std::vector<int> tracks;
  const int step = std::min(m.start_step() + 10, m.num_log_steps() - 1);
  FeatureBuilder::TrainingTracks(m, step, &tracks);
  for (int track : tracks) {
    Obs s1, s2;
    std::vector<float> t1(io::kTargetFloats), t2(io::kTargetFloats, 3.0f);
    REQUIRE(builder.BuildTrainingSample(m, step, track, s1.view(), {t1}, &s1.index).ok());
    FeatureBuilder fresh;
    REQUIRE(fresh.BuildTrainingSample(m, step, track, s2.view(), {t2}, &s2.index).ok());
    CheckWellFormed(s1);
    CHECK(std::memcmp(s1.buf.data(), s2.buf.data(), s1.buf.size() * sizeof(float)) == 0);
    CHECK(std::memcmp(t1.data(), t2.data(), t1.size() * sizeof(float)) == 0);
    for (float x : t1) REQUIRE(std::isfinite(x));
  }
}

TEST_CASE("FeatureBuilder: the embedded default suite gives well-formed, deterministic features") {
  std::vector<std::filesystem::path> files;
  for (const char* dir : {"suites/default/commonroad", "suites/default/generated"}) {
    for (const auto& e : std::filesystem::directory_iterator(testing::SourceDir() / dir)) {
      const std::string ext = e.path().extension().string();
      if (ext == ".xml" || ext == ".pb") files.push_back(e.path());
    }
  }
  std::sort(files.begin(), files.end());
  REQUIRE(files.size() >= 100);
  for (const std::filesystem::path& f : files) {
    Result<std::vector<v1::Scenario>> r = ReadScenarios(f);
    REQUIRE(r.ok());
    CheckRealModel(*Build(std::move(r->front())));
  }
}

// Allocations while building, for the ego and every vehicle, in simulation
// (with a history) and as training samples, after one warm-up round.
long long AllocationsWhenWarm(const ScenarioModel& m) {
  FeatureBuilder builder;
  SimState st = StartState(m);
  StateHistory history;
  history.Reset(m);
  history.Push(m, st);
  std::vector<float> obs(io::kObservationFloats), target(io::kTargetFloats);
  std::vector<int> tracks;
  FeatureBuilder::TrainingTracks(m, st.step, &tracks);
  ObservationIndex index;
  auto round = [&] {
    bool ok = builder.BuildObservation(m, st, kEgoActor, &history, {obs}, &index).ok();
    for (int i = 0; i < st.num_agents(); ++i) {
      if (st.active(i)) ok = builder.BuildObservation(m, st, i, &history, {obs}, &index).ok() && ok;
    }
    for (int track : tracks) ok = builder.BuildTrainingSample(m, st.step, track, {obs}, {target}, &index).ok() && ok;
    return ok;
  };
  REQUIRE(round());
  const long long before = g_heap_allocations.load();
  const bool ok = round() && round();
  const long long after = g_heap_allocations.load();
  REQUIRE(ok);
  return after - before;
}

TEST_CASE("FeatureBuilder: no heap allocation per call once warm") {
  {  // the counter sees allocations
    const long long before = g_heap_allocations.load();
    auto probe = std::make_unique<std::vector<float>>(io::kObservationFloats);
    CHECK(g_heap_allocations.load() - before == 2);
  }
  Result<std::vector<v1::Scenario>> r =
      ReadScenarios(testing::SourceDir() / "suites/default/commonroad/USA_Lanker-1_1_T-1.xml");
  REQUIRE(r.ok());
  CHECK(AllocationsWhenWarm(*Build(std::move(r->front()))) == 0);
  TARMAC_NEEDS_SHARED_DATA();
  for (const char* scene : {"scene-0061", "scene-0103"}) {
    INFO(scene);
    Result<std::vector<v1::Scenario>> n = ReadScenarios(
        testing::DataPath(std::string("nuscenes-mini-scenarionet/sd_nuscenes_v1.0-mini_") + scene + ".pkl"));
    REQUIRE(n.ok());
    CHECK(AllocationsWhenWarm(*Build(std::move(n->front()), 20)) == 0);
  }
}

TEST_CASE("FeatureBuilder: the real scenarios of ../shared/data give well-formed, deterministic features") {
  TARMAC_NEEDS_SHARED_DATA();
  const auto models = testing::LoadRealModels();
  REQUIRE(models.size() >= 30);
  for (const auto& m : models) CheckRealModel(*m);
}

TEST_CASE("FeatureBuilder: simulation and training see the same observation of a logged ego") {
  TARMAC_NEEDS_SHARED_DATA();
  ModelOptions options;
  options.start_step = 20;  // a full history from the log
  const auto models = testing::LoadLoggedEgoModels(options);
  REQUIRE(models.size() >= 7);
  FeatureBuilder builder;
  for (const auto& m : models) {
    INFO(m->id());
    Obs sim = Observe(*m, StartState(*m));
    Obs train;
    std::vector<float> target(io::kTargetFloats);
    REQUIRE(builder.BuildTrainingSample(*m, 20, m->ego_track_index(), train.view(), {target}, &train.index).ok());
    CHECK(sim.index.agent_track == train.index.agent_track);
    CHECK(sim.index.lane == train.index.lane);
    CHECK(sim.index.static_track == train.index.static_track);
    // The same numbers up to the rear-axle round trip of the ego's pose,
    // except the ego's lateral velocity now (the bicycle model has none).
    const size_t skip = io::kEgoHistory.offset + static_cast<size_t>(kNow * io::kStateDim + 5);
    double worst = 0.0;
    for (size_t i = 0; i < sim.buf.size(); ++i) {
      if (i != skip) worst = std::max(worst, static_cast<double>(std::abs(sim.buf[i] - train.buf[i])));
    }
    CHECK(worst < 1e-5);
  }
}

}  // namespace
}  // namespace tarmac
