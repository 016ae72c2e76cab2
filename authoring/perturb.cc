#include "authoring/perturb.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <optional>

#include "scenarios/import/import_util.h"
#include "scenarios/map/map_index.h"
#include "scenarios/splitmix.h"
#include "scenarios/validate.h"
#include "sim/geometry.h"

namespace tarmac {
namespace {

constexpr int kMaxDraws = 60;

bool ValidAt(const v1::Track& t, int k) { return k >= 0 && k < t.valid_size() && t.valid(k); }

Box TrackBox(const v1::Track& t, int k) { return {t.x(k), t.y(k), t.heading(k), t.length_m(), t.width_m()}; }

const v1::Track* FindTrack(const v1::Scenario& s, const std::string& id) {
  for (const v1::Track& t : s.tracks()) {
    if (t.id() == id) return &t;
  }
  return nullptr;
}

// The ego's box at the current step: its logged track, or its initial state.
std::optional<Box> EgoBoxNow(const v1::Scenario& s) {
  const int now = s.time().current_step();
  if (const v1::Track* ego = FindTrack(s, s.ego().track_id()); ego != nullptr && ValidAt(*ego, now)) {
    return TrackBox(*ego, now);
  }
  if (s.ego().has_initial_state()) {
    const v1::EgoInitialState& i = s.ego().initial_state();
    return Box{i.x(), i.y(), i.heading(), s.ego().length_m(), s.ego().width_m()};
  }
  return std::nullopt;
}

// Agents to act on: non-ego, non-static tracks valid now, nearest the ego
// first (ties by id), at most `limit`.
std::vector<const v1::Track*> NearestAgents(const v1::Scenario& s, size_t limit) {
  const int now = s.time().current_step();
  const std::optional<Box> ego = EgoBoxNow(s);
  std::vector<std::pair<double, const v1::Track*>> found;
  for (const v1::Track& t : s.tracks()) {
    if (t.id() == s.ego().track_id() || t.type() == v1::TRACK_TYPE_STATIC || !ValidAt(t, now)) continue;
    const double d = ego ? Norm(t.x(now) - ego->x, t.y(now) - ego->y) : 0.0;
    found.emplace_back(d, &t);
  }
  std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first < b.first : a.second->id() < b.second->id();
  });
  std::vector<const v1::Track*> out;
  for (size_t i = 0; i < found.size() && i < limit; ++i) out.push_back(found[i].second);
  return out;
}

// The track to act on: the named one, or a seeded pick among the nearest.
Result<int> PickAgent(const v1::Scenario& s, const PerturbOptions& o, SplitMix64* rng) {
  if (!o.agent.empty()) {
    if (o.agent == s.ego().track_id()) {
      return Error{fmt::format("--agent '{}' is the ego; {} acts on other agents", o.agent, o.op)};
    }
    for (int i = 0; i < s.tracks_size(); ++i) {
      if (s.tracks(i).id() == o.agent) return i;
    }
    return Error{fmt::format("--agent '{}': no such track in scenario '{}'", o.agent, s.id())};
  }
  const std::vector<const v1::Track*> near = NearestAgents(s, 5);
  if (near.empty()) return Error{fmt::format("scenario '{}' has no agent (besides the ego) at the current step", s.id())};
  const v1::Track* pick = near[rng->Below(near.size())];
  // Repeated message fields are separate allocations: find the index by identity.
  for (int i = 0; i < s.tracks_size(); ++i) {
    if (&s.tracks(i) == pick) return i;
  }
  return Error{"internal: picked track not found"};
}

// The first track (other than `skip` and, unless `with_ego`, the ego) whose
// box overlaps `box` at step k, or nullptr.
const v1::Track* OverlapAt(const v1::Scenario& s, const Box& box, int k, const std::string& skip, bool with_ego) {
  for (const v1::Track& t : s.tracks()) {
    if (t.id() == skip || (!with_ego && t.id() == s.ego().track_id()) || !ValidAt(t, k)) continue;
    if (BoxesOverlap(box, TrackBox(t, k))) return &t;
  }
  return nullptr;
}

