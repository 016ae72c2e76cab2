// Perturbations: each op on every real scenario gives a valid scenario, the
// same bytes for the same seed, and does exactly what it says.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <numbers>

#include "authoring/perturb.h"
#include "scenarios/scenario_io.h"
#include "scenarios/validate.h"
#include "sim/geometry.h"
#include "tests/support/test_data.h"

namespace tarmac {
namespace {

std::vector<v1::Scenario> RealScenarios() {
  std::vector<std::filesystem::path> files;
  for (const char* dir : {"commonroad-ngsim", "nuscenes-mini-scenarionet"}) {
    for (const auto& e : std::filesystem::recursive_directory_iterator(testing::DataPath(dir))) {
      const std::string ext = e.path().extension().string();
      if (ext == ".xml" || ext == ".pkl") files.push_back(e.path());
    }
  }
  std::sort(files.begin(), files.end());
  std::vector<v1::Scenario> out;
  for (const auto& f : files) {
    Result<std::vector<v1::Scenario>> r = ReadScenarios(f);
    if (!r.ok()) FAIL(r.error().message);
    for (v1::Scenario& s : *r) out.push_back(std::move(s));
  }
  return out;
}

v1::Scenario FirstNgsim() {
  Result<std::vector<v1::Scenario>> r =
      ReadScenarios(testing::SourceDir() / "suites/default/commonroad/USA_US101-3_3_T-1.xml");
  REQUIRE(r.ok());
  return (*r)[0];
}

const v1::Track* Find(const v1::Scenario& s, const std::string& id) {
  for (const v1::Track& t : s.tracks()) {
    if (t.id() == id) return &t;
  }
  return nullptr;
}

PerturbOptions Op(const std::string& op, uint64_t seed) {
  PerturbOptions o;
  o.op = op;
  o.seed = seed;
  return o;
}

TEST_CASE("Every op on every real scenario gives a valid scenario, deterministically", "[authoring][data]") {
  TARMAC_NEEDS_SHARED_DATA();
  const std::vector<v1::Scenario> real = RealScenarios();
  REQUIRE(real.size() == 32);
  for (const v1::Scenario& s : real) {
    for (const std::string& op : PerturbOps()) {
      for (uint64_t seed : {uint64_t{1}, uint64_t{2}}) {
        INFO(s.id() << " " << op << " seed " << seed);
        Result<v1::Scenario> a = Perturb(s, Op(op, seed));
        REQUIRE(a.ok());
        CHECK(CountErrors(ValidateScenario(*a)) == 0);
        CHECK(a->id() == s.id() + "~" + op + "-" + std::to_string(seed));
        Result<v1::Scenario> b = Perturb(s, Op(op, seed));
        REQUIRE(b.ok());
        CHECK(SerializeBinary(*a) == SerializeBinary(*b));
        if (op != "mirror" && op != "remove-agent") CHECK(SerializeBinary(*a) != SerializeBinary(s));
      }
    }
  }
}

// The scenario, and the op applied to its fourth track with `amount`.
struct OneTrack {
  v1::Scenario before, after;
  std::string id;
};
OneTrack ActOnFourthTrack(const std::string& op, double amount) {
  OneTrack t{FirstNgsim(), {}, ""};
  PerturbOptions o = Op(op, 1);
  o.agent = t.id = t.before.tracks(3).id();
  o.amount = amount;
  Result<v1::Scenario> r = Perturb(t.before, o);
  REQUIRE(r.ok());
  t.after = std::move(*r);
  return t;
}

TEST_CASE("shift-time moves one track by whole steps", "[authoring]") {
  const OneTrack t = ActOnFourthTrack("shift-time", 0.5);
  const v1::Scenario& s = t.before;
  const v1::Track& before = *Find(t.before, t.id);
  const v1::Track& after = *Find(t.after, t.id);
  CHECK(after.scripted());
  for (int k = 5; k < s.time().num_steps(); ++k) {
    CHECK(after.valid(k) == before.valid(k - 5));
    if (after.valid(k)) CHECK(after.x(k) == before.x(k - 5));
  }
  for (int k = 0; k < 5; ++k) CHECK_FALSE(after.valid(k));
}

TEST_CASE("scale-speed keeps the state now and the path, scales the speed", "[authoring]") {
  const OneTrack t = ActOnFourthTrack("scale-speed", 0.5);
  const v1::Scenario& s = t.before;
  const v1::Track& before = *Find(t.before, t.id);
  const v1::Track& after = *Find(t.after, t.id);
  CHECK(after.scripted());
  const int now = s.time().current_step();
  CHECK(after.x(now) == before.x(now));
  CHECK(after.vx(now) == Approx(0.5 * before.vx(now)));
  // Two steps later it is where it was one step later.
  CHECK(after.x(now + 2) == Approx(before.x(now + 1)));
  CHECK(after.y(now + 2) == Approx(before.y(now + 1)));
  // Half as fast: the log runs out at half the speed's pace, nothing invented.
  CHECK(after.valid(s.time().num_steps() - 1) == before.valid(s.time().num_steps() - 1));
}

TEST_CASE("inject-agent puts a stopped car or a jaywalker on the ego's path, clear of everyone now", "[authoring]") {
  const v1::Scenario s = FirstNgsim();
  const int now = s.time().current_step();
  for (const char* kind : {"stopped-vehicle", "jaywalker"}) {
    INFO(kind);
    PerturbOptions o = Op("inject-agent", 4);
    o.kind = kind;
    Result<v1::Scenario> r = Perturb(s, o);
    REQUIRE(r.ok());
    REQUIRE(r->tracks_size() == s.tracks_size() + 1);
    const v1::Track& t = r->tracks(r->tracks_size() - 1);
    CHECK(t.id() == std::string("injected-") + kind);
    CHECK(t.type() == (std::string(kind) == "jaywalker" ? v1::TRACK_TYPE_PEDESTRIAN : v1::TRACK_TYPE_VEHICLE));
    const Box box{t.x(now), t.y(now), t.heading(now), t.length_m(), t.width_m()};
    for (int i = 0; i + 1 < r->tracks_size(); ++i) {
      const v1::Track& other = r->tracks(i);
      if (!other.valid(now)) continue;
      CHECK_FALSE(BoxesOverlap(box, {other.x(now), other.y(now), other.heading(now), other.length_m(), other.width_m()}));
    }
    if (std::string(kind) == "jaywalker") {
      // It walks at a steady walking pace at some point.
      double fastest = 0.0;
      for (int k = 0; k < t.vx_size(); ++k) fastest = std::max(fastest, std::hypot(t.vx(k), t.vy(k)));
      CHECK(fastest >= 1.2);
      CHECK(fastest <= 1.8);
    } else {
      for (int k = 0; k < t.vx_size(); ++k) CHECK(t.vx(k) == 0.0);
    }
    CHECK(r->provenance().notes(r->provenance().notes_size() - 1).key() == "perturbed (inject-agent --seed 4)");
  }
}

TEST_CASE("remove-agent removes exactly one track", "[authoring]") {
  const v1::Scenario s = FirstNgsim();
  PerturbOptions o = Op("remove-agent", 9);
  o.agent = s.tracks(2).id();
  Result<v1::Scenario> r = Perturb(s, o);
  REQUIRE(r.ok());
  CHECK(r->tracks_size() == s.tracks_size() - 1);
  CHECK(Find(*r, o.agent) == nullptr);
}

TEST_CASE("mirror twice gives back the scene", "[authoring]") {
  const v1::Scenario s = FirstNgsim();
  Result<v1::Scenario> once = Perturb(s, Op("mirror", 0));
  REQUIRE(once.ok());
  Result<v1::Scenario> twice = Perturb(*once, Op("mirror", 0));
  REQUIRE(twice.ok());
  const int now = s.time().current_step();
  CHECK(once->tracks(1).y(now) == -s.tracks(1).y(now));
  CHECK(std::remainder(once->tracks(1).heading(now) + s.tracks(1).heading(now), 2 * std::numbers::pi) ==
        Approx(0.0).margin(1e-12));
  for (int i = 0; i < s.tracks_size(); ++i) {
    for (int k = 0; k < s.time().num_steps(); ++k) {
      CHECK(twice->tracks(i).y(k) == s.tracks(i).y(k));
      CHECK(std::remainder(twice->tracks(i).heading(k) - s.tracks(i).heading(k), 2 * std::numbers::pi) ==
            Approx(0.0).margin(1e-12));
    }
  }
  CHECK(twice->map().SerializeAsString() == s.map().SerializeAsString());
  // Left and right trade places once.
  const v1::Lane& lane = s.map().lanes(0);
  const v1::Lane& mirrored = once->map().lanes(0);
  CHECK(mirrored.left_neighbors_size() == lane.right_neighbors_size());
  CHECK(mirrored.left_boundary().x_size() == lane.right_boundary().x_size());
}

TEST_CASE("Perturb refuses what it cannot do, naming the reason", "[authoring]") {
  const v1::Scenario s = FirstNgsim();
  CHECK(Perturb(s, Op("rotate", 1)).error().message ==
        "--op 'rotate' is not one of: shift-time, scale-speed, inject-agent, remove-agent, mirror");
  PerturbOptions o = Op("remove-agent", 1);
  o.agent = "nobody";
  CHECK(Perturb(s, o).error().message.find("--agent 'nobody': no such track") != std::string::npos);
  o = Op("scale-speed", 1);
  o.amount = -2;
  CHECK_FALSE(Perturb(s, o).ok());
  o = Op("inject-agent", 1);
  o.kind = "tank";
  CHECK(Perturb(s, o).error().message == "--kind 'tank' is not one of: stopped-vehicle, jaywalker");
}

}  // namespace
}  // namespace tarmac
