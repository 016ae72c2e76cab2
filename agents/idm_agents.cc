#include "agents/idm_agents.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "agents/log_agents.h"
#include "scenarios/import/import_util.h"
#include "sim/geometry.h"
#include "sim/path_leader.h"

namespace tarmac {
namespace {


bool IsStop(v1::SignalState s) {
  return s == v1::SIGNAL_STATE_STOP || s == v1::SIGNAL_STATE_ARROW_STOP ||
         s == v1::SIGNAL_STATE_FLASHING_STOP;
}
bool IsCaution(v1::SignalState s) {
  return s == v1::SIGNAL_STATE_CAUTION || s == v1::SIGNAL_STATE_ARROW_CAUTION;
}

Box AgentBoxAt(const ScenarioModel& m, const SimState& s, int i) {
  const size_t k = static_cast<size_t>(i);
  return Box{s.x[k], s.y[k], s.heading[k], m.agent_length(i), m.agent_width(i)};
}

// The speed limit of the lane of `path` at arc length s, 0 if unknown.
double LaneLimitAt(const ScenarioModel& m, const LanePath& path, double s) {
  const auto it = std::upper_bound(path.lane_start_s.begin(), path.lane_start_s.end(), s);
  const size_t k = it == path.lane_start_s.begin() ? 0 : static_cast<size_t>(it - path.lane_start_s.begin() - 1);
  return k < path.lanes.size() ? m.map().SpeedLimit(path.lanes[k]) : 0.0;
}

// Scratch accelerations, reused across steps (no allocation once warm).
std::vector<double>& Scratch(size_t n) {
  thread_local std::vector<double> buffer;
  if (buffer.size() < n) buffer.resize(n);
  return buffer;
}

}  // namespace

bool IdmAgents::TrySpawn(const ScenarioModel& m, int step, int i, SimState* st) const {
  const size_t k = static_cast<size_t>(i);
  const Box box{m.log_x(step, i), m.log_y(step, i), m.log_heading(step, i), m.agent_length(i),
                m.agent_width(i)};
  if (BoxesOverlap(box, EgoBox(st->ego, m.ego_vehicle()))) return false;
  for (int j = 0; j < st->num_agents(); ++j) {
    if (j != i && st->active(j) && BoxesOverlap(box, AgentBoxAt(m, *st, j))) return false;
  }
  const Path2& path = m.agent_path(i).lanes.path;
  const PathProjection p = path.Project(box.x, box.y);
  st->status[k] = AgentStatus::kActive;
  st->spawn_step[k] = step;
  st->s[k] = p.s;
  st->lateral0[k] = p.d;
  st->x[k] = box.x;
  st->y[k] = box.y;
  st->heading[k] = p.heading;
  const double v = m.log_vx(step, i) * std::cos(box.heading) + m.log_vy(step, i) * std::sin(box.heading);
  st->speed[k] = std::max(0.0, v);
  st->vx[k] = st->speed[k] * std::cos(p.heading);
  st->vy[k] = st->speed[k] * std::sin(p.heading);
  return true;
}

void IdmAgents::Reset(const ScenarioModel& m, SimState* st) const {
  const int t = st->step;
  // Replayed agents first, so reactive spawns see them.
  for (int i = 0; i < m.num_agents(); ++i) {
    if (!m.agent_path(i).usable) ReplayAgent(m, t, i, st);
  }
  for (int i = 0; i < m.num_agents(); ++i) {
    if (!m.agent_path(i).usable || !m.log_valid(t, i)) continue;
    // A vehicle whose spawn spot is taken (by the ego or an earlier agent) is
    // left out of the rollout, as in nuPlan.
    if (!TrySpawn(m, t, i, st)) st->status[static_cast<size_t>(i)] = AgentStatus::kGone;
  }
}

double IdmAgents::Accel(const ScenarioModel& m, const SimState& st, int i,
                        std::span<const Obstacle> obstacles, std::span<const int> owners) const {
  const size_t k = static_cast<size_t>(i);
  const AgentPath& ap = m.agent_path(i);
  const Path2& path = ap.lanes.path;
  const IdmParams& p = params_.idm;
  const double v = st.speed[k];
  const double si = st.s[k];
  const double half_len = 0.5 * m.agent_length(i);
  const double half_wid = 0.5 * m.agent_width(i);

  double v0 = LaneLimitAt(m, ap.lanes, si);
  if (v0 <= 0.0) {
    const int t0 = std::max(st.spawn_step[k], 0);
    v0 = std::max(params_.default_speed, Norm(m.log_vx(t0, i), m.log_vy(t0, i)));
  }
  // Far enough to brake for a standing obstacle from the current speed.
  const double lookahead =
      std::min(250.0, 10.0 + v * p.headway + v * v / std::sqrt(p.max_accel * p.max_decel));

  Follower f;
  f.path = &path;
  f.s = si;
  f.x = st.x[k];
  f.y = st.y[k];
  f.heading = st.heading[k];
  f.half_length = half_len;
  f.half_width = half_wid;
  f.lookahead = lookahead;
  f.Prepare();
  Leader leader;
  for (size_t j = 0; j < obstacles.size(); ++j) {
    if (owners[j] != i) ConsiderLeader(f, obstacles[j], &leader);
  }
  double gap = leader.gap, v_lead = leader.speed;
  for (const auto& [light, s_stop] : ap.stops) {
    const double g = s_stop - si - half_len;
    if (g < -0.5 || g > lookahead) continue;  // passed it, or too far to matter
    const v1::SignalState state = m.LightState(st.step, light);
    const bool must_stop = IsStop(state) || (IsCaution(state) && g > v * v / (2.0 * p.max_decel));
    if (must_stop && g < gap) {
      gap = std::max(g, 0.0);
      v_lead = 0.0;
    }
  }
  return IdmAcceleration(p, v, v0, std::isfinite(gap) ? std::max(gap, 0.0) : -1.0, v_lead);
}

void IdmAgents::Step(const ScenarioModel& m, SimState* st) const {
  const int n = m.num_agents();
  const int next = st->step + 1;
  const double dt = m.dt();
  // Every reactive agent decides from the same state (order-independent).
  // What may block a path: the ego and every active agent, gathered once.
  thread_local std::vector<Obstacle> obstacles;
  thread_local std::vector<int> owners;  // agent index, -1 for the ego
  obstacles.clear();
  owners.clear();
  const Box ego = EgoBox(st->ego, m.ego_vehicle());
  obstacles.push_back({ego.x, ego.y, ego.heading, ego.length, ego.width, st->ego.speed});
  owners.push_back(-1);
  for (int j = 0; j < n; ++j) {
    if (!st->active(j)) continue;
    const size_t q = static_cast<size_t>(j);
    obstacles.push_back({st->x[q], st->y[q], st->heading[q], m.agent_length(j), m.agent_width(j),
                         Norm(st->vx[q], st->vy[q])});
    owners.push_back(j);
  }
  std::vector<double>& accel = Scratch(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    accel[static_cast<size_t>(i)] =
        m.agent_path(i).usable && st->active(i) ? Accel(m, *st, i, obstacles, owners) : 0.0;
  }
  const double decay_steps = std::max(1.0, params_.lateral_decay_s / dt);
  for (int i = 0; i < n; ++i) {
    const size_t k = static_cast<size_t>(i);
    if (!m.agent_path(i).usable) {
      ReplayAgent(m, next, i, st);
      continue;
    }
    if (!st->active(i)) continue;
    const Path2& path = m.agent_path(i).lanes.path;
    st->s[k] += dt * st->speed[k];
    st->speed[k] = std::max(0.0, st->speed[k] + dt * accel[k]);
    if (st->s[k] >= path.length() - params_.path_end_margin) {
      st->status[k] = AgentStatus::kGone;  // drove off the end of its known path
      continue;
    }
    const PathPose pose = path.PoseAt(st->s[k]);
    const double fade = std::max(0.0, 1.0 - (next - st->spawn_step[k]) / decay_steps);
    const double lat = st->lateral0[k] * fade;
    st->x[k] = pose.x - lat * std::sin(pose.heading);
    st->y[k] = pose.y + lat * std::cos(pose.heading);
    st->heading[k] = pose.heading;
    st->vx[k] = st->speed[k] * std::cos(pose.heading);
    st->vy[k] = st->speed[k] * std::sin(pose.heading);
  }
  // Vehicles appearing in the log now join as reactive agents when their spot is free.
  for (int i = 0; i < n; ++i) {
    const size_t k = static_cast<size_t>(i);
    if (!m.agent_path(i).usable || st->status[k] != AgentStatus::kPending || !m.log_valid(next, i)) continue;
    TrySpawn(m, next, i, st);
  }
}

}  // namespace tarmac