// A track starts in collision when it overlaps anything (the ego included) at the current step.
std::string StartCollision(const v1::Scenario& s, const v1::Track& t) {
  const int now = s.time().current_step();
  if (!ValidAt(t, now)) return "";
  if (const v1::Track* other = OverlapAt(s, TrackBox(t, now), now, t.id(), true); other != nullptr) {
    return other->id();
  }
  if (s.ego().track_id().empty()) {
    if (const std::optional<Box> ego = EgoBoxNow(s); ego && BoxesOverlap(*ego, TrackBox(t, now))) return "the ego";
  }
  return "";
}

// ---- shift-time ----------------------------------------------------------

Result<std::string> ShiftTime(v1::Scenario* s, const PerturbOptions& o, SplitMix64* rng) {
  const double dt = s->time().dt_s();
  std::string last;
  for (int draw = 0; draw < kMaxDraws; ++draw) {
    Result<int> index = PickAgent(*s, o, rng);
    if (!index.ok()) return index.error();
    double amount = o.amount;
    if (amount == 0.0) amount = (rng->Unit() < 0.5 ? -1.0 : 1.0) * rng->Uniform(0.5, 2.0);
    const int shift = static_cast<int>(std::lround(amount / dt));
    if (shift == 0) return Error{fmt::format("--amount {} s is less than one step ({} s)", amount, dt)};
    const v1::Track original = s->tracks(*index);
    v1::Track shifted = original;
    const int n = s->time().num_steps();
    int valid = 0;
    for (int k = 0; k < n; ++k) {
      const int from = k - shift;
      const bool ok = ValidAt(original, from);
      shifted.set_valid(k, ok);
      shifted.set_x(k, ok ? original.x(from) : 0.0);
      shifted.set_y(k, ok ? original.y(from) : 0.0);
      shifted.set_heading(k, ok ? original.heading(from) : 0.0);
      shifted.set_vx(k, ok ? original.vx(from) : 0.0);
      shifted.set_vy(k, ok ? original.vy(from) : 0.0);
      valid += ok ? 1 : 0;
    }
    shifted.set_scripted(true);
    *s->mutable_tracks(*index) = shifted;
    std::string hit = valid == 0 ? "(shifted out of the log)" : StartCollision(*s, shifted);
    if (hit.empty()) {
      return fmt::format("track '{}' {} by {:.1f} s ({} steps)", original.id(), shift > 0 ? "later" : "earlier",
                         std::abs(shift) * dt, std::abs(shift));
    }
    *s->mutable_tracks(*index) = original;
    last = fmt::format("shifting '{}' by {:+.1f} s starts it in collision with {}", original.id(), shift * dt, hit);
    if (!o.agent.empty() && o.amount != 0.0) break;  // nothing left to draw
  }
  return Error{fmt::format("scenario '{}': no valid shift-time found ({})", s->id(), last)};
}

// ---- scale-speed ---------------------------------------------------------

Result<std::string> ScaleSpeed(v1::Scenario* s, const PerturbOptions& o, SplitMix64* rng) {
  Result<int> index = PickAgent(*s, o, rng);
  if (!index.ok()) return index.error();
  double f = o.amount;
  if (f == 0.0) f = rng->Unit() < 0.5 ? rng->Uniform(0.6, 0.85) : rng->Uniform(1.15, 1.4);
  if (!(f > 0.0 && f <= 5.0)) return Error{fmt::format("--amount {} must be a speed factor in (0, 5]", f)};
  const v1::Track original = s->tracks(*index);
  v1::Track& t = *s->mutable_tracks(*index);
  t.set_scripted(true);
  const int n = s->time().num_steps(), now = s->time().current_step();
  for (int k = 0; k < n; ++k) {
    // Step k of the new track is time u of the old one.
    const double u = now + (k - now) * f;
    const int i = static_cast<int>(std::floor(u));
    const double w = u - i;
    const bool exact = w < 1e-9;
    const bool ok = ValidAt(original, i) && (exact || ValidAt(original, i + 1));
    t.set_valid(k, ok);
    if (!ok) {
      t.set_x(k, 0.0), t.set_y(k, 0.0), t.set_heading(k, 0.0), t.set_vx(k, 0.0), t.set_vy(k, 0.0);
      continue;
    }
    const int j = exact ? i : i + 1;
    auto lerp = [w](double a, double b) { return a + w * (b - a); };
    t.set_x(k, lerp(original.x(i), original.x(j)));
    t.set_y(k, lerp(original.y(i), original.y(j)));
    t.set_heading(k, WrapAngle(original.heading(i) + w * WrapAngle(original.heading(j) - original.heading(i))));
    t.set_vx(k, f * lerp(original.vx(i), original.vx(j)));
    t.set_vy(k, f * lerp(original.vy(i), original.vy(j)));
  }
  return fmt::format("track '{}' drives its logged path at {:.2f}x its speed", original.id(), f);
}

