#include "authoring/plausibility.h"

#include <fmt/format.h>

#include "scenarios/map/map_index.h"
#include "sim/geometry.h"

namespace tarmac {
namespace {

bool ValidAt(const v1::Track& t, int k) { return k >= 0 && k < t.valid_size() && t.valid(k); }

Box TrackBox(const v1::Track& t, int k) { return {t.x(k), t.y(k), t.heading(k), t.length_m(), t.width_m()}; }

}  // namespace

bool IsAuthored(const v1::Scenario& scenario) { return scenario.provenance().source_format() == "tarmac-spec"; }

std::vector<Problem> CheckAuthoredScenario(const v1::Scenario& s) {
  std::vector<Problem> problems;
  const int now = s.time().current_step();
  // Start collisions, each pair once, in track order.
  for (int i = 0; i < s.tracks_size(); ++i) {
    const v1::Track& a = s.tracks(i);
    if (!ValidAt(a, now)) continue;
    for (int j = i + 1; j < s.tracks_size(); ++j) {
      const v1::Track& b = s.tracks(j);
      if (ValidAt(b, now) && BoxesOverlap(TrackBox(a, now), TrackBox(b, now))) {
        problems.push_back({Severity::kError, fmt::format("track '{}' step {}", a.id(), now),
                            fmt::format("starts in collision with track '{}'", b.id())});
      }
    }
  }
  if (s.map().lanes_size() == 0) return problems;
  const MapIndex map(s.map());
  for (const v1::Track& t : s.tracks()) {
    if (!ValidAt(t, now) || (t.type() != v1::TRACK_TYPE_VEHICLE && t.type() != v1::TRACK_TYPE_CYCLIST)) continue;
    const double out = map.DistanceOutsideDrivable(t.x(now), t.y(now));
    if (out > 0.5) {
      problems.push_back({Severity::kError, fmt::format("track '{}' step {}", t.id(), now),
                          fmt::format("starts {:.1f} m off the road", out)});
    }
  }
  // The goal: reachable from the ego's lane through the lane graph.
  const v1::Track* ego = nullptr;
  for (const v1::Track& t : s.tracks()) {
    if (t.id() == s.ego().track_id()) ego = &t;
  }
  if (ego == nullptr || !ValidAt(*ego, now)) return problems;
  const LaneProjection from = map.ProjectWithHeading(ego->x(now), ego->y(now), ego->heading(now));
  for (int r = 0; r < s.goal().regions_size(); ++r) {
    for (const v1::GoalShape& shape : s.goal().regions(r).shapes()) {
      if (!shape.has_circle() || !from.found()) continue;
      const LaneProjection to = map.Project(shape.circle().center_x(), shape.circle().center_y());
      if (!to.found() || to.distance > shape.circle().radius() + 2.0) {
        problems.push_back({Severity::kError, fmt::format("goal region {}", r),
                            fmt::format("its centre ({:.1f}, {:.1f}) is on no lane", shape.circle().center_x(),
                                        shape.circle().center_y())});
      } else if (map.ShortestRoute(from.lane, to.lane).empty()) {
        problems.push_back({Severity::kError, fmt::format("goal region {}", r),
                            fmt::format("lane '{}' cannot be reached from the ego's lane '{}'",
                                        map.LaneId(to.lane), map.LaneId(from.lane))});
      }
    }
  }
  return problems;
}

}  // namespace tarmac
