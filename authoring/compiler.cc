#include "authoring/compiler.h"

#include <fmt/format.h>
#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/stubs/common.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numbers>

#include "authoring/road_builder.h"
#include "scenarios/import/import_util.h"
#include "scenarios/map/map_index.h"
#include "scenarios/scenario_io.h"
#include "sim/geometry.h"
#include "sim/path_leader.h"

namespace tarmac {
namespace {

constexpr double kDt = 0.1;
constexpr double kPi = std::numbers::pi;
// The logged ego and IDM agents brake this hard at most when a plain IDM
// deceleration would not do (emergency braking in the log) [m/s^2].
constexpr double kHardBrake = 6.0;
constexpr int kMaxAgents = 256;

class ParseErrors : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, google::protobuf::io::ColumnNumber column, const std::string& message) override {
    if (first.empty()) first = fmt::format("{}:{}: {}", line + 1, column + 1, message);
  }
  std::string first;
};

double Or(double v, double fallback) { return v > 0.0 ? v : fallback; }

// IDM with a soft deceleration b in the desired gap and a hard braking limit.
double Idm(double v, double v0, double gap, double v_lead) {
  const double a = 1.5, b = 2.5, s0 = 2.0, headway = 1.5;
  const double free_term = v0 > 0.0 ? std::pow(std::max(v, 0.0) / v0, 4.0) : 1.0;
  double interaction = 0.0;
  if (gap >= 0.0 && std::isfinite(gap)) {
    const double desired = s0 + std::max(0.0, v * headway + v * (v - v_lead) / (2.0 * std::sqrt(a * b)));
    const double s = std::max(gap, 0.05);
    interaction = (desired / s) * (desired / s);
  }
  return std::clamp(a * (1.0 - free_term - interaction), -kHardBrake, a);
}

struct Trigger {
  v1::TriggerSpec spec;
  std::string where;  // spec path, e.g. "agents[1].triggers[0]"
  int fired_step = -1;
};

struct Actor {
  std::string id;
  std::string where;  // "ego" or "agents[i]"
  v1::TrackType type = v1::TRACK_TYPE_VEHICLE;
  double length = 4.6, width = 1.9;
  enum class Mode { kIdm, kProfile, kWalk, kStopped } mode = Mode::kIdm;
  // Lane following.
  bool on_lanes = true;
  LanePath lanes;
  std::vector<LaneIdx> preferred;
  double s = 0.0, v = 0.0, d = 0.0;
  double desired = 0.0;
  bool changing = false;
  double lc_t0 = 0.0, lc_duration = 3.0, lc_d0 = 0.0;
  bool braking = false;
  double brake_decel = 0.0, brake_to = 0.0;
  std::vector<std::pair<double, double>> profile;  // (t, speed)
  std::vector<std::pair<int, double>> stops;       // (light index, s on the path)
  // Free movers (pedestrians, start_point).
  double x = 0.0, y = 0.0, heading = 0.0;
  bool walking = false;
  double walk_speed = 1.4, walk_start = 0.0;
  std::vector<Trigger> triggers;
  bool replay = false;  // AgentSpec.replay
  // The log.
  std::vector<double> xs, ys, hs, vxs, vys;
};

class Compiler {
 public:
  Compiler(const v1::ScenarioSpec& spec, const SpecLocations* loc) : spec_(spec), loc_(loc) {}

  Result<v1::Scenario> Run() {
    if (spec_.id().empty()) return Fail("id", "missing: every scenario needs an id");
    if (Result<void> r = CheckValues(spec_, ""); !r.ok()) return r.error();
    if (spec_.agents_size() > kMaxAgents) {
      return Fail("agents", fmt::format("{} agents; at most {}", spec_.agents_size(), kMaxAgents));
    }
    const double duration = Or(spec_.duration_s(), 8.0);
    const double history = spec_.history_s() > 0 ? spec_.history_s() : 1.0;
    if (duration > 120.0 || history > 20.0) {
      return Fail("duration_s", fmt::format("{} s of future and {} s of history: at most 120 and 20", duration, history));
    }
    now_ = static_cast<int>(std::lround(history / kDt));
    steps_ = now_ + static_cast<int>(std::lround(duration / kDt)) + 1;
    Result<BuiltRoad> road = BuildRoad(spec_.road(), steps_, kDt);
    if (!road.ok()) return Fail("road", road.error().message);
    road_ = std::move(*road);
    map_ = std::make_unique<MapIndex>(road_.map);
    if (Result<void> r = MakeEgo(); !r.ok()) return r.error();
    for (int i = 0; i < spec_.agents_size(); ++i) {
      if (Result<void> r = MakeAgent(i); !r.ok()) return r.error();
    }
    if (Result<void> r = CheckStart(); !r.ok()) return r.error();
    History();
    for (int k = now_; k + 1 < steps_; ++k) Step(k);
    for (const Actor& a : actors_) {
      for (const Trigger& t : a.triggers) {
        if (t.fired_step < 0) return Fail(t.where + ".when", "never fires within the scenario's " +
                                                                fmt::format("{:.1f} s", duration));
      }
    }
    if (Result<void> r = CheckEgoLog(); !r.ok()) return r.error();
    return Assemble();
  }