// ---- inject-agent --------------------------------------------------------

// The ego's path ahead from its current position, with the time the logged
// ego reaches each point (or an estimate from its speed without a log).
struct EgoPath {
  Path2 path;
  std::vector<double> arrival_s;  // per path point [s after now]
  double speed_now = 0.0;         // [m/s]
};

Result<EgoPath> BuildEgoPath(const v1::Scenario& s, const MapIndex& map) {
  const int now = s.time().current_step(), n = s.time().num_steps();
  const double dt = s.time().dt_s();
  EgoPath logged;
  std::vector<Vec2> points;
  if (const v1::Track* ego = FindTrack(s, s.ego().track_id()); ego != nullptr && ValidAt(*ego, now)) {
    logged.speed_now = Norm(ego->vx(now), ego->vy(now));
    for (int k = now; k < n; ++k) {
      if (!ValidAt(*ego, k)) continue;
      if (!points.empty() && Norm(ego->x(k) - points.back().x, ego->y(k) - points.back().y) < 0.3) continue;
      points.push_back({ego->x(k), ego->y(k)});
      logged.arrival_s.push_back((k - now) * dt);
    }
  } else if (s.ego().has_initial_state()) {
    logged.speed_now = s.ego().initial_state().speed();
  }
  if (points.size() >= 2) logged.path = Path2(points);
  if (logged.path.length() >= 70.0) return logged;
  // A short or missing log: follow the lanes ahead of the ego instead.
  const std::optional<Box> ego = EgoBoxNow(s);
  if (!ego) return Error{fmt::format("scenario '{}': the ego has no state at the current step", s.id())};
  const LaneProjection p = map.ProjectWithHeading(ego->x, ego->y, ego->heading);
  if (p.found() && p.distance < 5.0) {
    std::vector<LaneIdx> route;
    for (const std::string& id : s.route_lane_ids()) {
      if (const LaneIdx l = map.LaneIndexOf(id); l != kNoLane) route.push_back(l);
    }
    LanePath lanes = map.FollowLanes(p.lane, p.s, 100.0, route);
    if (lanes.path.length() > logged.path.length()) {
      EgoPath ahead;
      ahead.speed_now = logged.speed_now;
      ahead.path = std::move(lanes.path);
      for (double arc : ahead.path.s()) ahead.arrival_s.push_back(arc / std::max(ahead.speed_now, 3.0));
      return ahead;
    }
  }
  if (logged.path.length() < 15.0) {
    return Error{fmt::format("scenario '{}': the ego's path ahead is only {:.1f} m long, too short to place an "
                             "agent on",
                             s.id(), logged.path.length())};
  }
  return logged;
}

double ArrivalAt(const EgoPath& e, double arc) {
  const std::vector<double>& s = e.path.s();
  const auto it = std::lower_bound(s.begin(), s.end(), arc);
  if (it == s.end()) return e.arrival_s.back();
  return e.arrival_s[static_cast<size_t>(it - s.begin())];
}

void SetState(v1::Track* t, int k, double x, double y, double h, double vx, double vy) {
  t->set_x(k, x), t->set_y(k, y), t->set_heading(k, h), t->set_vx(k, vx), t->set_vy(k, vy);
  t->set_valid(k, true);
}

