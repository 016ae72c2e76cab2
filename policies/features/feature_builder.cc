#include "policies/features/feature_builder.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "scenarios/import/import_util.h"
#include "sim/actor.h"

namespace tarmac {

static_assert(StateHistory::kCapacity == model_io::kHistorySteps, "the history ring holds one observation's past");

namespace {

namespace io = model_io;

float F(double v) { return static_cast<float>(v); }

// Track index of an entity (kEgoActor or agent index) in scenario().tracks();
// -1 for an ego without a logged track. Agents are the tracks in order with
// the ego's left out (ScenarioModel::BuildLogs).
int TrackOf(const ScenarioModel& m, int entity) {
  const int ego = m.ego_track_index();
  if (entity == kEgoActor) return ego;
  return ego >= 0 && entity >= ego ? entity + 1 : entity;
}

int EntityOfTrack(const ScenarioModel& m, int track) {
  const int ego = m.ego_track_index();
  if (track == ego) return kEgoActor;
  return ego >= 0 && track > ego ? track - 1 : track;
}

v1::TrackType TypeOf(const ScenarioModel& m, int entity) {
  return entity == kEgoActor ? v1::TRACK_TYPE_VEHICLE : m.agent_type(entity);
}

double LengthOf(const ScenarioModel& m, int entity) {
  return entity == kEgoActor ? m.ego_vehicle().length : m.agent_length(entity);
}
double WidthOf(const ScenarioModel& m, int entity) {
  return entity == kEgoActor ? m.ego_vehicle().width : m.agent_width(entity);
}

// Column of the lane-attribute one-hot for a signal state: red for every
// kind of stop (steady, arrow, flashing), yellow for every caution, green for
// go and arrow go, unknown for unknown, off and no signal.
int LightColumn(v1::SignalState s) {
  switch (s) {
    case v1::SIGNAL_STATE_STOP:
    case v1::SIGNAL_STATE_ARROW_STOP:
    case v1::SIGNAL_STATE_FLASHING_STOP:
      return io::kLaneLightRed;
    case v1::SIGNAL_STATE_CAUTION:
    case v1::SIGNAL_STATE_ARROW_CAUTION:
    case v1::SIGNAL_STATE_FLASHING_CAUTION:
      return io::kLaneLightYellow;
    case v1::SIGNAL_STATE_GO:
    case v1::SIGNAL_STATE_ARROW_GO:
      return io::kLaneLightGreen;
    default:
      return io::kLaneLightUnknown;
  }
}

// Normalisation as multiplications (a division costs 10x more; the results
// differ from value / scale by at most an ulp of the double, far below float).
constexpr double kInvPosition = 1.0 / io::kPositionScale;
constexpr double kInvVelocity = 1.0 / io::kVelocityScale;
constexpr double kInvSize = 1.0 / io::kSizeScale;

// cos and sin of a relative heading, in float (what is stored): sincosf is
// 3x cheaper than the double version and these were half the builder's time.
void CosSin(double angle, float* c, float* s) {
  const float a = static_cast<float>(angle);
  *c = std::cos(a);
  *s = std::sin(a);
}

// One entity-step row: x, y, cos h, sin h, vx, vy in the frame, normalised.
void WriteState(const ActorFrame& f, const Kinematics& k, float* row) {
  const Vec2 p = f.PointToLocal(k.x, k.y);
  const Vec2 v = f.VectorToLocal(k.vx, k.vy);
  row[0] = F(p.x * kInvPosition);
  row[1] = F(p.y * kInvPosition);
  CosSin(k.heading - f.heading, &row[2], &row[3]);
  row[4] = F(v.x * kInvVelocity);
  row[5] = F(v.y * kInvVelocity);
}

bool Closer(const auto& a, const auto& b) { return a.d2 != b.d2 ? a.d2 < b.d2 : a.track < b.track; }

}  // namespace

// Where an entity's state at a step comes from: "now" from the SimState (if
// any), steps before log_before from the log, other past steps from the
// simulated history. Never a step after `step`.
struct FeatureBuilder::Source {
  const ScenarioModel* m = nullptr;
  const SimState* state = nullptr;        // null: training, all from the log
  const StateHistory* history = nullptr;  // may be null
  int step = 0;                           // now
  int log_before = 0;                     // past steps < this come from the log