 private:
  // Every number in the spec finite and within what its unit allows (named
  // by the field's suffix), so nothing downstream sizes a polyline or a loop
  // from a wild value; every string valid UTF-8 (protobuf's text parser
  // accepts escapes that are not).
  Result<void> CheckValues(const google::protobuf::Message& m, const std::string& prefix) const {
    const google::protobuf::Reflection* r = m.GetReflection();
    std::vector<const google::protobuf::FieldDescriptor*> fields;
    r->ListFields(m, &fields);
    for (const google::protobuf::FieldDescriptor* f : fields) {
      const int n = f->is_repeated() ? r->FieldSize(m, f) : 1;
      for (int i = 0; i < n; ++i) {
        const std::string path = prefix + f->name() + (f->is_repeated() ? fmt::format("[{}]", i) : "");
        if (f->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE) {
          const google::protobuf::Message& sub = f->is_repeated() ? r->GetRepeatedMessage(m, f, i) : r->GetMessage(m, f);
          if (Result<void> ok = CheckValues(sub, path + "."); !ok.ok()) return ok;
          continue;
        }
        if (f->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_STRING) {
          const std::string v = f->is_repeated() ? r->GetRepeatedString(m, f, i) : r->GetString(m, f);
          if (!google::protobuf::internal::IsStructurallyValidUTF8(v.data(), static_cast<int>(v.size()))) {
            return Fail(path, "is not valid UTF-8");
          }
          continue;
        }
        if (f->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_INT32) {
          const int v = f->is_repeated() ? r->GetRepeatedInt32(m, f, i) : r->GetInt32(m, f);
          if (v < 0 || v > 64) return Fail(path, fmt::format("{} is outside [0, 64]", v));
          continue;
        }
        if (f->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_DOUBLE) continue;
        const double v = f->is_repeated() ? r->GetRepeatedDouble(m, f, i) : r->GetDouble(m, f);
        const std::string& name = f->name();
        auto ends = [&](const char* suffix) {
          const size_t k = std::strlen(suffix);
          return name.size() >= k && name.compare(name.size() - k, k, suffix) == 0;
        };
        double limit = 1e4;  // metres, and anything else
        if (ends("_mps")) limit = 100.0;
        if (ends("_mps2")) limit = 50.0;
        if (ends("_s")) limit = 1000.0;
        if (ends("_deg")) limit = 360.0;
        if (!std::isfinite(v) || std::abs(v) > limit) {
          return Fail(path, fmt::format("{} is not a number within +-{}", v, limit));
        }
      }
    }
    return {};
  }

  Error Fail(const std::string& path, const std::string& what) const {
    return Error{fmt::format("{}{}: {}", loc_ != nullptr ? loc_->Where(path) : "", path, what)};
  }

  std::string LaneList() const {
    std::string out;
    for (LaneIdx l = 0; l < map_->num_lanes() && l < 12; ++l) out += (l ? ", " : "") + map_->LaneId(l);
    return out + (map_->num_lanes() > 12 ? ", ..." : "");
  }

  Result<LaneIdx> LaneOf(const std::string& id, const std::string& path) const {
    const LaneIdx l = map_->LaneIndexOf(id);
    if (l == kNoLane) return Fail(path, fmt::format("no lane '{}' (lanes: {})", id, LaneList()));
    return l;
  }

  // Places a lane-following actor at a lane position, its path going on
  // through `preferred` lanes.
  Result<void> Place(Actor* a, const v1::LanePosition& p, const std::string& path) {
    Result<LaneIdx> lane = LaneOf(p.lane(), path + ".lane");
    if (!lane.ok()) return lane.error();
    const double len = map_->Centerline(*lane).length();
    if (p.s_m() < 0.0 || p.s_m() > len) {
      return Fail(path + ".s_m", fmt::format("{} m is outside lane '{}' (0 .. {:.1f} m)", p.s_m(), p.lane(), len));
    }
    a->lanes = map_->FollowLanes(*lane, 0.0, 2000.0, a->preferred);
    a->s = p.s_m();
    a->d = p.d_m();
    return {};
  }