std::string UniqueId(const v1::Scenario& s, const std::string& base) {
  std::string id = base;
  for (int i = 2; FindTrack(s, id) != nullptr; ++i) id = fmt::format("{}-{}", base, i);
  return id;
}

// Logged agents whose boxes overlap `t` at any step after now (the ego excepted).
std::vector<std::string> CrossedBy(const v1::Scenario& s, const v1::Track& t) {
  std::vector<std::string> ids;
  for (const v1::Track& other : s.tracks()) {
    if (other.id() == t.id() || other.id() == s.ego().track_id()) continue;
    for (int k = s.time().current_step(); k < s.time().num_steps(); ++k) {
      if (ValidAt(other, k) && ValidAt(t, k) && BoxesOverlap(TrackBox(other, k), TrackBox(t, k))) {
        ids.push_back(other.id());
        break;
      }
    }
  }
  return ids;
}

Result<std::string> InjectKind(v1::Scenario* s, const std::string& kind, const EgoPath& e, SplitMix64* rng);

Result<std::string> InjectAgent(v1::Scenario* s, const PerturbOptions& o, SplitMix64* rng) {
  if (!o.agent.empty()) return Error{"inject-agent adds a new agent; --agent does not apply"};
  if (!o.kind.empty() && o.kind != "stopped-vehicle" && o.kind != "jaywalker") {
    return Error{fmt::format("--kind '{}' is not one of: stopped-vehicle, jaywalker", o.kind)};
  }
  const MapIndex map(s->map());
  Result<EgoPath> ego_path = BuildEgoPath(*s, map);
  if (!ego_path.ok()) return ego_path.error();
  const EgoPath& e = *ego_path;
  const std::string first = !o.kind.empty() ? o.kind : (rng->Unit() < 0.5 ? "stopped-vehicle" : "jaywalker");
  Result<std::string> done = InjectKind(s, first, e, rng);
  // Without --kind, the other kind when the drawn one finds no place (a
  // jaywalker needs the ego to be a few seconds away).
  if (!done.ok() && o.kind.empty()) {
    done = InjectKind(s, first == "jaywalker" ? "stopped-vehicle" : "jaywalker", e, rng);
  }
  return done;
}

