#include "metrics/compliance.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace tarmac {

double DrivableAreaCompliance(const RolloutTrace& trace, const MetricParams& p, double* worst,
                              MetricEvents* events) {
  double max_off = 0.0;
  bool was_off = false;
  for (const EgoSample& e : trace.ego) {
    max_off = std::max(max_off, e.offroad_m);
    const bool off = e.offroad_m > p.max_offroad;
    if (off && !was_off && events != nullptr) events->push_back({e.step, "off_road", "", "", "", e.offroad_m});
    was_off = off;
  }
  if (worst != nullptr) *worst = max_off;
  return max_off > p.max_offroad ? 0.0 : 1.0;
}

double DrivingDirectionCompliance(const RolloutTrace& trace, double dt, const MetricParams& p, double* worst,
                                  MetricEvents* events) {
  const std::vector<EgoSample>& ego = trace.ego;
  const size_t n = ego.size();
  std::vector<double> progress(n, 0.0);
  for (size_t i = 1; i < n; ++i) {
    // Progress only while staying on the same lane (a lane change restarts it).
    if (ego[i].lane_under != kNoLane && ego[i].lane_under == ego[i - 1].lane_under) {
      progress[i] = ego[i].lane_under_s - ego[i - 1].lane_under_s;
    }
  }
  const size_t window = static_cast<size_t>(std::max(1L, std::lround(p.direction_window_s / dt)));
  double min_sum = 0.0, sum = 0.0;
  int worst_step = -1;
  for (size_t i = 0; i < n; ++i) {
    sum += progress[i];
    if (i > window) sum -= progress[i - window - 1];  // window of window + 1 samples
    if (sum < min_sum) {
      min_sum = sum;
      worst_step = ego[i].step;
    }
  }
  const double m = -min_sum;
  if (worst != nullptr) *worst = m;
  if (m >= p.direction_compliant && events != nullptr) {
    events->push_back({worst_step, "against_traffic", "", "", "", m});
  }
  return m < p.direction_compliant ? 1.0 : (m < p.direction_violation ? 0.5 : 0.0);
}

double SpeedLimitCompliance(const ScenarioModel& m, const RolloutTrace& trace, const MetricParams& p,
                            double* worst) {
  double integral = 0.0, max_over = 0.0;
  for (const EgoSample& e : trace.ego) {
    const LaneIdx lane = e.lane_under != kNoLane ? e.lane_under : e.lane;
    const double limit = lane != kNoLane ? m.map().SpeedLimit(lane) : 0.0;
    if (limit <= 0.0) continue;
    const double over = std::max(0.0, std::abs(e.speed) - limit);
    integral += over * m.dt();
    max_over = std::max(max_over, over);
  }
  if (worst != nullptr) *worst = max_over;
  const double duration = trace.ego.size() > 1 ? static_cast<double>(trace.ego.size() - 1) * m.dt() : 0.0;
  if (integral == 0.0 || duration <= 0.0) return 1.0;
  return std::max(0.0, 1.0 - integral / (p.max_overspeed * duration));
}

int RedLightViolations(const ScenarioModel& m, const RolloutTrace& trace, MetricEvents* events) {
  const v1::Scenario& s = m.scenario();
  if (s.traffic_lights_size() == 0 || trace.ego.size() < 2) return 0;
  const double front = 0.5 * m.ego_vehicle().length;
  int violations = 0;
  for (int l = 0; l < s.traffic_lights_size(); ++l) {
    const v1::TrafficLight& light = s.traffic_lights(l);
    if (!light.has_stop_point()) continue;
    std::vector<LaneIdx> lanes;
    for (const std::string& id : light.lane_ids()) {
      if (const LaneIdx lane = m.map().LaneIndexOf(id); lane != kNoLane) lanes.push_back(lane);
    }
    for (size_t k = 1; k < trace.ego.size(); ++k) {
      const EgoSample& e = trace.ego[k];
      const EgoSample& prev = trace.ego[k - 1];
      if (std::find(lanes.begin(), lanes.end(), prev.lane) == lanes.end()) continue;
      const v1::SignalState st = m.LightState(e.step, l);
      if (st != v1::SIGNAL_STATE_STOP && st != v1::SIGNAL_STATE_ARROW_STOP && st != v1::SIGNAL_STATE_FLASHING_STOP) {
        continue;
      }
      // Did the front bumper pass the stop point along the lane this step?
      const Path2& c = m.map().Centerline(prev.lane);
      const PathProjection stop = c.Project(light.stop_x(), light.stop_y());
      if (stop.distance > 4.0) continue;
      const double before = c.Project(prev.x, prev.y).s + front;
      const double after = c.Project(e.x, e.y).s + front;
      if (before < stop.s && after >= stop.s) {
        ++violations;
        if (events != nullptr) {
          events->push_back({e.step, "red_light", "", "", fmt::format("traffic light {}", light.id()), e.speed});
        }
      }
    }
  }
  return violations;
}

}  // namespace tarmac