  void FindStops(Actor* a) {
    for (size_t l = 0; l < road_.lights.size(); ++l) {
      const v1::TrafficLight& light = road_.lights[l];
      bool on_path = false;
      for (const std::string& id : light.lane_ids()) {
        const LaneIdx lane = map_->LaneIndexOf(id);
        on_path = on_path || std::find(a->lanes.lanes.begin(), a->lanes.lanes.end(), lane) != a->lanes.lanes.end();
      }
      if (!on_path) continue;
      const PathProjection p = a->lanes.path.Project(light.stop_x(), light.stop_y());
      if (p.distance < 3.0) a->stops.emplace_back(static_cast<int>(l), p.s);
    }
  }

  Result<void> MakeEgo() {
    const v1::EgoSpec& e = spec_.ego();
    Actor a;
    a.id = "ego";
    a.where = "ego";
    a.length = Or(e.length_m(), 4.8);
    a.width = Or(e.width_m(), 1.9);
    for (int i = 0; i < e.route_size(); ++i) {
      Result<LaneIdx> l = LaneOf(e.route(i), fmt::format("ego.route[{}]", i));
      if (!l.ok()) return l.error();
      a.preferred.push_back(*l);
    }
    if (!e.has_start()) return Fail("ego.start", "missing: where does the ego start?");
    if (Result<void> r = Place(&a, e.start(), "ego.start"); !r.ok()) return r;
    a.v = e.speed_mps();
    const LaneIdx start_lane = map_->LaneIndexOf(e.start().lane());
    a.desired = Or(e.desired_speed_mps(), map_->SpeedLimit(start_lane));
    // The route must be drivable: every listed lane reachable from the start.
    if (a.preferred.size() >= 1) {
      const LaneIdx last = a.preferred.back();
      if (map_->ShortestRoute(start_lane, last).empty()) {
        return Fail("ego.route", fmt::format("the goal lane '{}' cannot be reached from '{}'", map_->LaneId(last),
                                             e.start().lane()));
      }
    }
    for (int i = 0; i < e.lane_changes_size(); ++i) {
      const v1::LaneChangeSpec& lc = e.lane_changes(i);
      if (!LaneOf(lc.to_lane(), fmt::format("ego.lane_changes[{}].to_lane", i)).ok()) {
        return LaneOf(lc.to_lane(), fmt::format("ego.lane_changes[{}].to_lane", i)).error();
      }
      Trigger t;
      t.where = fmt::format("ego.lane_changes[{}]", i);
      t.spec.mutable_when()->set_time_s(lc.at_time_s());
      *t.spec.mutable_then()->mutable_lane_change() = lc;
      a.triggers.push_back(std::move(t));
    }
    FindStops(&a);
    actors_.push_back(std::move(a));
    return {};
  }

