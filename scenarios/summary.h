// A scenario at a glance: what `tarmac scenario info` prints.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "tarmac/v1/scenario.pb.h"

namespace tarmac {

struct ScenarioSummary {
  std::string id;
  std::string format;        // provenance.source_format
  std::string dataset;
  std::string license;
  std::string map_name;
  double dt_s = 0.0;
  int num_steps = 0;
  int current_step = 0;
  double duration_s = 0.0;   // (num_steps - 1) * dt
  int num_tracks = 0;
  // Tracks by type, indexed by v1::TrackType (unspecified, vehicle, pedestrian,
  // cyclist, static, other).
  std::array<int, 6> tracks_by_type{};
  std::string ego;           // "track <id>", "initial state at step N", or "none"
  int num_lanes = 0;
  int num_road_edges = 0;
  int num_road_lines = 0;
  int num_crosswalks = 0;
  int num_stop_lines = 0;
  int num_stop_signs = 0;
  int num_areas = 0;
  int num_traffic_lights = 0;
  int num_goal_regions = 0;
  // Bounding box of every map and track point [m]; all zero when empty.
  double min_x = 0.0, min_y = 0.0, max_x = 0.0, max_y = 0.0;
  std::vector<std::string> tags;
  std::vector<std::pair<std::string, std::string>> notes;
};

ScenarioSummary Summarize(const v1::Scenario& scenario);

// Lowercase name of a track type: "vehicle", "pedestrian", ...
const char* TrackTypeName(v1::TrackType type);

}  // namespace tarmac
