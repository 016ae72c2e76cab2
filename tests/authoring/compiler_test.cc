// The ScenarioSpec compiler: every template builds; errors point at the line
// and name the field; authored nonsense is refused; scripted behaviours show
// up in the compiled log; compiled scenarios run with log and reactive agents.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <string>

#include "agents/registry.h"
#include "authoring/compiler.h"
#include "authoring/families.h"
#include "authoring/plausibility.h"
#include "authoring/templates.h"
#include "policies/registry.h"
#include "scenarios/scenario_io.h"
#include "scenarios/validate.h"
#include "sim/runner.h"
#include "sim/scenario_model.h"
#include "sim/thread_pool.h"

namespace tarmac {
namespace {

Result<v1::Scenario> Compile(const std::string& text, const std::string& file = "test.spec") {
  SpecLocations loc(file);
  Result<v1::ScenarioSpec> spec = ParseSpec(text, &loc);
  if (!spec.ok()) return spec.error();
  return CompileSpec(*spec, &loc);
}

std::string TemplateText(const std::string& name) {
  for (const SpecTemplate& t : SpecTemplates()) {
    if (name == t.name) return t.text;
  }
  FAIL("no template " << name);
  return "";
}

const v1::Track& TrackById(const v1::Scenario& s, const std::string& id) {
  for (const v1::Track& t : s.tracks()) {
    if (t.id() == id) return t;
  }
  FAIL("no track " << id);
  return s.tracks(0);
}

double Speed(const v1::Track& t, int k) { return std::hypot(t.vx(k), t.vy(k)); }

// A two-lane road and an ego; `agents` is appended (one agent per line).
std::string Straight(const std::string& agents) {
  return "id: \"t\"\n"
         "road { straight { length_m: 300 lanes: 2 speed_limit_mps: 15 } }\n"
         "ego { start { lane: \"lane0\" s_m: 30 } speed_mps: 10 route: \"lane0\" goal_radius_m: 5 }\n" +
         agents;
}

TEST_CASE("Every template builds into a valid, plausible scenario, one per family", "[authoring]") {
  std::vector<std::string> names;
  for (const SpecTemplate& t : SpecTemplates()) {
    INFO(t.name);
    names.push_back(t.name);
    Result<v1::Scenario> s = Compile(t.text, std::string(t.name) + ".spec");
    REQUIRE(s.ok());
    CHECK(CountErrors(ValidateScenario(*s)) == 0);
    CHECK(CheckAuthoredScenario(*s).empty());
    CHECK(IsAuthored(*s));
    CHECK(s->tracks_size() >= 2);
    CHECK(s->goal().regions_size() == 1);
  }
  std::vector<std::string> families = FamilyNames();
  std::sort(families.begin(), families.end());
  CHECK(names == families);
}

TEST_CASE("Spec errors name the file, line, column and field", "[authoring]") {
  SECTION("syntax") {
    Result<v1::Scenario> s = Compile("id: \"x\"\nroad {\n  straight { lanes: two }\n}\n", "bad.spec");
    REQUIRE_FALSE(s.ok());
    CHECK(s.error().message.rfind("bad.spec:3:", 0) == 0);
  }
  SECTION("unknown field") {
    Result<v1::Scenario> s = Compile("id: \"x\"\nspeed: 3\n", "bad.spec");
    REQUIRE_FALSE(s.ok());
    CHECK(s.error().message.rfind("bad.spec:2:", 0) == 0);
    CHECK(s.error().message.find("speed") != std::string::npos);
  }
  SECTION("a lane that does not exist") {
    const std::string text = Straight("agents {\n  id: \"a\"\n  start { lane: \"lane7\" s_m: 60 }\n}\n");
    Result<v1::Scenario> s = Compile(text, "bad.spec");
    REQUIRE_FALSE(s.ok());
    INFO(s.error().message);
    CHECK(s.error().message.rfind("bad.spec:6:", 0) == 0);
    CHECK(s.error().message.find("agents[0].start.lane: no lane 'lane7' (lanes: lane0, lane1)") != std::string::npos);
  }
  SECTION("a position past the lane's end") {
    Result<v1::Scenario> s = Compile(Straight("agents { id: \"a\" start { lane: \"lane1\" s_m: 900 } }\n"));
    REQUIRE_FALSE(s.ok());
    CHECK(s.error().message.find("agents[0].start.s_m: 900 m is outside lane 'lane1'") != std::string::npos);
  }
}

TEST_CASE("The compiler refuses authored nonsense", "[authoring]") {
  SECTION("agents starting in collision") {
    Result<v1::Scenario> s = Compile(Straight("agents { id: \"a\" start { lane: \"lane0\" s_m: 60 } }\n"
                                              "agents { id: \"b\" start { lane: \"lane0\" s_m: 62 } }\n"));
    REQUIRE_FALSE(s.ok());
    CHECK(s.error().message.find("starts in collision with agents[0] ('a')") != std::string::npos);
  }
  SECTION("an agent off the road") {
    Result<v1::Scenario> s = Compile(Straight("agents { id: \"a\" start { lane: \"lane0\" s_m: 60 d_m: -9 } }\n"));
    REQUIRE_FALSE(s.ok());
    CHECK(s.error().message.find("starts off the road") != std::string::npos);
  }
  SECTION("a goal the route cannot reach") {
    Result<v1::Scenario> s = Compile(
        "id: \"t\"\nroad { intersection { lanes: 1 } }\n"
        "ego { start { lane: \"S_in0\" s_m: 20 } speed_mps: 5 route: \"S_in0\" route: \"E_in0\" goal_radius_m: 5 }\n");
    REQUIRE_FALSE(s.ok());
    INFO(s.error().message);
    CHECK(s.error().message.find("cannot be reached") != std::string::npos);
  }
  SECTION("a trigger that never fires") {
    Result<v1::Scenario> s = Compile(Straight(
        "agents { id: \"a\" start { lane: \"lane1\" s_m: 80 } speed_mps: 10\n"
        "  triggers { when { time_s: 30 } then { brake { decel_mps2: 3 } } } }\n"));
    REQUIRE_FALSE(s.ok());
    CHECK(s.error().message.find("agents[0].triggers[0].when: never fires") != std::string::npos);
  }
  SECTION("a logged ego that crashes") {
    Result<v1::Scenario> s = Compile(Straight("agents { id: \"a\" start { lane: \"lane0\" s_m: 36 } stopped {} }\n"));
    REQUIRE_FALSE(s.ok());
    CHECK(s.error().message.find("the ego's log collides with 'a'") != std::string::npos);
  }
}

TEST_CASE("Validate's authored checks catch hand-edited scenarios", "[authoring]") {
  Result<v1::Scenario> s = Compile(TemplateText("stopped-vehicle"));
  REQUIRE(s.ok());
  const int now = s->time().current_step();
  v1::Scenario moved = *s;
  // Park the other car on top of the ego, and another far off the road.
  v1::Track& traffic = *moved.mutable_tracks(2);
  traffic.set_x(now, moved.tracks(0).x(now));
  traffic.set_y(now, moved.tracks(0).y(now));
  v1::Track& stopped = *moved.mutable_tracks(1);
  stopped.set_y(now, 40.0);
  const std::vector<Problem> problems = CheckAuthoredScenario(moved);
  REQUIRE(problems.size() == 2);
  CHECK(problems[0].what == "starts in collision with track 'traffic0'");
  CHECK(problems[1].where == "track 'stopped' step 10");
  CHECK(problems[1].what.find("off the road") != std::string::npos);
}

TEST_CASE("Scripted behaviours are in the compiled log", "[authoring]") {
  SECTION("the hard-braking lead brakes at 6 m/s^2 from t = 2 s") {
    Result<v1::Scenario> s = Compile(TemplateText("hard-braking-lead"));
    REQUIRE(s.ok());
    const v1::Track& lead = TrackById(*s, "lead");
    const int now = s->time().current_step();
    CHECK(Speed(lead, now + 19) == Approx(16.0).margin(0.5));
    // One second of braking later, 6 m/s slower.
    CHECK(Speed(lead, now + 31) - Speed(lead, now + 21) == Approx(-6.0).margin(0.2));
    CHECK(Speed(lead, s->time().num_steps() - 1) == Approx(0.0).margin(0.01));
  }
  SECTION("the cutter moves into the ego's lane") {
    Result<v1::Scenario> s = Compile(TemplateText("cut-in"));
    REQUIRE(s.ok());
    const v1::Track& cutter = TrackById(*s, "cutter");
    const int last = s->time().num_steps() - 1;
    CHECK(cutter.y(s->time().current_step()) == Approx(3.5).margin(0.01));
    CHECK(cutter.y(last) == Approx(0.0).margin(0.05));
    // It brakes after settling in: slower at the end than at the start.
    CHECK(Speed(cutter, last) < Speed(cutter, s->time().current_step()) - 3.0);
  }
  SECTION("the pedestrian waits, then walks") {
    Result<v1::Scenario> s = Compile(TemplateText("pedestrian-crossing"));
    REQUIRE(s.ok());
    const v1::Track& p = TrackById(*s, "pedestrian");
    CHECK(p.type() == v1::TRACK_TYPE_PEDESTRIAN);
    CHECK(Speed(p, s->time().current_step()) == 0.0);
    CHECK(Speed(p, s->time().num_steps() - 1) == Approx(1.5));
  }
}

TEST_CASE("Compiling is deterministic", "[authoring]") {
  for (const SpecTemplate& t : SpecTemplates()) {
    Result<v1::Scenario> a = Compile(t.text), b = Compile(t.text);
    REQUIRE(a.ok());
    REQUIRE(b.ok());
    CHECK(SerializeBinary(*a) == SerializeBinary(*b));
  }
}

TEST_CASE("Authored scenarios run with log and reactive agents", "[authoring]") {
  std::vector<std::shared_ptr<const ScenarioModel>> models;
  for (const SpecTemplate& t : SpecTemplates()) {
    Result<v1::Scenario> s = Compile(t.text);
    REQUIRE(s.ok());
    Result<std::shared_ptr<const ScenarioModel>> m = ScenarioModel::Build(std::move(*s));
    REQUIRE(m.ok());
    models.push_back(*m);
  }
  ThreadPool pool(1);
  for (const char* agents : {"log", "idm"}) {
    INFO(agents);
    Result<std::unique_ptr<Planner>> planner = MakePlanner("pdm");
    Result<std::unique_ptr<AgentModel>> model = MakeAgentModel(agents);
    REQUIRE(planner.ok());
    REQUIRE(model.ok());
    const std::vector<RolloutResult> results = RunRollouts(models, planner->get(), **model, SimConfig{}, &pool);
    for (const RolloutResult& r : results) {
      INFO(r.scenario_id << ": " << r.error);
      CHECK(r.ok);
      CHECK(r.steps >= 80);
    }
  }
}

}  // namespace
}  // namespace tarmac