  Result<void> MakeAgent(int i) {
    const v1::AgentSpec& s = spec_.agents(i);
    const std::string where = fmt::format("agents[{}]", i);
    Actor a;
    a.where = where;
    a.id = s.id().empty() ? fmt::format("agent{}", i) : s.id();
    a.replay = s.replay();
    for (const Actor& other : actors_) {
      if (other.id == a.id) return Fail(where + ".id", fmt::format("'{}' is used twice", a.id));
    }
    switch (s.kind()) {
      case v1::AGENT_KIND_PEDESTRIAN:
        a.type = v1::TRACK_TYPE_PEDESTRIAN;
        a.length = Or(s.length_m(), 0.6);
        a.width = Or(s.width_m(), 0.6);
        break;
      case v1::AGENT_KIND_CYCLIST:
        a.type = v1::TRACK_TYPE_CYCLIST;
        a.length = Or(s.length_m(), 1.8);
        a.width = Or(s.width_m(), 0.7);
        break;
      case v1::AGENT_KIND_STATIC:
        a.type = v1::TRACK_TYPE_STATIC;
        a.length = Or(s.length_m(), 4.6);
        a.width = Or(s.width_m(), 1.9);
        break;
      default:
        a.type = v1::TRACK_TYPE_VEHICLE;
        a.length = Or(s.length_m(), 4.6);
        a.width = Or(s.width_m(), 1.9);
    }
    a.v = s.speed_mps();
    if (s.has_idm()) {
      a.mode = Actor::Mode::kIdm;
      for (int r = 0; r < s.idm().route_size(); ++r) {
        Result<LaneIdx> l = LaneOf(s.idm().route(r), fmt::format("{}.idm.route[{}]", where, r));
        if (!l.ok()) return l.error();
        a.preferred.push_back(*l);
      }
    } else if (s.has_profile()) {
      a.mode = Actor::Mode::kProfile;
      double last_t = -1.0;
      for (int p = 0; p < s.profile().points_size(); ++p) {
        const v1::SpeedPoint& pt = s.profile().points(p);
        if (pt.t_s() <= last_t || pt.speed_mps() < 0.0) {
          return Fail(fmt::format("{}.profile.points[{}]", where, p),
                      fmt::format("t = {} s, speed {} m/s: times must increase and speeds be >= 0", pt.t_s(), pt.speed_mps()));
        }
        last_t = pt.t_s();
        a.profile.emplace_back(pt.t_s(), pt.speed_mps());
      }
    } else if (s.has_walk()) {
      a.mode = Actor::Mode::kWalk;
      a.walk_speed = Or(s.walk().speed_mps(), 1.4);
      a.walk_start = s.walk().start_s();
    } else {
      a.mode = Actor::Mode::kStopped;
      a.v = 0.0;
    }
    if (s.has_start_point()) {
      a.on_lanes = false;
      a.x = s.start_point().x();
      a.y = s.start_point().y();
      a.heading = s.heading_deg() * kPi / 180.0;
      a.walking = a.mode == Actor::Mode::kWalk && a.walk_start <= 0.0 && !HasWalkTrigger(s);
    } else if (s.has_start()) {
      if (Result<void> r = Place(&a, s.start(), where + ".start"); !r.ok()) return r;
      const LaneIdx lane = map_->LaneIndexOf(s.start().lane());
      a.desired = s.has_idm() && s.idm().desired_speed_mps() > 0 ? s.idm().desired_speed_mps() : map_->SpeedLimit(lane);
      FindStops(&a);
      if (a.mode == Actor::Mode::kWalk) {
        const PathPose p = a.lanes.path.PoseAt(a.s);
        a.on_lanes = false;
        a.x = p.x;
        a.y = p.y;
        a.heading = p.heading;
        a.walking = a.walk_start <= 0.0 && !HasWalkTrigger(s);
      }
    } else {
      return Fail(where, "needs a start (a lane position) or a start_point");
    }
    for (int t = 0; t < s.triggers_size(); ++t) {
      Trigger trig;
      trig.spec = s.triggers(t);
      trig.where = fmt::format("{}.triggers[{}]", where, t);
      if (trig.spec.when().condition_case() == v1::TriggerCondition::CONDITION_NOT_SET) {
        return Fail(trig.where + ".when",
                    "no condition (time_s, ego_within_m, ahead_of_ego_m, ego_time_gap_s or after_previous_s)");
      }
      if (trig.spec.then().action_case() == v1::TriggerAction::ACTION_NOT_SET) {
        return Fail(trig.where + ".then", "no action (lane_change, brake, set_speed_mps or start_walking)");
      }
      if (trig.spec.then().has_lane_change() && trig.spec.then().lane_change().to_lane() != "ego") {
        Result<LaneIdx> l = LaneOf(trig.spec.then().lane_change().to_lane(), trig.where + ".then.lane_change.to_lane");
        if (!l.ok()) return l.error();
      }
      a.triggers.push_back(std::move(trig));
    }
    actors_.push_back(std::move(a));
    return {};
  }

  static bool HasWalkTrigger(const v1::AgentSpec& s) {
    return std::any_of(s.triggers().begin(), s.triggers().end(),
                       [](const v1::TriggerSpec& t) { return t.then().has_start_walking(); });
  }

  // Pose and velocity of an actor now.
  Box BoxOf(const Actor& a) const {
    if (!a.on_lanes) return Box{a.x, a.y, a.heading, a.length, a.width};
    const PathPose p = a.lanes.path.PoseAt(a.s);
    double h = p.heading;
    if (a.changing) {
      // Heading follows the lateral motion of the lane change.
      const double tau = std::clamp((t_ - a.lc_t0) / a.lc_duration, 0.0, 1.0);
      const double dd = -a.lc_d0 * kPi / (2.0 * a.lc_duration) * std::sin(kPi * tau);
      h += std::atan2(dd, std::max(a.v, 1.0));
    }
    const double extra = a.s > a.lanes.path.length() ? a.s - a.lanes.path.length() : 0.0;
    return Box{p.x - a.d * std::sin(p.heading) + extra * std::cos(p.heading),
               p.y + a.d * std::cos(p.heading) + extra * std::sin(p.heading), h, a.length, a.width};
  }

