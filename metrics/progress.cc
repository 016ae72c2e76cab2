#include "metrics/progress.h"

#include <algorithm>
#include <cmath>

#include "scenarios/import/import_util.h"
#include "sim/geometry.h"

namespace tarmac {

ProgressSummary ScoreProgress(const ScenarioModel& m, const RolloutTrace& trace, const MetricParams& p) {
  ProgressSummary out;
  const Path2& route = m.route_path().path;
  if (trace.ego.empty() || route.points().size() < 2) return out;
  out.ego_m = trace.ego.back().route_s - trace.ego.front().route_s;
  if (m.has_ego_log()) {
    const v1::Track& log = m.scenario().tracks(m.ego_track_index());
    int first = -1, last = -1;
    for (const EgoSample& e : trace.ego) {
      if (!log.valid(e.step)) continue;
      if (first < 0) first = e.step;
      last = e.step;
    }
    if (first >= 0) {
      out.reference_m = route.Project(log.x(last), log.y(last)).s - route.Project(log.x(first), log.y(first)).s;
    }
  } else {
    // The goal's nearest point on the route path.
    double goal_s = -1.0;
    for (const v1::GoalRegion& g : m.scenario().goal().regions()) {
      for (const v1::GoalShape& shape : g.shapes()) {
        double x = 0, y = 0;
        if (shape.has_rectangle()) {
          x = shape.rectangle().center_x();
          y = shape.rectangle().center_y();
        } else if (shape.has_circle()) {
          x = shape.circle().center_x();
          y = shape.circle().center_y();
        } else if (shape.has_polygon() && shape.polygon().x_size() > 0) {
          x = shape.polygon().x(0);
          y = shape.polygon().y(0);
        } else {
          continue;
        }
        goal_s = std::max(goal_s, route.Project(x, y).s);
      }
      for (const std::string& id : g.lane_ids()) {
        const LaneIdx lane = m.map().LaneIndexOf(id);
        const auto it = std::find(m.route_path().lanes.begin(), m.route_path().lanes.end(), lane);
        if (it == m.route_path().lanes.end()) continue;
        const size_t k = static_cast<size_t>(it - m.route_path().lanes.begin());
        goal_s = std::max(goal_s, m.route_path().lane_start_s[k]);  // reaching the lane is enough
      }
    }
    if (goal_s < 0.0) return out;  // no goal: nothing to compare with
    out.against_goal = true;
    out.reference_m = goal_s - trace.ego.front().route_s;
  }
  if (out.ego_m < -p.progress_floor) {
    out.ratio = 0.0;
  } else {
    out.ratio = std::min(1.0, std::max(out.ego_m, p.progress_floor) / std::max(out.reference_m, p.progress_floor));
  }
  out.making_progress = out.ratio >= p.min_progress_ratio ? 1.0 : 0.0;
  return out;
}

namespace {

bool InShape(const v1::GoalShape& shape, double x, double y) {
  if (shape.has_rectangle()) {
    const v1::Rectangle& r = shape.rectangle();
    const double c = std::cos(r.orientation()), s = std::sin(r.orientation());
    const double dx = x - r.center_x(), dy = y - r.center_y();
    return std::abs(c * dx + s * dy) <= 0.5 * r.length() && std::abs(-s * dx + c * dy) <= 0.5 * r.width();
  }
  if (shape.has_circle()) {
    const v1::Circle& c = shape.circle();
    return Norm(x - c.center_x(), y - c.center_y()) <= c.radius();
  }
  if (shape.has_polygon()) {
    std::vector<Vec2> poly;
    for (int i = 0; i < shape.polygon().x_size() && i < shape.polygon().y_size(); ++i) {
      poly.push_back({shape.polygon().x(i), shape.polygon().y(i)});
    }
    return poly.size() >= 3 && PointInPolygon(x, y, poly);
  }
  return false;
}

// Heading within [min, max], both taken modulo 2 pi.
bool HeadingIn(const v1::Interval& iv, double h) {
  const double width = iv.max() - iv.min();
  if (width >= 2.0 * M_PI) return true;
  const double rel = std::fmod(std::fmod(h - iv.min(), 2.0 * M_PI) + 2.0 * M_PI, 2.0 * M_PI);
  return rel <= width + 1e-9;
}

bool Satisfies(const ScenarioModel& m, const v1::GoalRegion& g, const EgoSample& e) {
  if (g.has_steps() && (e.step < g.steps().min() || e.step > g.steps().max())) return false;
  if (g.has_speed() && (e.speed < g.speed().min() || e.speed > g.speed().max())) return false;
  if (g.has_heading() && !HeadingIn(g.heading(), e.heading)) return false;
  if (g.shapes_size() > 0) {
    for (const v1::GoalShape& s : g.shapes()) {
      if (InShape(s, e.x, e.y)) return true;
    }
    return false;
  }
  for (const std::string& id : g.lane_ids()) {
    const LaneIdx lane = m.map().LaneIndexOf(id);
    if (lane != kNoLane && m.map().InsideLane(lane, e.x, e.y)) return true;
  }
  return g.lane_ids_size() == 0;
}

}  // namespace

double GoalReached(const ScenarioModel& m, const RolloutTrace& trace, MetricEvents* events) {
  const v1::Goal& goal = m.scenario().goal();
  if (goal.regions_size() == 0) return kNaN;
  for (const EgoSample& e : trace.ego) {
    for (const v1::GoalRegion& g : goal.regions()) {
      if (!Satisfies(m, g, e)) continue;
      if (events != nullptr) events->push_back({e.step, "goal_reached", "", "", "", e.speed});
      return 1.0;
    }
  }
  return 0.0;
}

void DisplacementFromLog(const ScenarioModel& m, const RolloutTrace& trace, double* ade, double* fde) {
  *ade = *fde = kNaN;
  if (!m.has_ego_log()) return;
  const v1::Track& log = m.scenario().tracks(m.ego_track_index());
  double sum = 0.0;
  int n = 0;
  for (const EgoSample& e : trace.ego) {
    if (!log.valid(e.step)) continue;
    const double d = Norm(e.x - log.x(e.step), e.y - log.y(e.step));
    sum += d;
    ++n;
    *fde = d;
  }
  if (n > 0) *ade = sum / n;
}

double MinDistanceToAgents(const RolloutTrace& trace) {
  double best = kNaN;
  for (const EgoSample& e : trace.ego) {
    if (e.nearest_agent < 0) continue;
    best = std::isnan(best) ? e.min_gap_m : std::min(best, e.min_gap_m);
  }
  return best;
}

}  // namespace tarmac