Result<std::string> InjectKind(v1::Scenario* s, const std::string& kind, const EgoPath& e, SplitMix64* rng) {
  const std::optional<Box> ego = EgoBoxNow(*s);
  const int n = s->time().num_steps(), now = s->time().current_step();
  const double dt = s->time().dt_s();
  // Jaywalkers may be placed farther ahead: they need the ego seconds away.
  const double max_arc = std::min(kind == "jaywalker" ? 150.0 : 60.0, e.path.length() - 5.0);
  // Strict draws first (no logged agent ever touches the new one); then
  // draws where logged agents pass through it later on, which reactive
  // agents (--agents idm) avoid and log replay does not.
  std::string last;
  for (int draw = 0; draw < 2 * kMaxDraws; ++draw) {
    const bool strict = draw < kMaxDraws;
    const double arc = rng->Uniform(std::min(12.0, max_arc), max_arc);
    const PathPose at = e.path.PoseAt(arc);
    v1::Track t;
    InitTrack(n, &t);
    t.set_scripted(true);
    std::string what;
    if (kind == "stopped-vehicle") {
      t.set_id(UniqueId(*s, "injected-stopped-vehicle"));
      t.set_type(v1::TRACK_TYPE_VEHICLE);
      t.set_source_type("injected stopped vehicle");
      t.set_length_m(4.6), t.set_width_m(1.9), t.set_height_m(1.6);
      for (int k = 0; k < n; ++k) SetState(&t, k, at.x, at.y, at.heading, 0.0, 0.0);
      what = fmt::format("a stopped vehicle '{}' on the ego's path {:.0f} m ahead", t.id(), arc);
    } else {
      t.set_id(UniqueId(*s, "injected-jaywalker"));
      t.set_type(v1::TRACK_TYPE_PEDESTRIAN);
      t.set_source_type("injected jaywalker");
      t.set_length_m(0.6), t.set_width_m(0.6), t.set_height_m(1.7);
      const double side = rng->Unit() < 0.5 ? -1.0 : 1.0, offset = rng->Uniform(4.0, 6.0);
      const double speed = rng->Uniform(1.2, 1.8), gap = rng->Uniform(1.0, 2.5);
      const double nx = -std::sin(at.heading), ny = std::cos(at.heading);  // left normal
      const double x0 = at.x + side * offset * nx, y0 = at.y + side * offset * ny;
      const double dx = -side * nx, dy = -side * ny, h = std::atan2(dy, dx);
      const double start_walking = ArrivalAt(e, arc) - gap - offset / speed;  // [s after now]
      if (start_walking < 0.5) {
        last = fmt::format("the ego reaches {:.0f} m too soon for a pedestrian to step out", arc);
        continue;
      }
      for (int k = 0; k < n; ++k) {
        const double walked = std::clamp((k - now) * dt - start_walking, 0.0, 2.0 * offset / speed) * speed;
        const bool moving = walked > 0.0 && walked < 2.0 * offset;
        SetState(&t, k, x0 + dx * walked, y0 + dy * walked, h, moving ? dx * speed : 0.0, moving ? dy * speed : 0.0);
      }
      what = fmt::format("a pedestrian '{}' stepping out {:.1f} s after the start, crossing the ego's path {:.0f} m "
                         "ahead {:.1f} s before the logged ego gets there",
                         t.id(), start_walking, arc, gap);
    }
    if (ego && BoxDistance(*ego, TrackBox(t, now)) < 3.0) {
      last = "too close to the ego at the start";
      continue;
    }
    if (const std::string hit = StartCollision(*s, t); !hit.empty()) {
      last = fmt::format("it would start in collision with '{}'", hit);
      continue;
    }
    const std::vector<std::string> crossed = CrossedBy(*s, t);
    if (strict && !crossed.empty()) {
      last = fmt::format("logged agent '{}' passes through it", crossed.front());
      continue;
    }
    if (!crossed.empty()) {
      std::string list;
      for (const std::string& id : crossed) list += (list.empty() ? "" : ", ") + id;
      what += fmt::format("; logged agents pass through it ({}): evaluate with --agents idm", list);
    }
    *s->add_tracks() = std::move(t);
    return what;
  }
  return Error{fmt::format("scenario '{}': no place for a {} on the ego's path ({})", s->id(), kind, last)};
}

// ---- remove-agent --------------------------------------------------------

Result<std::string> RemoveAgent(v1::Scenario* s, const PerturbOptions& o, SplitMix64* rng) {
  Result<int> index = PickAgent(*s, o, rng);
  if (!index.ok()) return index.error();
  const std::string id = s->tracks(*index).id();
  s->mutable_tracks()->DeleteSubrange(*index, 1);
  auto* predict = s->mutable_tracks_to_predict();
  predict->erase(std::remove(predict->begin(), predict->end(), id), predict->end());
  return fmt::format("track '{}' removed", id);
}

// ---- mirror --------------------------------------------------------------

void MirrorLine(v1::Polyline* p) {
  for (int i = 0; i < p->y_size(); ++i) p->set_y(i, -p->y(i));
}