  bool Get(int entity, int t, Kinematics* out) const {
    if (t < 0 || t > step) return false;
    if (state != nullptr && t == step) {
      if (entity == kEgoActor) {
        const Box b = EgoBox(state->ego, m->ego_vehicle());
        *out = {b.x, b.y, b.heading, state->ego.speed * std::cos(b.heading), state->ego.speed * std::sin(b.heading)};
        return true;
      }
      if (!state->active(entity)) return false;
      const size_t k = static_cast<size_t>(entity);
      *out = {state->x[k], state->y[k], state->heading[k], state->vx[k], state->vy[k]};
      return true;
    }
    if (t < log_before) {
      if (entity == kEgoActor) {
        if (!m->has_ego_log()) return false;
        const v1::Track& tr = m->scenario().tracks(m->ego_track_index());
        if (t >= tr.valid_size() || !tr.valid(t)) return false;
        *out = {tr.x(t), tr.y(t), tr.heading(t), tr.vx(t), tr.vy(t)};
        return true;
      }
      if (t >= m->num_log_steps() || !m->log_valid(t, entity)) return false;
      *out = {m->log_x(t, entity), m->log_y(t, entity), m->log_heading(t, entity), m->log_vx(t, entity),
              m->log_vy(t, entity)};
      return true;
    }
    if (history == nullptr) return false;
    return entity == kEgoActor ? history->Ego(t, out) : history->Agent(t, entity, out);
  }
};

FeatureBuilder::FeatureBuilder() {
  movers_.reserve(256);
  statics_.reserve(64);
  lanes_.reserve(256);
}

ActorFrame FeatureBuilder::FrameOf(const ScenarioModel& model, const SimState& state, int actor) {
  const ActorState a = ActorOf(model, state, actor);
  return ActorFrame::At(a.x, a.y, a.heading);
}

Result<void> FeatureBuilder::BuildObservation(const ScenarioModel& model, const SimState& state, int actor,
                                              const StateHistory* history, ObservationView out,
                                              ObservationIndex* index) {
  if (actor != kEgoActor && (actor < 0 || actor >= state.num_agents() || !state.active(actor))) {
    return Error{fmt::format("{}: agent {} is not active at step {}", model.id(), actor, state.step)};
  }
  Source src;
  src.m = &model;
  src.state = &state;
  src.history = history;
  src.step = state.step;
  src.log_before = model.start_step();
  return Build(model, src, actor, out, index);
}

void FeatureBuilder::TrainingTracks(const ScenarioModel& model, int step, std::vector<int>* tracks) {
  tracks->clear();
  const v1::Scenario& s = model.scenario();
  for (int j = 0; j < s.tracks_size(); ++j) {
    const v1::Track& t = s.tracks(j);
    if (t.type() == v1::TRACK_TYPE_VEHICLE && step >= 0 && step < t.valid_size() && t.valid(step)) {
      tracks->push_back(j);
    }
  }
}

Result<void> FeatureBuilder::BuildTrainingSample(const ScenarioModel& model, int step, int track,
                                                 ObservationView obs, TargetView target, ObservationIndex* index) {
  const v1::Scenario& s = model.scenario();
  if (track < 0 || track >= s.tracks_size()) {
    return Error{fmt::format("{}: no track {} (of {})", model.id(), track, s.tracks_size())};
  }
  const v1::Track& t = s.tracks(track);
  if (t.type() != v1::TRACK_TYPE_VEHICLE || step < 0 || step >= t.valid_size() || !t.valid(step)) {
    return Error{fmt::format("{}: track '{}' is not a vehicle valid at step {}", model.id(), t.id(), step)};
  }
  TARMAC_CHECK(target.data.size() == io::kTargetFloats);
  Source src;
  src.m = &model;
  src.step = step;
  src.log_before = step + 1;  // everything up to now from the log
  const int actor = EntityOfTrack(model, track);
  if (Result<void> r = Build(model, src, actor, obs, index); !r.ok()) return r;
  // The target: the only reader of the log after `step`.
  std::fill(target.data.begin(), target.data.end(), 0.0f);
  const ActorFrame frame = ActorFrame::At(t.x(step), t.y(step), t.heading(step));
  for (int h = 0; h < io::kFutureSteps; ++h) {
    const int k = step + 1 + h;
    if (k >= t.valid_size() || !t.valid(k)) continue;
    const Vec2 p = frame.PointToLocal(t.x(k), t.y(k));
    float* row = target.pose(h);
    row[0] = F(p.x);
    row[1] = F(p.y);
    row[2] = F(WrapAngle(t.heading(k) - frame.heading));
    target.mask(h) = 1.0f;
  }
  return {};
}

Result<void> FeatureBuilder::Build(const ScenarioModel& m, const Source& src, int actor, ObservationView out,
                                   ObservationIndex* index) {
  TARMAC_CHECK(out.data.size() == io::kObservationFloats);
  Kinematics self;
  if (!src.Get(actor, src.step, &self)) {
    return Error{fmt::format("{}: the actor is not present at step {}", m.id(), src.step)};
  }
  std::fill(out.data.begin(), out.data.end(), 0.0f);
  if (index != nullptr) {
    index->agent_track.fill(-1);
    index->agent_entity.fill(-1);
    index->lane.fill(-1);
    index->static_track.fill(-1);
    index->num_agents = index->num_lanes = index->num_static = 0;
  }
  const ActorFrame frame = ActorFrame::At(self.x, self.y, self.heading);
  const int T = io::kHistorySteps;

  // The actor itself.
  Kinematics k;
  for (int ti = 0; ti < T; ++ti) {
    if (!src.Get(actor, src.step - (T - 1 - ti), &k)) continue;
    WriteState(frame, k, out.ego_history(ti));
    out.ego_mask(ti) = 1.0f;
  }
  out.ego_attr()[0] = F(LengthOf(m, actor) * kInvSize);
  out.ego_attr()[1] = F(WidthOf(m, actor) * kInvSize);

  // Everything else present now: movers and static objects, nearest first,
  // ties by track index.
  movers_.clear();
  statics_.clear();
  const double r_agent2 = io::kAgentRadiusM * io::kAgentRadiusM;
  const double r_static2 = io::kStaticRadiusM * io::kStaticRadiusM;
  for (int e = kEgoActor; e < m.num_agents(); ++e) {
    if (e == actor || !src.Get(e, src.step, &k)) continue;
    const double dx = k.x - self.x, dy = k.y - self.y;
    const double d2 = dx * dx + dy * dy;
    if (TypeOf(m, e) == v1::TRACK_TYPE_STATIC) {
      if (d2 <= r_static2) statics_.push_back({d2, TrackOf(m, e), e});
    } else if (d2 <= r_agent2) {
      movers_.push_back({d2, TrackOf(m, e), e});
    }
  }
  const size_t num_movers = std::min(movers_.size(), static_cast<size_t>(io::kMaxAgents));
  std::partial_sort(movers_.begin(), movers_.begin() + static_cast<std::ptrdiff_t>(num_movers), movers_.end(),
                    [](const Candidate& a, const Candidate& b) { return Closer(a, b); });
  for (size_t j = 0; j < num_movers; ++j) {
    const int row = static_cast<int>(j);
    const Candidate& c = movers_[j];
    for (int ti = 0; ti < T; ++ti) {
      if (!src.Get(c.entity, src.step - (T - 1 - ti), &k)) continue;
      WriteState(frame, k, out.agent_history(row, ti));
      out.agent_mask(row, ti) = 1.0f;
    }
    float* attr = out.agent_attr(row);
    attr[0] = F(LengthOf(m, c.entity) * kInvSize);
    attr[1] = F(WidthOf(m, c.entity) * kInvSize);
    const v1::TrackType type = TypeOf(m, c.entity);
    attr[2] = type == v1::TRACK_TYPE_VEHICLE ? 1.0f : 0.0f;
    attr[3] = type == v1::TRACK_TYPE_PEDESTRIAN ? 1.0f : 0.0f;
    attr[4] = type == v1::TRACK_TYPE_CYCLIST ? 1.0f : 0.0f;
    out.agent_valid(row) = 1.0f;
    if (index != nullptr) {
      index->agent_track[j] = c.track;
      index->agent_entity[j] = c.entity;
    }
  }
  const size_t num_static = std::min(statics_.size(), static_cast<size_t>(io::kMaxStatic));
  std::partial_sort(statics_.begin(), statics_.begin() + static_cast<std::ptrdiff_t>(num_static), statics_.end(),
                    [](const Candidate& a, const Candidate& b) { return Closer(a, b); });
  for (size_t j = 0; j < num_static; ++j) {
    const Candidate& c = statics_[j];
    src.Get(c.entity, src.step, &k);
    const Vec2 p = frame.PointToLocal(k.x, k.y);
    float* row = out.static_object(static_cast<int>(j));
    row[0] = F(p.x * kInvPosition);
    row[1] = F(p.y * kInvPosition);
    CosSin(k.heading - frame.heading, &row[2], &row[3]);
    row[4] = F(LengthOf(m, c.entity) * kInvSize);
    row[5] = F(WidthOf(m, c.entity) * kInvSize);
    out.static_valid(static_cast<int>(j)) = 1.0f;
    if (index != nullptr) index->static_track[j] = c.track;
  }
  if (index != nullptr) {
    index->num_agents = static_cast<int>(num_movers);
    index->num_static = static_cast<int>(num_static);
  }
  WriteLanes(m, src, actor, frame, out, index);
  return {};
}

void FeatureBuilder::WriteLanes(const ScenarioModel& m, const Source& src, int actor, const ActorFrame& frame,
                                ObservationView out, ObservationIndex* index) {
  const MapIndex& map = m.map();
  lanes_.clear();
  if (map.num_lanes() == 0) return;
  map.LanesNear(frame.x, frame.y, io::kLaneRadiusM, &lanes_);  // by distance, then lane index
  const size_t n = std::min(lanes_.size(), static_cast<size_t>(io::kMaxLanes));

  // The actor's route: the ego's route (and its reference path's lanes); an
  // agent's logged lane path when it has one.
  const size_t num_lanes = static_cast<size_t>(map.num_lanes());
  if (on_route_.size() < num_lanes) on_route_.assign(num_lanes, 0);
  auto mark = [&](std::span<const LaneIdx> lanes, uint8_t v) {
    for (LaneIdx l : lanes) {
      if (l >= 0 && l < map.num_lanes()) on_route_[static_cast<size_t>(l)] = v;
    }
  };
  std::span<const LaneIdx> route_a, route_b;
  if (actor == kEgoActor) {
    route_a = m.route();
    route_b = m.route_path().lanes;
  } else if (m.agent_path(actor).usable) {
    route_a = m.agent_path(actor).lanes.lanes;
  }
  mark(route_a, 1);
  mark(route_b, 1);

  for (size_t j = 0; j < n; ++j) {
    const int row = static_cast<int>(j);
    const LaneIdx lane = lanes_[j].lane;
    const Path2& c = map.Centerline(lane);
    const std::vector<Vec2>& pts = c.points();
    const std::vector<double>& ss = c.s();
    const double length = c.length();
    const double s0 = std::max(0.0, lanes_[j].s - io::kLaneBackM);
    // Points at s0 + p * spacing; the lane's end is the last valid point.
    size_t seg = pts.size() >= 2 ? static_cast<size_t>(c.SegmentAt(s0)) : 0;
    for (int p = 0; p < io::kLanePoints; ++p) {
      const double s_raw = s0 + p * io::kLaneSpacingM;
      if (p > 0 && s_raw - io::kLaneSpacingM >= length) break;
      const double s = std::min(s_raw, length);
      double x = pts[0].x, y = pts[0].y, ux = 1.0, uy = 0.0;
      if (pts.size() >= 2) {
        while (seg + 2 < pts.size() && ss[seg + 1] < s) ++seg;
        const Vec2& a = pts[seg];
        const Vec2& b = pts[seg + 1];
        const double len = ss[seg + 1] - ss[seg];
        const double u = std::clamp((s - ss[seg]) / len, 0.0, 1.0);
        x = a.x + u * (b.x - a.x);
        y = a.y + u * (b.y - a.y);
        ux = (b.x - a.x) / len;
        uy = (b.y - a.y) / len;
      }
      const Vec2 q = frame.PointToLocal(x, y);
      const Vec2 d = frame.VectorToLocal(ux, uy);
      float* pt = out.lane_point(row, p);
      pt[0] = F(q.x * kInvPosition);
      pt[1] = F(q.y * kInvPosition);
      pt[2] = F(d.x);
      pt[3] = F(d.y);
      out.lane_point_mask(row, p) = 1.0f;
    }
    float* attr = out.lane_attr(row);
    const double limit = map.SpeedLimit(lane);
    if (limit > 0.0) {
      attr[io::kLaneSpeedLimit] = F(limit / io::kSpeedLimitScale);
      attr[io::kLaneSpeedLimitKnown] = 1.0f;
    }
    attr[LightColumn(m.LaneSignal(src.step, lane))] = 1.0f;
    attr[io::kLaneOnRoute] = on_route_[static_cast<size_t>(lane)] != 0 ? 1.0f : 0.0f;
    attr[io::kLaneInIntersection] = map.IsIntersection(lane) ? 1.0f : 0.0f;
    out.lane_valid(row) = 1.0f;
    if (index != nullptr) index->lane[j] = lane;
  }
  if (index != nullptr) index->num_lanes = static_cast<int>(n);
  mark(route_a, 0);
  mark(route_b, 0);
}

}  // namespace tarmac