  Result<void> CheckStart() {
    for (size_t i = 0; i < actors_.size(); ++i) {
      const Box bi = BoxOf(actors_[i]);
      if (actors_[i].on_lanes && actors_[i].type != v1::TRACK_TYPE_PEDESTRIAN &&
          map_->DistanceOutsideDrivable(bi.x, bi.y) > 0.5) {
        return Fail(actors_[i].where + ".start", fmt::format("starts off the road (centre {:.1f} m outside the lanes)",
                                                            map_->DistanceOutsideDrivable(bi.x, bi.y)));
      }
      for (size_t j = 0; j < i; ++j) {
        if (BoxesOverlap(bi, BoxOf(actors_[j]))) {
          return Fail(actors_[i].where + ".start", fmt::format("starts in collision with {} ('{}')", actors_[j].where,
                                                              actors_[j].id));
        }
      }
    }
    return {};
  }

  // Steps before "now": the same motion backwards at the initial speed.
  void History() {
    for (Actor& a : actors_) {
      a.xs.resize(static_cast<size_t>(steps_));
      a.ys.resize(a.xs.size());
      a.hs.resize(a.xs.size());
      a.vxs.resize(a.xs.size());
      a.vys.resize(a.xs.size());
      const double s0 = a.s, x0 = a.x, y0 = a.y;
      const double v = a.on_lanes ? a.v : (a.walking ? a.walk_speed : 0.0);
      for (int k = 0; k <= now_; ++k) {
        const double back = v * (now_ - k) * kDt;
        if (a.on_lanes) {
          a.s = s0 - back;
          Box b = BoxOf(a);
          if (a.s < 0.0) {  // before the path: straight back along its start
            const PathPose p0 = a.lanes.path.PoseAt(0.0);
            b.x = p0.x - a.d * std::sin(p0.heading) + a.s * std::cos(p0.heading);
            b.y = p0.y + a.d * std::cos(p0.heading) + a.s * std::sin(p0.heading);
          }
          Record(&a, k, b, v);
        } else {
          a.x = x0 - back * std::cos(a.heading);
          a.y = y0 - back * std::sin(a.heading);
          Record(&a, k, BoxOf(a), v);
        }
      }
      a.s = s0;
      a.x = x0;
      a.y = y0;
    }
  }

  void Record(Actor* a, int k, const Box& b, double speed) {
    const size_t i = static_cast<size_t>(k);
    a->xs[i] = b.x;
    a->ys[i] = b.y;
    a->hs[i] = b.heading;
    a->vxs[i] = speed * std::cos(b.heading);
    a->vys[i] = speed * std::sin(b.heading);
  }

  // Distance along the ego's path from the ego to `a` (negative: behind).
  double AheadOfEgo(const Actor& a) const {
    const Actor& ego = actors_.front();
    const Box b = BoxOf(a);
    const PathProjection p = ego.lanes.path.ProjectWindow(b.x, b.y, ego.s - 100.0, ego.s + 300.0);
    return p.s - ego.s;
  }

  bool ConditionHolds(const Actor& a, size_t index, const v1::TriggerCondition& c) const {
    const Actor& ego = actors_.front();
    switch (c.condition_case()) {
      case v1::TriggerCondition::kAfterPreviousS: {
        if (index == 0 || a.triggers[index - 1].fired_step < 0) return false;
        return t_ >= (a.triggers[index - 1].fired_step - now_) * kDt + c.after_previous_s() - 1e-9;
      }
      case v1::TriggerCondition::kTimeS: return t_ >= c.time_s() - 1e-9;
      case v1::TriggerCondition::kEgoWithinM: {
        const Box ea = BoxOf(ego), b = BoxOf(a);
        return Norm(ea.x - b.x, ea.y - b.y) <= c.ego_within_m();
      }
      case v1::TriggerCondition::kAheadOfEgoM: {
        // The bumper-to-bumper gap in front of the ego has opened to at least this.
        return AheadOfEgo(a) - 0.5 * (a.length + ego.length) >= c.ahead_of_ego_m();
      }
      case v1::TriggerCondition::kEgoTimeGapS: {
        const double gap = AheadOfEgo(a) - 0.5 * (a.length + ego.length);
        return gap >= 0.0 && ego.v > 0.1 && gap / ego.v <= c.ego_time_gap_s();
      }
      default: return false;
    }
  }

  void StartLaneChange(Actor* a, const std::string& to, double duration) {
    const Actor& ego = actors_.front();
    LaneIdx target = kNoLane;
    if (to == "ego") {
      const Box e = BoxOf(ego);
      target = map_->ProjectWithHeading(e.x, e.y, e.heading).lane;
    } else {
      target = map_->LaneIndexOf(to);
    }
    if (target == kNoLane) return;
    const Box b = BoxOf(*a);
    const LaneProjection proj = map_->Project(b.x, b.y);
    const double s_on_target = map_->Centerline(target).Project(b.x, b.y).s;
    (void)proj;
    a->preferred.insert(a->preferred.begin(), target);
    a->lanes = map_->FollowLanes(target, 0.0, 2000.0, a->preferred);
    a->s = s_on_target;
    const PathProjection now = a->lanes.path.Project(b.x, b.y);
    a->d = now.d;
    a->changing = true;
    a->lc_t0 = t_;
    a->lc_duration = Or(duration, 3.0);
    a->lc_d0 = now.d;
    a->stops.clear();
    FindStops(a);
  }

