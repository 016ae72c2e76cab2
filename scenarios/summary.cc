#include "scenarios/summary.h"

#include <algorithm>
#include <fmt/format.h>
#include <limits>

namespace tarmac {
namespace {

struct Extent {
  double min_x = std::numeric_limits<double>::infinity();
  double min_y = std::numeric_limits<double>::infinity();
  double max_x = -std::numeric_limits<double>::infinity();
  double max_y = -std::numeric_limits<double>::infinity();
  void Add(double x, double y) {
    min_x = std::min(min_x, x);
    min_y = std::min(min_y, y);
    max_x = std::max(max_x, x);
    max_y = std::max(max_y, y);
  }
  void Add(const v1::Polyline& p) {
    for (int i = 0; i < p.x_size() && i < p.y_size(); ++i) Add(p.x(i), p.y(i));
  }
  bool empty() const { return min_x > max_x; }
};

}  // namespace

const char* TrackTypeName(v1::TrackType type) {
  switch (type) {
    case v1::TRACK_TYPE_VEHICLE: return "vehicle";
    case v1::TRACK_TYPE_PEDESTRIAN: return "pedestrian";
    case v1::TRACK_TYPE_CYCLIST: return "cyclist";
    case v1::TRACK_TYPE_STATIC: return "static";
    case v1::TRACK_TYPE_OTHER: return "other";
    default: return "unspecified";
  }
}

ScenarioSummary Summarize(const v1::Scenario& s) {
  ScenarioSummary out;
  out.id = s.id();
  out.format = s.provenance().source_format();
  out.dataset = s.provenance().dataset();
  out.license = s.provenance().license();
  out.map_name = s.map().name();
  out.dt_s = s.time().dt_s();
  out.num_steps = s.time().num_steps();
  out.current_step = s.time().current_step();
  out.duration_s = std::max(0, out.num_steps - 1) * out.dt_s;
  out.num_tracks = s.tracks_size();
  Extent extent;
  for (const v1::Track& t : s.tracks()) {
    const int type = std::clamp(static_cast<int>(t.type()), 0, 5);
    ++out.tracks_by_type[static_cast<size_t>(type)];
    for (int i = 0; i < t.valid_size() && i < t.x_size() && i < t.y_size(); ++i) {
      if (t.valid(i)) extent.Add(t.x(i), t.y(i));
    }
  }
  if (!s.ego().track_id().empty()) {
    out.ego = "track " + s.ego().track_id();
  } else if (s.ego().has_initial_state()) {
    out.ego = fmt::format("initial state at step {}", s.ego().initial_state().step());
    extent.Add(s.ego().initial_state().x(), s.ego().initial_state().y());
  } else {
    out.ego = "none";
  }
  const v1::Map& m = s.map();
  out.num_lanes = m.lanes_size();
  out.num_road_edges = m.road_edges_size();
  out.num_road_lines = m.road_lines_size();
  out.num_crosswalks = m.crosswalks_size();
  out.num_stop_lines = m.stop_lines_size();
  out.num_stop_signs = m.stop_signs_size();
  out.num_areas = m.areas_size();
  out.num_traffic_lights = s.traffic_lights_size();
  out.num_goal_regions = s.goal().regions_size();
  for (const v1::Lane& l : m.lanes()) {
    extent.Add(l.centerline());
    extent.Add(l.left_boundary());
    extent.Add(l.right_boundary());
  }
  for (const v1::RoadEdge& e : m.road_edges()) extent.Add(e.polyline());
  for (const v1::RoadLine& e : m.road_lines()) extent.Add(e.polyline());
  for (const v1::Crosswalk& e : m.crosswalks()) extent.Add(e.polygon());
  for (const v1::AreaFeature& e : m.areas()) extent.Add(e.polygon());
  if (!extent.empty()) {
    out.min_x = extent.min_x;
    out.min_y = extent.min_y;
    out.max_x = extent.max_x;
    out.max_y = extent.max_y;
  }
  out.tags.assign(s.provenance().tags().begin(), s.provenance().tags().end());
  for (const v1::KeyValue& kv : s.provenance().notes()) out.notes.emplace_back(kv.key(), kv.value());
  return out;
}

}  // namespace tarmac