Result<std::string> Mirror(v1::Scenario* s) {
  for (v1::Track& t : *s->mutable_tracks()) {
    for (int k = 0; k < t.y_size(); ++k) {
      t.set_y(k, -t.y(k));
      t.set_heading(k, WrapAngle(-t.heading(k)));
      t.set_vy(k, -t.vy(k));
    }
  }
  if (s->ego().has_initial_state()) {
    v1::EgoInitialState* i = s->mutable_ego()->mutable_initial_state();
    i->set_y(-i->y());
    i->set_heading(WrapAngle(-i->heading()));
    i->set_yaw_rate(-i->yaw_rate());
    i->set_slip_angle(-i->slip_angle());
  }
  v1::Map* m = s->mutable_map();
  for (v1::Lane& l : *m->mutable_lanes()) {
    MirrorLine(l.mutable_centerline());
    MirrorLine(l.mutable_left_boundary());
    MirrorLine(l.mutable_right_boundary());
    // Seen along the driving direction, left and right trade places.
    l.mutable_left_boundary()->Swap(l.mutable_right_boundary());
    l.mutable_left_neighbors()->Swap(l.mutable_right_neighbors());
    std::string left = l.left_marking();
    l.set_left_marking(l.right_marking());
    l.set_right_marking(left);
  }
  for (v1::RoadEdge& r : *m->mutable_road_edges()) MirrorLine(r.mutable_polyline());
  for (v1::RoadLine& r : *m->mutable_road_lines()) MirrorLine(r.mutable_polyline());
  for (v1::Crosswalk& c : *m->mutable_crosswalks()) MirrorLine(c.mutable_polygon());
  for (v1::StopLine& l : *m->mutable_stop_lines()) MirrorLine(l.mutable_polyline());
  for (v1::StopSign& sign : *m->mutable_stop_signs()) sign.set_y(-sign.y());
  for (v1::AreaFeature& a : *m->mutable_areas()) MirrorLine(a.mutable_polygon());
  for (v1::TrafficLight& l : *s->mutable_traffic_lights()) l.set_stop_y(-l.stop_y());
  for (v1::GoalRegion& g : *s->mutable_goal()->mutable_regions()) {
    for (v1::GoalShape& shape : *g.mutable_shapes()) {
      if (shape.has_rectangle()) {
        shape.mutable_rectangle()->set_center_y(-shape.rectangle().center_y());
        shape.mutable_rectangle()->set_orientation(WrapAngle(-shape.rectangle().orientation()));
      }
      if (shape.has_circle()) shape.mutable_circle()->set_center_y(-shape.circle().center_y());
      if (shape.has_polygon()) MirrorLine(shape.mutable_polygon());
    }
    if (g.has_heading()) {
      const double lo = g.heading().min(), hi = g.heading().max();
      g.mutable_heading()->set_min(-hi);
      g.mutable_heading()->set_max(-lo);
    }
  }
  return std::string("the scene reflected across the x axis (y -> -y)");
}

}  // namespace

const std::vector<std::string>& PerturbOps() {
  static const std::vector<std::string> ops = {"shift-time", "scale-speed", "inject-agent", "remove-agent", "mirror"};
  return ops;
}

Result<v1::Scenario> Perturb(const v1::Scenario& scenario, const PerturbOptions& options) {
  v1::Scenario s = scenario;
  SplitMix64 rng(options.seed ^ 0x7A3C5E1F2B4D6987ULL);
  Result<std::string> what = Error{""};
  if (options.op == "shift-time") {
    what = ShiftTime(&s, options, &rng);
  } else if (options.op == "scale-speed") {
    what = ScaleSpeed(&s, options, &rng);
  } else if (options.op == "inject-agent") {
    what = InjectAgent(&s, options, &rng);
  } else if (options.op == "remove-agent") {
    what = RemoveAgent(&s, options, &rng);
  } else if (options.op == "mirror") {
    what = Mirror(&s);
  } else {
    std::string names;
    for (const std::string& op : PerturbOps()) names += (names.empty() ? "" : ", ") + op;
    return Error{fmt::format("--op '{}' is not one of: {}", options.op, names)};
  }
  if (!what.ok()) return what.error();
  s.set_id(fmt::format("{}~{}-{}", scenario.id(), options.op, options.seed));
  v1::Provenance* p = s.mutable_provenance();
  p->add_tags("perturbed");
  v1::KeyValue* note = p->add_notes();
  note->set_key(fmt::format("perturbed ({} --seed {})", options.op, options.seed));
  note->set_value(*what);
  const std::vector<Problem> problems = ValidateScenario(s);
  if (CountErrors(problems) > 0) {
    for (const Problem& problem : problems) {
      if (problem.severity == Severity::kError) {
        return Error{fmt::format("scenario '{}' after {}: {}: {}", scenario.id(), options.op, problem.where,
                                 problem.what)};
      }
    }
  }
  return s;
}

}  // namespace tarmac