  void Fire(Actor* a, const v1::TriggerAction& act) {
    switch (act.action_case()) {
      case v1::TriggerAction::kLaneChange: StartLaneChange(a, act.lane_change().to_lane(), act.lane_change().duration_s()); break;
      case v1::TriggerAction::kBrake:
        a->braking = true;
        a->brake_decel = Or(act.brake().decel_mps2(), 4.0);
        a->brake_to = std::max(0.0, act.brake().to_speed_mps());
        if (a->mode == Actor::Mode::kIdm) a->desired = a->brake_to;
        break;
      case v1::TriggerAction::kSetSpeedMps:
        a->desired = act.set_speed_mps();
        a->braking = false;
        if (a->mode != Actor::Mode::kIdm) a->v = act.set_speed_mps();
        break;
      case v1::TriggerAction::kStartWalking: a->walking = true; break;
      default: break;
    }
  }

  // The lowest speed limit on the actor's path from here to a little beyond
  // where it could slow down comfortably (2 m/s^2), so drivers slow before
  // a turn's advisory limit rather than in it [m/s]; infinity if none is set.
  double LimitAhead(const Actor& a) const {
    const double reach = a.s + a.v * a.v / 4.0 + 5.0;
    double limit = std::numeric_limits<double>::infinity();
    for (size_t i = 0; i < a.lanes.lanes.size(); ++i) {
      const double begin = a.lanes.lane_start_s[i];
      const double end = i + 1 < a.lanes.lanes.size() ? a.lanes.lane_start_s[i + 1] : a.lanes.path.length();
      if (end < a.s || begin > reach) continue;
      const double lane_limit = map_->SpeedLimit(a.lanes.lanes[i]);
      if (lane_limit > 0.0) limit = std::min(limit, lane_limit);
    }
    return limit;
  }

  double Accel(const Actor& a, size_t self, int k) const {
    if (a.braking && a.v > a.brake_to) return -std::min(a.brake_decel, (a.v - a.brake_to) / kDt);
    if (a.mode == Actor::Mode::kStopped) return -a.v / kDt;
    if (a.mode == Actor::Mode::kProfile) {
      if (a.profile.empty()) return 0.0;
      const double t = t_ + kDt;
      double target = a.profile.back().second;
      for (size_t i = 0; i + 1 < a.profile.size(); ++i) {
        if (t >= a.profile[i].first && t <= a.profile[i + 1].first) {
          const double u = (t - a.profile[i].first) / (a.profile[i + 1].first - a.profile[i].first);
          target = a.profile[i].second + u * (a.profile[i + 1].second - a.profile[i].second);
        }
      }
      if (t < a.profile.front().first) target = a.v;
      return (target - a.v) / kDt;
    }
    // IDM along the path against everyone else and red lights.
    Follower f;
    f.path = &a.lanes.path;
    f.s = a.s;
    const Box b = BoxOf(a);
    f.x = b.x;
    f.y = b.y;
    f.heading = b.heading;
    f.half_length = 0.5 * a.length;
    f.half_width = 0.5 * a.width;
    f.lookahead = 120.0;
    f.Prepare();
    Leader leader;
    for (size_t j = 0; j < actors_.size(); ++j) {
      if (j == self) continue;
      const Actor& o = actors_[j];
      const Box ob = BoxOf(o);
      const double speed = o.on_lanes ? o.v : (o.walking ? o.walk_speed : 0.0);
      ConsiderLeader(f, {ob.x, ob.y, ob.heading, o.length, o.width, speed}, &leader);
      // A careful driver yields to someone walking towards its path: where
      // they will be over the next 3 s counts as an obstacle standing there.
      if (!o.on_lanes && o.walking) {
        for (double tau = 0.5; tau <= 3.0 + 1e-9; tau += 0.5) {
          ConsiderLeader(f,
                         {ob.x + tau * o.walk_speed * std::cos(ob.heading),
                          ob.y + tau * o.walk_speed * std::sin(ob.heading), ob.heading, o.length, o.width, 0.0},
                         &leader);
        }
      }
    }
    for (const auto& [light, s_stop] : a.stops) {
      const v1::SignalState st = road_.lights[static_cast<size_t>(light)].states(k);
      const double gap = s_stop - a.s - 0.5 * a.length;
      const bool stop = st == v1::SIGNAL_STATE_STOP || (st == v1::SIGNAL_STATE_CAUTION && gap > a.v * a.v / 5.0);
      if (stop && gap > -0.5 && gap < leader.gap) {
        leader.gap = std::max(0.0, gap);
        leader.speed = 0.0;
      }
    }
    const double desired = std::min(a.desired, LimitAhead(a));  // 0 after braking to a stop
    return Idm(a.v, desired, leader.found() ? std::max(0.0, leader.gap) : -1.0, leader.speed);
  }

