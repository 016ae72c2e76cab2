#include "authoring/families.h"

#include <fmt/format.h>
#include <google/protobuf/text_format.h>

#include <algorithm>
#include <cmath>

#include "authoring/compiler.h"

namespace tarmac {
namespace {

// Draws up to this many parameter sets for one scenario before giving up.
constexpr int kMaxAttempts = 200;

// Every generated scenario is avoidable by a careful driver: the expert whose
// drive is the scenario's log never brakes harder than this [m/s^2]. (Harder
// draws are redrawn.) Planners limited to comfortable braking can still fail
// where they react late.
constexpr double kMaxExpertDecel = 4.0;

// The logged ego's hardest braking after the current step [m/s^2, >= 0].
double PeakEgoDecel(const v1::Scenario& s) {
  const v1::Track* ego = nullptr;
  for (const v1::Track& t : s.tracks()) {
    if (t.id() == s.ego().track_id()) ego = &t;
  }
  double peak = 0.0;
  if (ego == nullptr) return peak;
  for (int k = s.time().current_step() + 1; k < ego->x_size(); ++k) {
    const double v0 = std::hypot(ego->vx(k - 1), ego->vy(k - 1)), v1 = std::hypot(ego->vx(k), ego->vy(k));
    peak = std::max(peak, (v0 - v1) / s.time().dt_s());
  }
  return peak;
}

v1::AgentSpec* Vehicle(v1::ScenarioSpec* s, const std::string& id, const std::string& lane, double at, double speed,
                       double desired = -1.0) {
  v1::AgentSpec* a = s->add_agents();
  a->set_id(id);
  a->set_kind(v1::AGENT_KIND_VEHICLE);
  a->mutable_start()->set_lane(lane);
  a->mutable_start()->set_s_m(at);
  a->set_speed_mps(speed);
  a->mutable_idm()->set_desired_speed_mps(desired > 0 ? desired : speed);
  return a;
}

void Ego(v1::ScenarioSpec* s, const std::string& lane, double at, double speed, std::initializer_list<const char*> route,
         double desired = -1.0) {
  v1::EgoSpec* e = s->mutable_ego();
  e->mutable_start()->set_lane(lane);
  e->mutable_start()->set_s_m(at);
  e->set_speed_mps(speed);
  for (const char* r : route) e->add_route(r);
  if (desired > 0) e->set_desired_speed_mps(desired);
  e->set_goal_radius_m(5.0);
}

v1::ScenarioSpec Base(const std::string& id, const std::string& family, const std::string& description) {
  v1::ScenarioSpec s;
  s.set_id(id);
  s.set_duration_s(8.0);
  s.set_history_s(1.0);
  s.add_tags(family);
  s.add_tags("generated");
  s.set_description(description);
  return s;
}

// A car in the next lane, slightly faster than the ego, cuts in ahead of it
// at a short headway and then brakes.
v1::ScenarioSpec CutIn(const std::string& id, SplitMix64* r) {
  const double limit = r->Uniform(15, 25), v = limit * r->Uniform(0.7, 0.95);
  const double headway = r->Uniform(0.6, 1.2), lc = r->Uniform(1.5, 2.5);
  const double decel = r->Uniform(2.0, 4.0), to_speed = v * r->Uniform(0.3, 0.7);
  v1::ScenarioSpec s = Base(id, "cut-in",
                            fmt::format("cut-in at {:.1f} s headway over {:.1f} s, then braking at {:.1f} m/s^2",
                                        headway, lc, decel));
  s.mutable_road()->mutable_straight()->set_length_m(500);
  s.mutable_road()->mutable_straight()->set_lanes(2);
  s.mutable_road()->mutable_straight()->set_speed_limit_mps(limit);
  Ego(&s, "lane0", 60, v, {"lane0"}, v);
  // ahead_of_ego_m is the bumper-to-bumper gap; the cutter starts a little
  // short of it (centres 4.7 m apart at zero gap) and closes in quickly.
  const double gap = headway * v;
  v1::AgentSpec* c = Vehicle(&s, "cutter", "lane1", 60 + 4.7 + gap - r->Uniform(1, 3), v + r->Uniform(1.5, 3));
  v1::TriggerSpec* t0 = c->add_triggers();
  t0->mutable_when()->set_ahead_of_ego_m(gap);
  t0->mutable_then()->mutable_lane_change()->set_to_lane("ego");
  t0->mutable_then()->mutable_lane_change()->set_duration_s(lc);
  v1::TriggerSpec* t1 = c->add_triggers();
  t1->mutable_when()->set_after_previous_s(0.7 * lc);  // braking as it settles in the lane
  t1->mutable_then()->mutable_brake()->set_decel_mps2(decel);
  t1->mutable_then()->mutable_brake()->set_to_speed_mps(to_speed);
  return s;
}

// The car ahead in the ego's lane brakes hard.
v1::ScenarioSpec HardBrakingLead(const std::string& id, SplitMix64* r) {
  const double limit = r->Uniform(15, 25), v = limit * r->Uniform(0.7, 0.95);
  const double headway = r->Uniform(1.5, 3.0), decel = r->Uniform(2.5, 4.5), when = r->Uniform(1.0, 3.0);
  v1::ScenarioSpec s = Base(id, "hard-braking-lead",
                            fmt::format("lead at {:.1f} s headway brakes at {:.1f} m/s^2 after {:.1f} s", headway,
                                        decel, when));
  s.mutable_road()->mutable_straight()->set_length_m(500);
  s.mutable_road()->mutable_straight()->set_lanes(2);
  s.mutable_road()->mutable_straight()->set_speed_limit_mps(limit);
  Ego(&s, "lane0", 40, v, {"lane0"}, v);
  v1::AgentSpec* lead = Vehicle(&s, "lead", "lane0", 40 + 4.7 + headway * v, v);
  v1::TriggerSpec* t = lead->add_triggers();
  t->mutable_when()->set_time_s(when);
  t->mutable_then()->mutable_brake()->set_decel_mps2(decel);
  if (r->Unit() < 0.5) Vehicle(&s, "beside", "lane1", 40 + r->Uniform(-25, 25), v * r->Uniform(0.9, 1.1));
  return s;
}

// A vehicle stands in the ego's lane ahead.
v1::ScenarioSpec StoppedVehicle(const std::string& id, SplitMix64* r) {
  const double limit = r->Uniform(12, 22), v = limit * r->Uniform(0.6, 0.95);
  const double time_to_reach = r->Uniform(3.0, 6.0);
  v1::ScenarioSpec s = Base(id, "stopped-vehicle",
                            fmt::format("a stopped vehicle {:.1f} s ahead at {:.1f} m/s", time_to_reach, v));
  s.mutable_road()->mutable_straight()->set_length_m(400);
  s.mutable_road()->mutable_straight()->set_lanes(2);
  s.mutable_road()->mutable_straight()->set_speed_limit_mps(limit);
  Ego(&s, "lane0", 30, v, {"lane0"}, v);
  v1::AgentSpec* stopped = s.add_agents();
  stopped->set_id("stopped");
  stopped->set_kind(v1::AGENT_KIND_VEHICLE);
  stopped->mutable_start()->set_lane("lane0");
  stopped->mutable_start()->set_s_m(30 + v * time_to_reach);
  stopped->mutable_stopped();
  const int others = static_cast<int>(r->Below(3));
  for (int i = 0; i < others; ++i) {
    Vehicle(&s, fmt::format("traffic{}", i), "lane1", 30 + r->Uniform(-40, 120), limit * r->Uniform(0.8, 1.0));
  }
  return s;
}

// The ego turns left at a green light across oncoming traffic.
v1::ScenarioSpec UnprotectedLeft(const std::string& id, SplitMix64* r) {
  const double arm = 80, v = r->Uniform(5, 8), to_junction = r->Uniform(10, 25);
  v1::ScenarioSpec s = Base(id, "unprotected-left",
                            fmt::format("left turn at {:.1f} m/s across oncoming traffic", v));
  s.set_duration_s(10.0);
  v1::IntersectionSpec* x = s.mutable_road()->mutable_intersection();
  x->set_arm_length_m(arm);
  x->set_lanes(1);
  x->set_speed_limit_mps(12);
  x->set_signalized(true);
  x->mutable_program()->set_ns_green_s(40);
  Ego(&s, "S_in0", arm - to_junction, v, {"S_in0", "S_left", "W_out0"}, 8.0);
  // Oncoming: one car arriving after the ego has cleared (the expert's
  // gap), maybe a second one behind it.
  // Time for the ego to reach the junction and clear the oncoming lane
  // (the left turn's arc is about 21 m, slowed to its 6.4 m/s advisory limit).
  const double ego_clear = to_junction / v + 21.0 / 6.0 + 1.0;
  const double v_on = r->Uniform(8, 12);
  const double arrive = ego_clear + r->Uniform(0.3, 2.5);
  const double start = arm - std::min(arm - 5.0, v_on * arrive);
  if (start < 0) return s;
  Vehicle(&s, "oncoming", "N_in0", start, v_on)->mutable_idm()->add_route("N_straight");
  if (r->Unit() < 0.6 && start > 20) {
    Vehicle(&s, "oncoming2", "N_in0", std::max(0.0, start - r->Uniform(15, 30)), v_on)->mutable_idm()->add_route("N_straight");
  }
  return s;
}

// The ego joins a main road from an on-ramp between cars.
v1::ScenarioSpec Merge(const std::string& id, SplitMix64* r) {
  v1::ScenarioSpec s = Base(id, "merge", "");
  s.set_duration_s(10.0);
  v1::MergeSpec* m = s.mutable_road()->mutable_merge();
  m->set_length_m(400);
  m->set_lanes(2);
  m->set_merge_x_m(120);
  m->set_accel_lane_m(60);
  m->set_speed_limit_mps(25);
  const double v = r->Uniform(12, 18);
  Ego(&s, "ramp", r->Uniform(10, 40), v, {"ramp", "accel", "taper", "main0_after"}, 20.0);
  const double v_main = r->Uniform(16, 22);
  double at = r->Uniform(0, 60);
  for (int i = 0; i < 3; ++i) {
    Vehicle(&s, fmt::format("main{}", i), "main0", at, v_main)->mutable_idm()->add_route("main0_after");
    at += r->Uniform(25, 50);
    if (at > 190) break;
  }
  Vehicle(&s, "fast", "main1", r->Uniform(0, 150), v_main * r->Uniform(1.0, 1.2));
  s.set_description(fmt::format("merging from an on-ramp at {:.1f} m/s into traffic at {:.1f} m/s", v, v_main));
  return s;
}

// A pedestrian steps onto a crosswalk in front of the ego.
v1::ScenarioSpec PedestrianCrossing(const std::string& id, SplitMix64* r) {
  const double limit = r->Uniform(10, 15), v = limit * r->Uniform(0.7, 1.0);
  const double crossing = 120, walk = r->Uniform(1.2, 1.8);
  // Stepping out when the ego, holding its speed, would reach the crosswalk
  // about as the pedestrian reaches the middle of the ego's lane (3 m away).
  const double trigger = v * (3.0 / walk) * r->Uniform(1.0, 1.6);
  v1::ScenarioSpec s = Base(id, "pedestrian-crossing",
                            fmt::format("a pedestrian steps out when the ego is {:.0f} m away, walking {:.1f} m/s",
                                        trigger, walk));
  s.mutable_road()->mutable_straight()->set_length_m(300);
  s.mutable_road()->mutable_straight()->set_lanes(2);
  s.mutable_road()->mutable_straight()->set_speed_limit_mps(limit);
  v1::CrosswalkSpec* cw = s.mutable_road()->add_crosswalks();
  cw->set_lane("lane0");
  cw->set_s_m(crossing);
  Ego(&s, "lane0", crossing - r->Uniform(40, 70), v, {"lane0"}, v);
  v1::AgentSpec* p = s.add_agents();
  p->set_id("pedestrian");
  p->set_kind(v1::AGENT_KIND_PEDESTRIAN);
  p->mutable_start_point()->set_x(crossing + r->Uniform(-1.5, 1.5));
  p->mutable_start_point()->set_y(-3.0);
  p->set_heading_deg(90);
  p->mutable_walk()->set_speed_mps(walk);
  v1::TriggerSpec* t = p->add_triggers();
  t->mutable_when()->set_ego_within_m(trigger);
  t->mutable_then()->set_start_walking(true);
  return s;
}

// The light turns yellow then red as the ego approaches; cross traffic goes on green.
v1::ScenarioSpec RedLight(const std::string& id, SplitMix64* r) {
  const double arm = 80, v = r->Uniform(8, 12), to_stop = v * r->Uniform(2.5, 5.0);
  const double green = 20.0, yellow_at = r->Uniform(0.3, 2.0);
  v1::ScenarioSpec s = Base(id, "red-light", fmt::format("the light turns yellow {:.1f} s in, {:.0f} m before the "
                                                         "stop line at {:.1f} m/s",
                                                         yellow_at, to_stop, v));
  s.set_duration_s(10.0);
  v1::IntersectionSpec* x = s.mutable_road()->mutable_intersection();
  x->set_arm_length_m(arm);
  x->set_lanes(1);
  x->set_speed_limit_mps(13);
  x->set_signalized(true);
  x->mutable_program()->set_ns_green_s(green);
  x->mutable_program()->set_ew_green_s(20);
  x->mutable_program()->set_yellow_s(3);
  x->mutable_program()->set_all_red_s(1);
  x->mutable_program()->set_offset_s(green - yellow_at);  // NS turns yellow at t = yellow_at
  Ego(&s, "S_in0", arm - to_stop, v, {"S_in0", "S_straight", "N_out0"}, 12.0);
  Vehicle(&s, "cross_east", "W_in0", arm - r->Uniform(15, 40), r->Uniform(6, 10), 12.0)->mutable_idm()->add_route("W_straight");
  Vehicle(&s, "cross_west", "E_in0", arm - r->Uniform(15, 40), r->Uniform(6, 10), 12.0)->mutable_idm()->add_route("E_straight");
  return s;
}

// The ego must change into a lane with dense traffic.
v1::ScenarioSpec DenseLaneChange(const std::string& id, SplitMix64* r) {
  const double v = r->Uniform(10, 16), when = r->Uniform(1.5, 3.5);
  v1::ScenarioSpec s = Base(id, "dense-lane-change",
                            fmt::format("a lane change at {:.1f} m/s into traffic {:.1f} s in", v, when));
  s.mutable_road()->mutable_straight()->set_length_m(500);
  s.mutable_road()->mutable_straight()->set_lanes(3);
  s.mutable_road()->mutable_straight()->set_speed_limit_mps(20);
  Ego(&s, "lane0", 60, v, {"lane0", "lane1"}, v);
  v1::LaneChangeSpec* lc = s.mutable_ego()->add_lane_changes();
  lc->set_to_lane("lane1");
  lc->set_at_time_s(when);
  lc->set_duration_s(3.0);
  // A slow car ahead in the ego's lane is the reason to change.
  Vehicle(&s, "slow", "lane0", 60 + r->Uniform(45, 70), v * 0.5)->set_replay(true);  // slow with any agents
  // A dense queue in lane1 moving with the ego, with one gap (centre to
  // centre) about where the ego is, the only way in.
  const double gap = r->Uniform(28, 40), offset = r->Uniform(-4, 4);
  double behind = 60 + offset - 0.5 * gap, ahead = 60 + offset + 0.5 * gap;
  int n = 0;
  for (int i = 0; i < 2; ++i) {
    Vehicle(&s, fmt::format("dense{}", n++), "lane1", behind, v * r->Uniform(0.97, 1.03), v);
    behind -= r->Uniform(14, 20);
  }
  for (int i = 0; i < 3; ++i) {
    Vehicle(&s, fmt::format("dense{}", n++), "lane1", ahead, v * r->Uniform(0.97, 1.03), v);
    ahead += r->Uniform(14, 20);
  }
  Vehicle(&s, "left", "lane2", 60 + r->Uniform(-20, 40), v * r->Uniform(1.0, 1.2));
  s.set_description(fmt::format("a lane change at {:.1f} m/s {:.1f} s in, into a {:.1f} m gap in dense traffic", v,
                                when, gap));
  return s;
}

uint64_t Fnv(const std::string& s) {
  uint64_t h = 14695981039346656037ULL;
  for (char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ULL;
  }
  return h;
}

}  // namespace

const std::vector<std::string>& FamilyNames() {
  static const std::vector<std::string> names = {"cut-in", "hard-braking-lead", "stopped-vehicle", "unprotected-left",
                                                 "merge", "pedestrian-crossing", "red-light", "dense-lane-change"};
  return names;
}

Result<v1::ScenarioSpec> DrawFamilySpec(const std::string& family, const std::string& id, SplitMix64* rng) {
  if (family == "cut-in") return CutIn(id, rng);
  if (family == "hard-braking-lead") return HardBrakingLead(id, rng);
  if (family == "stopped-vehicle") return StoppedVehicle(id, rng);
  if (family == "unprotected-left") return UnprotectedLeft(id, rng);
  if (family == "merge") return Merge(id, rng);
  if (family == "pedestrian-crossing") return PedestrianCrossing(id, rng);
  if (family == "red-light") return RedLight(id, rng);
  if (family == "dense-lane-change") return DenseLaneChange(id, rng);
  std::string names;
  for (const std::string& n : FamilyNames()) names += (names.empty() ? "" : ", ") + n;
  return Error{fmt::format("--family '{}' is not one of: {}", family, names)};
}

Result<Generated> GenerateScenario(const std::string& family, uint64_t seed, int index) {
  const std::string id = fmt::format("{}-{}-{:03d}", family, seed, index);
  SplitMix64 rng(Fnv(family) ^ (seed * 0x9E3779B97F4A7C15ULL) ^ (static_cast<uint64_t>(index) << 32));
  std::string last_error;
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    Result<v1::ScenarioSpec> spec = DrawFamilySpec(family, id, &rng);
    if (!spec.ok()) return spec.error();
    Result<v1::Scenario> compiled = CompileSpec(*spec);
    if (compiled.ok() && PeakEgoDecel(*compiled) > kMaxExpertDecel) {
      last_error = fmt::format("the expert brakes at {:.1f} m/s^2", PeakEgoDecel(*compiled));
      continue;
    }
    if (compiled.ok()) {
      compiled->mutable_provenance()->set_source_file(id + ".spec");
      return Generated{std::move(*spec), std::move(*compiled)};
    }
    last_error = compiled.error().message;
  }
  return Error{fmt::format("{}: no valid draw in {} attempts (last: {})", id, kMaxAttempts, last_error)};
}

std::string GeneratedSpecText(const v1::ScenarioSpec& spec, const std::string& family, uint64_t seed, int index) {
  google::protobuf::TextFormat::Printer printer;
  std::string body;
  printer.PrintToString(spec, &body);
  return fmt::format(
      "# Generated by `tarmac scenario generate --family {} --seed {}` (scenario {} of the sweep).\n"
      "# Text format of tarmac.v1.ScenarioSpec (docs/authoring.md); `tarmac scenario build` compiles it\n"
      "# into the .pb beside it.\n{}",
      family, seed, index, body);
}

}  // namespace tarmac