  void Step(int k) {
    t_ = (k - now_) * kDt;
    // Triggers fire on the state at step k.
    for (Actor& a : actors_) {
      for (size_t i = 0; i < a.triggers.size(); ++i) {
        Trigger& t = a.triggers[i];
        if (t.fired_step >= 0 || !ConditionHolds(a, i, t.spec.when())) continue;
        t.fired_step = k;
        Fire(&a, t.spec.then());
      }
    }
    // Everyone decides from the same state, then moves.
    std::vector<double> accel(actors_.size(), 0.0);
    for (size_t i = 0; i < actors_.size(); ++i) {
      if (actors_[i].on_lanes) accel[i] = Accel(actors_[i], i, k);
    }
    t_ = (k + 1 - now_) * kDt;
    for (size_t i = 0; i < actors_.size(); ++i) {
      Actor& a = actors_[i];
      if (a.on_lanes) {
        a.s += kDt * a.v;
        a.v = std::max(0.0, a.v + kDt * accel[i]);
        if (a.changing) {
          const double tau = std::clamp((t_ - a.lc_t0) / a.lc_duration, 0.0, 1.0);
          a.d = a.lc_d0 * 0.5 * (1.0 + std::cos(kPi * tau));
          if (tau >= 1.0) a.changing = false;
        }
        Record(&a, k + 1, BoxOf(a), a.v);
      } else {
        const double v = a.walking ? a.walk_speed : 0.0;
        if (a.mode == Actor::Mode::kWalk && !a.walking && a.walk_start > 0.0 && t_ >= a.walk_start) a.walking = true;
        a.x += kDt * v * std::cos(a.heading);
        a.y += kDt * v * std::sin(a.heading);
        Record(&a, k + 1, BoxOf(a), v);
      }
    }
  }

  // The logged ego must not collide: it is the expert.
  Result<void> CheckEgoLog() const {
    const Actor& ego = actors_.front();
    for (int k = now_; k < steps_; ++k) {
      const size_t i = static_cast<size_t>(k);
      const Box e{ego.xs[i], ego.ys[i], ego.hs[i], ego.length, ego.width};
      for (size_t j = 1; j < actors_.size(); ++j) {
        const Actor& a = actors_[j];
        if (BoxesOverlap(e, Box{a.xs[i], a.ys[i], a.hs[i], a.length, a.width})) {
          return Fail(a.where, fmt::format("the ego's log collides with '{}' at t = {:.1f} s: make the situation "
                                           "avoidable (more gap, less speed, later trigger)",
                                           a.id, (k - now_) * kDt));
        }
      }
    }
    return {};
  }

  v1::Scenario Assemble() const {
    v1::Scenario s;
    s.set_id(spec_.id());
    s.mutable_time()->set_dt_s(kDt);
    s.mutable_time()->set_num_steps(steps_);
    s.mutable_time()->set_current_step(now_);
    *s.mutable_map() = road_.map;
    s.mutable_map()->set_name(spec_.id());
    for (const v1::TrafficLight& l : road_.lights) *s.add_traffic_lights() = l;
    for (const Actor& a : actors_) {
      v1::Track* t = s.add_tracks();
      t->set_id(a.id);
      t->set_type(a.type);
      // Anything but a plain IDM driver is a script that reactive agent
      // models must replay, or the situation would not happen.
      t->set_scripted(&a != &actors_.front() && (a.mode != Actor::Mode::kIdm || !a.triggers.empty() || a.replay));
      t->set_length_m(a.length);
      t->set_width_m(a.width);
      InitTrack(steps_, t);
      for (int k = 0; k < steps_; ++k) {
        const size_t i = static_cast<size_t>(k);
        t->set_x(k, a.xs[i]);
        t->set_y(k, a.ys[i]);
        t->set_heading(k, WrapAngle(a.hs[i]));
        t->set_vx(k, a.vxs[i]);
        t->set_vy(k, a.vys[i]);
        t->set_valid(k, true);
      }
    }
    const Actor& ego = actors_.front();
    s.mutable_ego()->set_track_id("ego");
    s.mutable_ego()->set_length_m(ego.length);
    s.mutable_ego()->set_width_m(ego.width);
    for (const std::string& id : spec_.ego().route()) s.add_route_lane_ids(id);
    if (spec_.ego().goal_radius_m() > 0.0) {
      // The goal: where the logged ego got to.
      v1::Circle* c = s.mutable_goal()->add_regions()->add_shapes()->mutable_circle();
      c->set_center_x(ego.xs.back());
      c->set_center_y(ego.ys.back());
      c->set_radius(spec_.ego().goal_radius_m());
    }
    v1::Provenance* p = s.mutable_provenance();
    p->set_dataset("tarmac authored scenarios");
    p->set_license("CC0-1.0 (authored with tarmac)");
    p->set_source_id(spec_.id());
    for (const std::string& tag : spec_.tags()) p->add_tags(tag);
    if (!spec_.description().empty()) {
      v1::KeyValue* kv = p->add_notes();
      kv->set_key("description");
      kv->set_value(spec_.description());
    }
    for (const Actor& a : actors_) {
      for (const Trigger& t : a.triggers) {
        v1::KeyValue* kv = p->add_notes();
        kv->set_key("trigger " + t.where);
        kv->set_value(fmt::format("fired at t = {:.1f} s", (t.fired_step - now_) * kDt));
      }
    }
    return s;
  }

  const v1::ScenarioSpec& spec_;
  const SpecLocations* loc_;
  BuiltRoad road_;
  std::unique_ptr<MapIndex> map_;
  std::vector<Actor> actors_;  // the ego first
  int now_ = 0, steps_ = 0;
  double t_ = 0.0;  // seconds after "now"
};

}  // namespace

std::string SpecLocations::Where(const std::string& path) const {
  // Walk "a[1].b.c" through the parse tree, remembering the deepest location.
  const google::protobuf::Descriptor* desc = v1::ScenarioSpec::descriptor();
  const google::protobuf::TextFormat::ParseInfoTree* tree = &tree_;
  google::protobuf::TextFormat::ParseLocation best;
  size_t pos = 0;
  while (pos < path.size() && tree != nullptr && desc != nullptr) {
    size_t end = path.find('.', pos);
    if (end == std::string::npos) end = path.size();
    std::string part = path.substr(pos, end - pos);
    int index = -1;
    if (const size_t br = part.find('['); br != std::string::npos) {
      index = std::atoi(part.c_str() + br + 1);
      part = part.substr(0, br);
    }
    const google::protobuf::FieldDescriptor* field = desc->FindFieldByName(part);
    if (field == nullptr) break;
    const google::protobuf::TextFormat::ParseLocation here = tree->GetLocation(field, field->is_repeated() ? std::max(index, 0) : -1);
    if (here.line >= 0) best = here;
    if (field->type() != google::protobuf::FieldDescriptor::TYPE_MESSAGE) break;
    tree = tree->GetTreeForNested(field, field->is_repeated() ? std::max(index, 0) : -1);
    desc = field->message_type();
    pos = end + 1;
  }
  if (best.line < 0) return file_.empty() ? "" : file_ + ": ";
  return fmt::format("{}:{}:{}: ", file_, best.line + 1, best.column + 1);
}

Result<v1::ScenarioSpec> ParseSpec(std::string_view text, SpecLocations* locations) {
  v1::ScenarioSpec spec;
  google::protobuf::TextFormat::Parser parser;
  ParseErrors errors;
  parser.RecordErrorsTo(&errors);
  if (locations != nullptr) parser.WriteLocationsTo(locations->tree());
  if (!parser.ParseFromString(std::string(text), &spec)) {
    return Error{fmt::format("{}:{}", locations != nullptr ? locations->file() : "spec",
                             errors.first.empty() ? " invalid text format" : errors.first)};
  }
  return spec;
}

Result<v1::Scenario> CompileSpec(const v1::ScenarioSpec& spec, const SpecLocations* locations) {
  Compiler c(spec, locations);
  Result<v1::Scenario> s = c.Run();
  if (!s.ok()) return s;
  s->mutable_provenance()->set_source_format("tarmac-spec");
  if (locations != nullptr) s->mutable_provenance()->set_source_file(locations->file());
  try {
    FinishScenario(&*s);
  } catch (const ImportError& e) {
    return Error{fmt::format("{}: {}", locations != nullptr ? locations->file() : spec.id(), e.what())};
  }
  return s;
}

Result<v1::Scenario> BuildSpecFile(const std::string& path) {
  Result<std::string> bytes = ReadFileBytes(path);
  if (!bytes.ok()) return bytes.error();
  SpecLocations loc(path);
  Result<v1::ScenarioSpec> spec = ParseSpec(*bytes, &loc);
  if (!spec.ok()) return spec.error();
  return CompileSpec(*spec, &loc);
}

}  // namespace tarmac
