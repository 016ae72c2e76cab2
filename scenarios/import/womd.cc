// WOMD Scenario <-> tarmac.v1.Scenario; the field mapping is in womd.h.
#include "scenarios/import/womd.h"

#include <google/protobuf/arena.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <algorithm>
#include <charconv>
#include <climits>
#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <set>

#include "scenarios/import/import_util.h"
#include "scenarios/import/tfrecord.h"

namespace tarmac {
namespace {

using Points = google::protobuf::RepeatedPtrField<womd::MapPoint>;
using Segments = google::protobuf::RepeatedPtrField<womd::BoundarySegment>;

constexpr double kDefaultDt = 0.1;      // [s] WOMD is logged at 10 Hz
constexpr double kStepTolerance = 0.25;  // allowed relative deviation of a step from the median
// Traffic lights x steps above which the count must be in proportion to the
// record size (see TrafficLights).
constexpr long long kLightStepsBase = 1 << 20;

void AddNote(v1::Scenario* s, std::string key, std::string value) {
  v1::KeyValue* kv = s->mutable_provenance()->add_notes();
  kv->set_key(std::move(key));
  kv->set_value(std::move(value));
}

std::string Join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (const std::string& p : parts) {
    if (!out.empty()) out += sep;
    out += p;
  }
  return out;
}

// ---- import -------------------------------------------------------------------

v1::TrackType TrackTypeOf(womd::Track::ObjectType t) {
  switch (t) {
    case womd::Track::TYPE_VEHICLE: return v1::TRACK_TYPE_VEHICLE;
    case womd::Track::TYPE_PEDESTRIAN: return v1::TRACK_TYPE_PEDESTRIAN;
    case womd::Track::TYPE_CYCLIST: return v1::TRACK_TYPE_CYCLIST;
    case womd::Track::TYPE_OTHER: return v1::TRACK_TYPE_OTHER;
    case womd::Track::TYPE_UNSET: break;
  }
  return v1::TRACK_TYPE_UNSPECIFIED;
}

v1::SignalState SignalOf(womd::TrafficSignalLaneState::State s) {
  using S = womd::TrafficSignalLaneState;
  switch (s) {
    case S::LANE_STATE_ARROW_STOP: return v1::SIGNAL_STATE_ARROW_STOP;
    case S::LANE_STATE_ARROW_CAUTION: return v1::SIGNAL_STATE_ARROW_CAUTION;
    case S::LANE_STATE_ARROW_GO: return v1::SIGNAL_STATE_ARROW_GO;
    case S::LANE_STATE_STOP: return v1::SIGNAL_STATE_STOP;
    case S::LANE_STATE_CAUTION: return v1::SIGNAL_STATE_CAUTION;
    case S::LANE_STATE_GO: return v1::SIGNAL_STATE_GO;
    case S::LANE_STATE_FLASHING_STOP: return v1::SIGNAL_STATE_FLASHING_STOP;
    case S::LANE_STATE_FLASHING_CAUTION: return v1::SIGNAL_STATE_FLASHING_CAUTION;
    case S::LANE_STATE_UNKNOWN: break;
  }
  return v1::SIGNAL_STATE_UNKNOWN;
}

v1::RoadLineType RoadLineTypeOf(womd::RoadLine::RoadLineType t) {
  // Values 1..8 name the same markings in both enums.
  if (t >= womd::RoadLine::TYPE_BROKEN_SINGLE_WHITE &&
      t <= womd::RoadLine::TYPE_PASSING_DOUBLE_YELLOW) {
    return static_cast<v1::RoadLineType>(static_cast<int>(t));
  }
  return v1::ROAD_LINE_TYPE_UNSPECIFIED;
}

v1::RoadEdgeType RoadEdgeTypeOf(womd::RoadEdge::RoadEdgeType t) {
  if (t == womd::RoadEdge::TYPE_ROAD_EDGE_BOUNDARY) return v1::ROAD_EDGE_TYPE_BOUNDARY;
  if (t == womd::RoadEdge::TYPE_ROAD_EDGE_MEDIAN) return v1::ROAD_EDGE_TYPE_MEDIAN;
  return v1::ROAD_EDGE_TYPE_UNSPECIFIED;
}

void CheckPoint(const womd::MapPoint& p, std::string_view where) {
  if (!std::isfinite(p.x()) || !std::isfinite(p.y()))
    ThrowImportError("{} is ({}, {})", where, p.x(), p.y());
}

// The points of map feature number `feature` as a polyline; throws on
// non-finite coordinates.
v1::Polyline ToPolyline(const Points& points, int feature) {
  v1::Polyline line;
  line.mutable_x()->Reserve(points.size());
  line.mutable_y()->Reserve(points.size());
  for (const womd::MapPoint& p : points) {
    if (!std::isfinite(p.x()) || !std::isfinite(p.y())) {
      ThrowImportError("map_features[{}] point {} is ({}, {})", feature, line.x_size(), p.x(),
                       p.y());
    }
    AddPoint(&line, p.x(), p.y());
  }
  return line;
}

// The closest point of a polyline (>= 2 points) to (px, py), as segment index
// and fraction along it; the first of equally close segments wins.
struct Projection {
  int segment = 0;
  double t = 0.0;
  double x = 0.0, y = 0.0;
};

Projection Project(const Points& line, double px, double py) {
  Projection best;
  double best_d2 = std::numeric_limits<double>::infinity();
  for (int i = 0; i + 1 < line.size(); ++i) {
    const double ax = line[i].x(), ay = line[i].y();
    const double dx = line[i + 1].x() - ax, dy = line[i + 1].y() - ay;
    const double len2 = dx * dx + dy * dy;
    const double t =
        len2 > 0.0 ? std::clamp(((px - ax) * dx + (py - ay) * dy) / len2, 0.0, 1.0) : 0.0;
    const double x = ax + t * dx, y = ay + t * dy;
    const double d2 = (px - x) * (px - x) + (py - y) * (py - y);
    if (d2 < best_d2) {
      best_d2 = d2;
      best = {i, t, x, y};
    }
  }
  return best;
}

// Appends a point unless it repeats the last one.
void AddDistinct(v1::Polyline* line, double x, double y) {
  const int n = line->x_size();
  if (n > 0 && line->x(n - 1) == x && line->y(n - 1) == y) return;
  AddPoint(line, x, y);
}

// A boundary feature a lane may reference: a road line or a road edge.
struct BoundaryFeature {
  const Points* points = nullptr;
  std::string type_name;  // e.g. "TYPE_SOLID_SINGLE_WHITE", "TYPE_ROAD_EDGE_BOUNDARY"
};

// The part of `feature` beside lane points [start, end]: the projections of
// those two lane points and the feature's vertices between them.
void AppendBoundaryPart(const Points& feature, const Points& lane, int start, int end,
                        v1::Polyline* out) {
  if (feature.size() == 1) {
    AddDistinct(out, feature[0].x(), feature[0].y());
    return;
  }
  const Projection a = Project(feature, lane[start].x(), lane[start].y());
  const Projection b = Project(feature, lane[end].x(), lane[end].y());
  AddDistinct(out, a.x, a.y);
  const bool forward = a.segment < b.segment || (a.segment == b.segment && a.t <= b.t);
  if (forward) {
    for (int v = a.segment + 1; v <= b.segment; ++v)
      AddDistinct(out, feature[v].x(), feature[v].y());
  } else {
    for (int v = a.segment; v > b.segment; --v) AddDistinct(out, feature[v].x(), feature[v].y());
  }
  AddDistinct(out, b.x, b.y);
}

// A lane's boundary on one side, rebuilt from its boundary segments; empty
// (and *incomplete set) when the segments are unusable or leave a gap.
v1::Polyline RebuildBoundary(const womd::LaneCenter& lane, const Segments& segments,
                             const std::map<int64_t, BoundaryFeature>& features,
                             std::string* marking, bool* incomplete) {
  v1::Polyline out;
  if (segments.empty()) return out;
  const int n = lane.polyline_size();
  std::vector<const womd::BoundarySegment*> sorted;
  for (const womd::BoundarySegment& s : segments) sorted.push_back(&s);
  std::stable_sort(sorted.begin(), sorted.end(), [](const auto* a, const auto* b) {
    return a->lane_start_index() < b->lane_start_index();
  });
  int covered_to = 0;  // lane points [0, covered_to) are covered
  for (const womd::BoundarySegment* s : sorted) {
    const auto it = features.find(s->boundary_feature_id());
    if (s->lane_start_index() < 0 || s->lane_start_index() > s->lane_end_index() ||
        s->lane_end_index() >= n || it == features.end() || it->second.points->empty() ||
        s->lane_start_index() > covered_to) {
      *incomplete = true;
      return {};
    }
    covered_to = std::max(covered_to, s->lane_end_index() + 1);
  }
  if (covered_to < n) {
    *incomplete = true;
    return {};
  }
  std::vector<std::string> names;
  for (const womd::BoundarySegment* s : sorted) {
    const BoundaryFeature& f = features.at(s->boundary_feature_id());
    AppendBoundaryPart(*f.points, lane.polyline(), s->lane_start_index(), s->lane_end_index(),
                       &out);
    if (names.empty() || names.back() != f.type_name) names.push_back(f.type_name);
  }
  if (out.x_size() < 2) {
    *incomplete = true;
    return {};
  }
  *marking = Join(names, ",");
  return out;
}

std::string LaneTypeName(womd::LaneCenter::LaneType t) {
  switch (t) {
    case womd::LaneCenter::TYPE_FREEWAY: return "freeway";
    case womd::LaneCenter::TYPE_SURFACE_STREET: return "surface_street";
    case womd::LaneCenter::TYPE_BIKE_LANE: return "bike_lane";
    case womd::LaneCenter::TYPE_UNDEFINED: break;
  }
  return "undefined";
}

void AddNeighbors(const google::protobuf::RepeatedPtrField<womd::LaneNeighbor>& in,
                  google::protobuf::RepeatedPtrField<v1::LaneNeighbor>* out) {
  std::set<int64_t> seen;
  for (const womd::LaneNeighbor& n : in) {
    if (!seen.insert(n.feature_id()).second) continue;
    v1::LaneNeighbor* o = out->Add();
    o->set_lane_id(std::to_string(n.feature_id()));
    o->set_same_direction(true);
  }
}

class Importer {
 public:
  Importer(const womd::Scenario& in, int record) : in_(in), record_(record) {}

  v1::Scenario Run() {
    Header();
    Time();
    Tracks();
    EgoAndPredictions();
    MapFeatures();
    TrafficLights();
    return std::move(out_);
  }

 private:
  void Header() {
    out_.set_id(in_.scenario_id().empty() ? fmt::format("womd-record-{}", record_)
                                          : in_.scenario_id());
    v1::Provenance* p = out_.mutable_provenance();
    p->set_dataset("Waymo Open Motion Dataset");
    p->set_license("Waymo Dataset License Agreement for Non-Commercial Use");
    p->set_source_id(in_.scenario_id());
    p->set_source_record(record_);
    if (in_.scenario_id().empty())
      AddNote(&out_, "scenario_id", "empty; id made from the record index");
    if (in_.has_tarmac_provenance()) {
      // Written by tarmac's exporter: the data's true origin and licence.
      v1::Provenance origin;
      if (!origin.ParseFromString(in_.tarmac_provenance())) {
        ThrowImportError("record {}: field tarmac_provenance (1000) is not a tarmac.v1.Provenance", record_);
      }
      p->set_dataset(origin.dataset());
      p->set_license(origin.license());
      for (const std::string& tag : origin.tags()) p->add_tags(tag);
      AddNote(&out_, "origin", "written by tarmac; dataset and licence carried over from the source");
    }
  }

  void Time() {
    const auto& ts = in_.timestamps_seconds();
    n_ = ts.size();
    if (n_ == 0) ThrowImportError("no timestamps_seconds: the scenario has no time steps");
    for (int t = 0; t < n_; ++t) {
      if (!std::isfinite(ts[t])) ThrowImportError("timestamps_seconds[{}] is {}", t, ts[t]);
      if (t > 0 && !(ts[t] > ts[t - 1])) {
        ThrowImportError("timestamps_seconds[{}] = {} s does not increase on [{}] = {} s", t, ts[t],
                         t - 1, ts[t - 1]);
      }
    }
    double dt = kDefaultDt;
    if (n_ > 1) {
      // Each step is compared with the median step, so that an outlier is
      // the one named.
      std::vector<double> steps;
      for (int t = 1; t < n_; ++t) steps.push_back(ts[t] - ts[t - 1]);
      std::vector<double> sorted = steps;
      std::nth_element(sorted.begin(), sorted.begin() + static_cast<ptrdiff_t>(sorted.size() / 2),
                       sorted.end());
      const double median = sorted[sorted.size() / 2];
      for (int t = 1; t < n_; ++t) {
        const double step = steps[static_cast<size_t>(t - 1)];
        if (std::abs(step - median) > kStepTolerance * median) {
          ThrowImportError(
              "timestamps_seconds[{}]: step {} s from [{}] deviates from the median step {} s by "
              "more "
              "than {}%; WOMD steps must be uniform",
              t, step, t - 1, median, kStepTolerance * 100);
        }
      }
      const double mean = (ts[n_ - 1] - ts[0]) / (n_ - 1);
      const double snapped = std::round(mean * 1e6) / 1e6;
      dt = std::abs(snapped - mean) < 1e-9 ? snapped : mean;
    }
    v1::TimeBase* time = out_.mutable_time();
    time->set_dt_s(dt);
    time->set_num_steps(n_);
    const int current = in_.current_time_index();
    if (current < 0 || current >= n_) {
      ThrowImportError("current_time_index {} outside [0, {})", current, n_);
    }
    time->set_current_step(current);
    AddNote(&out_, "timestamps",
            n_ == 1 ? fmt::format("one step at {} s; dt {} s assumed (10 Hz)", ts[0], dt)
                    : fmt::format("{} steps from {} s, dt {} s", n_, ts[0], dt));
  }

  static void CheckState(const womd::ObjectState& s, int track, int step) {
    const double values[] = {s.center_x(),
                             s.center_y(),
                             static_cast<double>(s.heading()),
                             static_cast<double>(s.velocity_x()),
                             static_cast<double>(s.velocity_y()),
                             static_cast<double>(s.length()),
                             static_cast<double>(s.width()),
                             static_cast<double>(s.height())};
    const char* names[] = {"center_x",   "center_y", "heading", "velocity_x",
                           "velocity_y", "length",   "width",   "height"};
    for (size_t i = 0; i < std::size(values); ++i) {
      if (!std::isfinite(values[i])) {
        ThrowImportError("tracks[{}] state {}: {} is {}", track, step, names[i], values[i]);
      }
    }
  }

  void Tracks() {
    int never_valid = 0;
    std::set<int32_t> ids;
    for (int i = 0; i < in_.tracks_size(); ++i) {
      const womd::Track& src = in_.tracks(i);
      if (src.states_size() != n_) {
        ThrowImportError("tracks[{}] (id {}): {} states, expected {} (one per timestamp)", i,
                         src.id(), src.states_size(), n_);
      }
      if (!ids.insert(src.id()).second)
        ThrowImportError("tracks[{}]: duplicate track id {}", i, src.id());
      v1::Track* t = out_.add_tracks();
      t->set_id(std::to_string(src.id()));
      t->set_type(TrackTypeOf(src.object_type()));
      t->set_source_type(womd::Track::ObjectType_Name(src.object_type()));
      InitTrack(n_, t);
      int box = -1;
      for (int k = 0; k < n_; ++k) {
        const womd::ObjectState& s = src.states(k);
        if (!s.valid()) continue;
        CheckState(s, i, k);
        if (box < 0) box = k;
        t->set_x(k, s.center_x());
        t->set_y(k, s.center_y());
        t->set_heading(k, static_cast<double>(s.heading()));
        t->set_vx(k, static_cast<double>(s.velocity_x()));
        t->set_vy(k, static_cast<double>(s.velocity_y()));
        t->set_valid(k, true);
      }
      const int current = out_.time().current_step();
      if (src.states(current).valid()) box = current;
      if (box < 0) {
        ++never_valid;
        continue;
      }
      const womd::ObjectState& b = src.states(box);
      t->set_length_m(static_cast<double>(b.length()));
      t->set_width_m(static_cast<double>(b.width()));
      t->set_height_m(static_cast<double>(b.height()));
    }
    if (never_valid > 0) {
      AddNote(&out_, "tracks_never_valid",
              fmt::format("{} tracks have no valid state (box 0 x 0)", never_valid));
    }
  }

  const std::string& TrackIdAt(int index, std::string_view field) const {
    if (index < 0 || index >= out_.tracks_size()) {
      ThrowImportError("{} {} outside [0, {}) (the scenario has {} tracks)", field, index,
                       out_.tracks_size(), out_.tracks_size());
    }
    return out_.tracks(index).id();
  }

  void EgoAndPredictions() {
    if (in_.has_sdc_track_index()) {
      out_.mutable_ego()->set_track_id(TrackIdAt(in_.sdc_track_index(), "sdc_track_index"));
    } else {
      AddNote(&out_, "ego", "no sdc_track_index: the scenario has no ego");
    }
    std::vector<std::string> difficulties;
    for (int k = 0; k < in_.tracks_to_predict_size(); ++k) {
      const womd::RequiredPrediction& r = in_.tracks_to_predict(k);
      const std::string& id =
          TrackIdAt(r.track_index(), fmt::format("tracks_to_predict[{}].track_index", k));
      out_.add_tracks_to_predict(id);
      if (r.has_difficulty()) {
        difficulties.push_back(id + ":" +
                               womd::RequiredPrediction::DifficultyLevel_Name(r.difficulty()));
      }
    }
    if (!difficulties.empty())
      AddNote(&out_, "tracks_to_predict_difficulty", Join(difficulties, ","));
    if (in_.objects_of_interest_size() > 0) {
      std::vector<std::string> ids;
      for (int32_t id : in_.objects_of_interest()) ids.push_back(std::to_string(id));
      AddNote(&out_, "objects_of_interest", Join(ids, ","));
    }
  }

  void MapFeatures() {
    std::map<int64_t, BoundaryFeature> boundaries;
    for (int i = 0; i < in_.map_features_size(); ++i) {
      const womd::MapFeature& f = in_.map_features(i);
      const Points* points = f.has_road_line()   ? &f.road_line().polyline()
                             : f.has_road_edge() ? &f.road_edge().polyline()
                                                 : nullptr;
      if (points != nullptr) {
        for (int k = 0; k < points->size(); ++k)
          CheckPoint((*points)[k], fmt::format("map_features[{}] point {}", i, k));
      }
      if (f.has_road_line()) {
        boundaries[f.id()] = {&f.road_line().polyline(),
                              womd::RoadLine::RoadLineType_Name(f.road_line().type())};
      } else if (f.has_road_edge()) {
        boundaries[f.id()] = {&f.road_edge().polyline(),
                              womd::RoadEdge::RoadEdgeType_Name(f.road_edge().type())};
      }
    }
    v1::Map* map = out_.mutable_map();
    int lanes_with_segments = 0, incomplete = 0, empty_features = 0;
    std::set<std::pair<int, int64_t>> ids;  // (kind, id): tarmac ids are unique per kind
    for (int i = 0; i < in_.map_features_size(); ++i) {
      const womd::MapFeature& f = in_.map_features(i);
      const std::string id = std::to_string(f.id());
      const int kind = static_cast<int>(f.feature_data_case());
      if (kind != womd::MapFeature::FEATURE_DATA_NOT_SET && !ids.emplace(kind, f.id()).second) {
        ThrowImportError("map_features[{}]: duplicate feature id {}", i, f.id());
      }
      switch (f.feature_data_case()) {
        case womd::MapFeature::kLane: {
          const bool had = AddLane(id, i, f.lane(), boundaries, map->add_lanes(), &incomplete);
          lanes_with_segments += had ? 1 : 0;
          break;
        }
        case womd::MapFeature::kRoadLine: {
          v1::RoadLine* l = map->add_road_lines();
          l->set_id(id);
          l->set_type(RoadLineTypeOf(f.road_line().type()));
          *l->mutable_polyline() = ToPolyline(f.road_line().polyline(), i);
          break;
        }
        case womd::MapFeature::kRoadEdge: {
          v1::RoadEdge* e = map->add_road_edges();
          e->set_id(id);
          e->set_type(RoadEdgeTypeOf(f.road_edge().type()));
          *e->mutable_polyline() = ToPolyline(f.road_edge().polyline(), i);
          break;
        }
        case womd::MapFeature::kStopSign: {
          v1::StopSign* s = map->add_stop_signs();
          s->set_id(id);
          CheckPoint(f.stop_sign().position(),
                     fmt::format("map_features[{}] stop sign position", i));
          s->set_x(f.stop_sign().position().x());
          s->set_y(f.stop_sign().position().y());
          for (int64_t lane : f.stop_sign().lane()) s->add_lane_ids(std::to_string(lane));
          break;
        }
        case womd::MapFeature::kCrosswalk: {
          v1::Crosswalk* c = map->add_crosswalks();
          c->set_id(id);
          *c->mutable_polygon() = ToPolyline(f.crosswalk().polygon(), i);
          break;
        }
        case womd::MapFeature::kSpeedBump:
          AddArea(id, i, v1::AREA_TYPE_SPEED_BUMP, f.speed_bump().polygon());
          break;
        case womd::MapFeature::kDriveway:
          AddArea(id, i, v1::AREA_TYPE_DRIVEWAY, f.driveway().polygon());
          break;
        case womd::MapFeature::FEATURE_DATA_NOT_SET: ++empty_features; break;
      }
    }
    if (lanes_with_segments > 0) {
      AddNote(&out_, "lane_boundaries",
              fmt::format("rebuilt from road lines/edges; {} of the boundaries of {} lanes with "
                          "boundary segments left empty (segments leave a gap or reference a "
                          "missing feature)",
                          incomplete, lanes_with_segments));
    }
    if (empty_features > 0) {
      AddNote(&out_, "map_features_ignored",
              fmt::format("{} map features with no data", empty_features));
    }
  }

  // Fills `lane`; returns whether the source lane has boundary segments.
  static bool AddLane(const std::string& id, int feature, const womd::LaneCenter& src,
                      const std::map<int64_t, BoundaryFeature>& boundaries, v1::Lane* lane,
                      int* incomplete) {
    lane->set_id(id);
    switch (src.type()) {
      case womd::LaneCenter::TYPE_FREEWAY:
      case womd::LaneCenter::TYPE_SURFACE_STREET: lane->set_type(v1::LANE_TYPE_VEHICLE); break;
      case womd::LaneCenter::TYPE_BIKE_LANE: lane->set_type(v1::LANE_TYPE_BIKE); break;
      case womd::LaneCenter::TYPE_UNDEFINED: lane->set_type(v1::LANE_TYPE_UNSPECIFIED); break;
    }
    lane->set_source_type(LaneTypeName(src.type()) + (src.interpolating() ? ",interpolating" : ""));
    *lane->mutable_centerline() = ToPolyline(src.polyline(), feature);
    if (!std::isfinite(src.speed_limit_mph())) {
      ThrowImportError("map_features[{}] speed_limit_mph is {}", feature, src.speed_limit_mph());
    }
    lane->set_speed_limit_mps(src.speed_limit_mph() * kMetresPerSecondPerMph);
    for (int64_t p : src.entry_lanes()) lane->add_predecessor_ids(std::to_string(p));
    for (int64_t s : src.exit_lanes()) lane->add_successor_ids(std::to_string(s));
    AddNeighbors(src.left_neighbors(), lane->mutable_left_neighbors());
    AddNeighbors(src.right_neighbors(), lane->mutable_right_neighbors());
    bool left_incomplete = false, right_incomplete = false;
    std::string marking;
    *lane->mutable_left_boundary() =
        RebuildBoundary(src, src.left_boundaries(), boundaries, &marking, &left_incomplete);
    lane->set_left_marking(marking);
    marking.clear();
    *lane->mutable_right_boundary() =
        RebuildBoundary(src, src.right_boundaries(), boundaries, &marking, &right_incomplete);
    lane->set_right_marking(marking);
    *incomplete += (left_incomplete ? 1 : 0) + (right_incomplete ? 1 : 0);
    return !src.left_boundaries().empty() || !src.right_boundaries().empty();
  }

  void AddArea(const std::string& id, int feature, v1::AreaType type, const Points& polygon) {
    v1::AreaFeature* a = out_.mutable_map()->add_areas();
    a->set_id(id);
    a->set_type(type);
    *a->mutable_polygon() = ToPolyline(polygon, feature);
  }

  void TrafficLights() {
    const int states = in_.dynamic_map_states_size();
    if (states > n_) {
      ThrowImportError(
          "{} dynamic_map_states but {} timestamps; expected at most one per timestamp", states,
          n_);
    }
    std::map<int64_t, int> light_of_lane;
    std::vector<int64_t> lanes;
    for (const womd::DynamicMapState& d : in_.dynamic_map_states()) {
      for (const womd::TrafficSignalLaneState& l : d.lane_states()) {
        if (light_of_lane.emplace(l.lane(), static_cast<int>(lanes.size())).second)
          lanes.push_back(l.lane());
      }
    }
    // Every light holds one state per step; bound that by the record size so a
    // corrupt record cannot ask for (lanes x steps) memory out of proportion.
    const long long cells = static_cast<long long>(lanes.size()) * n_;
    if (cells > kLightStepsBase &&
        cells > kLightStepsBase + 16LL * static_cast<long long>(in_.ByteSizeLong())) {
      ThrowImportError(
          "{} signal-controlled lanes x {} steps is out of proportion to the record size",
          lanes.size(), n_);
    }
    std::vector<int> set_at(lanes.size(), -1);
    for (int64_t lane : lanes) {
      v1::TrafficLight* light = out_.add_traffic_lights();
      light->set_id(std::to_string(lane));
      light->add_lane_ids(std::to_string(lane));
      light->mutable_states()->Resize(n_, v1::SIGNAL_STATE_UNKNOWN);
    }
    for (int t = 0; t < states; ++t) {
      for (const womd::TrafficSignalLaneState& l : in_.dynamic_map_states(t).lane_states()) {
        const int k = light_of_lane.at(l.lane());
        if (set_at[static_cast<size_t>(k)] == t)
          continue;  // a lane listed twice at one step: first wins
        set_at[static_cast<size_t>(k)] = t;
        v1::TrafficLight* light = out_.mutable_traffic_lights(k);
        light->set_states(t, SignalOf(l.state()));
        if (l.has_stop_point() && !light->has_stop_point()) {
          CheckPoint(l.stop_point(),
                     fmt::format("dynamic_map_states[{}] stop_point of lane {}", t, l.lane()));
          light->set_has_stop_point(true);
          light->set_stop_x(l.stop_point().x());
          light->set_stop_y(l.stop_point().y());
        }
      }
    }
    if (states < n_ && states > 0) {
      AddNote(&out_, "dynamic_map_states",
              fmt::format("{} for {} steps; signal states after step {} are unknown", states, n_,
                          states - 1));
    }
  }

  const womd::Scenario& in_;
  const int record_;
  v1::Scenario out_;
  int n_ = 0;
};

// ---- export -------------------------------------------------------------------

// A decimal integer id exactly as std::to_string writes it, in [lo, hi].
std::optional<int64_t> ParseId(const std::string& s, int64_t lo, int64_t hi) {
  int64_t v = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || ptr != s.data() + s.size() || v < lo || v > hi ||
      std::to_string(v) != s) {
    return std::nullopt;
  }
  return v;
}

// Assigns numeric ids: keeps the ones that parse and are still free, gives
// the rest fresh numbers above the largest kept one.
class IdAllocator {
 public:
  IdAllocator(int64_t lo, int64_t hi) : lo_(lo), hi_(hi) {}

  // First pass: claims `id` if it is a free decimal integer; returns whether it did.
  bool Claim(const std::string& id) {
    const std::optional<int64_t> v = ParseId(id, lo_, hi_);
    if (!v || !used_.insert(*v).second) return false;
    return true;
  }
  // Second pass: a number nobody has claimed.
  Result<int64_t> Fresh() {
    if (!started_) {  // above the largest claimed id, and not negative
      const int64_t top = used_.empty() ? -1 : *used_.rbegin();
      next_ = top == hi_ ? std::max<int64_t>(lo_, 0) : std::max<int64_t>(top + 1, 0);
      started_ = true;
    }
    while (used_.count(next_) > 0) {
      if (next_ == hi_) return Error{"ran out of numeric ids"};
      ++next_;
    }
    used_.insert(next_);
    return next_;
  }

 private:
  int64_t lo_, hi_;
  std::set<int64_t> used_;
  int64_t next_ = 0;
  bool started_ = false;
};

womd::Track::ObjectType ObjectTypeOf(v1::TrackType t) {
  switch (t) {
    case v1::TRACK_TYPE_VEHICLE: return womd::Track::TYPE_VEHICLE;
    case v1::TRACK_TYPE_PEDESTRIAN: return womd::Track::TYPE_PEDESTRIAN;
    case v1::TRACK_TYPE_CYCLIST: return womd::Track::TYPE_CYCLIST;
    default: return womd::Track::TYPE_OTHER;
  }
}

womd::TrafficSignalLaneState::State LaneStateOf(v1::SignalState s) {
  using S = womd::TrafficSignalLaneState;
  switch (s) {
    case v1::SIGNAL_STATE_STOP: return S::LANE_STATE_STOP;
    case v1::SIGNAL_STATE_CAUTION: return S::LANE_STATE_CAUTION;
    case v1::SIGNAL_STATE_GO: return S::LANE_STATE_GO;
    case v1::SIGNAL_STATE_ARROW_STOP: return S::LANE_STATE_ARROW_STOP;
    case v1::SIGNAL_STATE_ARROW_CAUTION: return S::LANE_STATE_ARROW_CAUTION;
    case v1::SIGNAL_STATE_ARROW_GO: return S::LANE_STATE_ARROW_GO;
    case v1::SIGNAL_STATE_FLASHING_STOP: return S::LANE_STATE_FLASHING_STOP;
    case v1::SIGNAL_STATE_FLASHING_CAUTION: return S::LANE_STATE_FLASHING_CAUTION;
    default: return S::LANE_STATE_UNKNOWN;
  }
}

// The WOMD road-line type a tarmac lane marking stands for.
womd::RoadLine::RoadLineType LineTypeOfMarking(const std::string& marking) {
  womd::RoadLine::RoadLineType t = womd::RoadLine::TYPE_UNKNOWN;
  if (womd::RoadLine::RoadLineType_Parse(marking, &t)) return t;
  if (marking.find("dashed") != std::string::npos) return womd::RoadLine::TYPE_BROKEN_SINGLE_WHITE;
  if (marking.find("solid") != std::string::npos) return womd::RoadLine::TYPE_SOLID_SINGLE_WHITE;
  return womd::RoadLine::TYPE_UNKNOWN;
}

void SetPoints(const v1::Polyline& line, Points* out) {
  out->Reserve(line.x_size());
  for (int i = 0; i < line.x_size(); ++i) {
    womd::MapPoint* p = out->Add();
    p->set_x(line.x(i));
    p->set_y(i < line.y_size() ? line.y(i) : 0.0);
  }
}

class Exporter {
 public:
  explicit Exporter(const v1::Scenario& in) : in_(in) {}

  Result<WomdExport> Run() {
    if (Result<void> r = Time(); !r.ok()) return r.error();
    if (Result<void> r = Tracks(); !r.ok()) return r.error();
    if (Result<void> r = Map(); !r.ok()) return r.error();
    Lights();
    out_.notes = std::move(notes_);
    return std::move(out_);
  }

 private:
  womd::Scenario& S() { return out_.scenario; }

  void Note(std::string text) { notes_.push_back(std::move(text)); }

  Result<void> Time() {
    n_ = in_.time().num_steps();
    const double dt = in_.time().dt_s();
    if (n_ < 1 || !(dt > 0.0) || !std::isfinite(dt)) {
      return Error{fmt::format("time base {} steps of {} s cannot be exported", n_, dt)};
    }
    S().set_scenario_id(in_.id());
    S().mutable_timestamps_seconds()->Reserve(n_);
    for (int t = 0; t < n_; ++t) S().add_timestamps_seconds(static_cast<double>(t) * dt);
    S().set_current_time_index(in_.time().current_step());
    if (in_.goal().regions_size() > 0) Note("goal dropped: WOMD has no goal");
    if (in_.route_lane_ids_size() > 0) Note("route_lane_ids dropped: WOMD has no route");
    // The true origin travels in field 1000 (see the proto).
    v1::Provenance origin;
    origin.set_dataset(in_.provenance().dataset());
    origin.set_license(in_.provenance().license());
    *origin.mutable_tags() = in_.provenance().tags();
    S().set_tarmac_provenance(origin.SerializeAsString());
    return {};
  }

  Result<void> Tracks() {
    IdAllocator ids(0, INT32_MAX);
    std::vector<bool> kept;
    for (const v1::Track& t : in_.tracks()) kept.push_back(ids.Claim(t.id()));
    int renumbered = 0;
    std::map<std::string, int> index_of;
    for (int i = 0; i < in_.tracks_size(); ++i) {
      const v1::Track& t = in_.tracks(i);
      if (t.x_size() != n_ || t.y_size() != n_ || t.heading_size() != n_ || t.vx_size() != n_ ||
          t.vy_size() != n_ || t.valid_size() != n_) {
        return Error{fmt::format("track '{}': per-step arrays are not {} long", t.id(), n_)};
      }
      int64_t id = 0;
      if (kept[static_cast<size_t>(i)]) {
        id = *ParseId(t.id(), 0, INT32_MAX);
      } else {
        Result<int64_t> fresh = ids.Fresh();
        if (!fresh.ok()) return fresh.error();
        id = *fresh;
        ++renumbered;
      }
      index_of.emplace(t.id(), i);
      womd::Track* w = S().add_tracks();
      w->set_id(static_cast<int32_t>(id));
      w->set_object_type(ObjectTypeOf(t.type()));
      w->mutable_states()->Reserve(n_);
      for (int k = 0; k < n_; ++k) {
        womd::ObjectState* s = w->add_states();
        s->set_valid(t.valid(k));
        if (!t.valid(k)) continue;
        s->set_center_x(t.x(k));
        s->set_center_y(t.y(k));
        s->set_length(static_cast<float>(t.length_m()));
        s->set_width(static_cast<float>(t.width_m()));
        s->set_height(static_cast<float>(t.height_m()));
        s->set_heading(static_cast<float>(t.heading(k)));
        s->set_velocity_x(static_cast<float>(t.vx(k)));
        s->set_velocity_y(static_cast<float>(t.vy(k)));
      }
    }
    if (renumbered > 0)
      Note(fmt::format("{} track ids are not int32 numbers or repeat one and were renumbered",
                       renumbered));
    if (Result<void> r = Ego(&ids, index_of); !r.ok()) return r;

    int unknown = 0;
    for (const std::string& id : in_.tracks_to_predict()) {
      const auto it = index_of.find(id);
      if (it == index_of.end()) {
        ++unknown;
        continue;
      }
      S().add_tracks_to_predict()->set_track_index(it->second);
    }
    if (unknown > 0)
      Note(fmt::format("{} tracks_to_predict name no track and were dropped", unknown));
    for (const v1::KeyValue& kv : in_.provenance().notes()) {
      if (kv.key() != "objects_of_interest") continue;
      for (size_t pos = 0; pos <= kv.value().size();) {
        const size_t end = std::min(kv.value().find(',', pos), kv.value().size());
        const auto it = index_of.find(kv.value().substr(pos, end - pos));
        if (it != index_of.end()) S().add_objects_of_interest(S().tracks(it->second).id());
        pos = end + 1;
      }
    }
    return {};
  }

  Result<void> Ego(IdAllocator* ids, const std::map<std::string, int>& index_of) {
    const v1::Ego& ego = in_.ego();
    if (!ego.track_id().empty()) {
      const auto it = index_of.find(ego.track_id());
      if (it == index_of.end())
        return Error{fmt::format("ego track '{}' is not among the tracks", ego.track_id())};
      S().set_sdc_track_index(it->second);
      return {};
    }
    if (!ego.has_initial_state()) {
      Note("no ego: sdc_track_index left unset");
      return {};
    }
    const v1::EgoInitialState& s = ego.initial_state();
    if (s.step() < 0 || s.step() >= n_) {
      return Error{fmt::format("ego initial state at step {}, outside [0, {})", s.step(), n_)};
    }
    Result<int64_t> id = ids->Fresh();
    if (!id.ok()) return id.error();
    womd::Track* w = S().add_tracks();
    w->set_id(static_cast<int32_t>(*id));
    w->set_object_type(womd::Track::TYPE_VEHICLE);
    for (int k = 0; k < n_; ++k) {
      womd::ObjectState* o = w->add_states();
      o->set_valid(k == s.step());
      if (k != s.step()) continue;
      const double direction = s.heading() + s.slip_angle();
      o->set_center_x(s.x());
      o->set_center_y(s.y());
      o->set_length(static_cast<float>(ego.length_m()));
      o->set_width(static_cast<float>(ego.width_m()));
      o->set_height(0.0f);
      o->set_heading(static_cast<float>(s.heading()));
      o->set_velocity_x(static_cast<float>(s.speed() * std::cos(direction)));
      o->set_velocity_y(static_cast<float>(s.speed() * std::sin(direction)));
    }
    S().set_sdc_track_index(S().tracks_size() - 1);
    Note(fmt::format(
        "ego has no logged track: added sdc track {} (vehicle, {} x {} m) valid only at step {}, "
        "built from the initial state; yaw rate and acceleration have no WOMD field",
        *id, ego.length_m(), ego.width_m(), s.step()));
    return {};
  }

  // Map features get ids first (kept where possible), then their data.
  Result<void> Map() {
    const v1::Map& m = in_.map();
    IdAllocator ids(INT64_MIN, INT64_MAX);
    std::vector<const std::string*> all;
    for (const auto& x : m.lanes()) all.push_back(&x.id());
    for (const auto& x : m.road_lines()) all.push_back(&x.id());
    for (const auto& x : m.road_edges()) all.push_back(&x.id());
    for (const auto& x : m.stop_signs()) all.push_back(&x.id());
    for (const auto& x : m.crosswalks()) all.push_back(&x.id());
    for (const auto& x : m.areas()) {
      if (x.type() == v1::AREA_TYPE_SPEED_BUMP || x.type() == v1::AREA_TYPE_DRIVEWAY)
        all.push_back(&x.id());
    }
    std::vector<bool> kept;
    for (const std::string* id : all) kept.push_back(ids.Claim(*id));
    std::vector<int64_t> assigned;
    int renumbered = 0;
    for (size_t i = 0; i < all.size(); ++i) {
      if (kept[i]) {
        assigned.push_back(*ParseId(*all[i], INT64_MIN, INT64_MAX));
        continue;
      }
      Result<int64_t> fresh = ids.Fresh();
      if (!fresh.ok()) return fresh.error();
      assigned.push_back(*fresh);
      ++renumbered;
    }
    if (renumbered > 0)
      Note(fmt::format("{} map feature ids are not unique int64 numbers and were renumbered",
                       renumbered));
    size_t next = 0;
    for (const v1::Lane& lane : m.lanes()) {
      lane_ids_.emplace(lane.id(), assigned[next++]);
      lane_points_.emplace(lane.id(), lane.centerline().x_size());
    }

    // Road lines and edges before lanes, so that lane boundaries can reuse them.
    std::vector<womd::MapFeature> lanes(static_cast<size_t>(m.lanes_size()));
    for (size_t i = 0; i < lanes.size(); ++i) lanes[i].set_id(assigned[i]);
    for (const v1::RoadLine& l : m.road_lines()) {
      womd::MapFeature* f = Feature(assigned[next++]);
      womd::RoadLine* w = f->mutable_road_line();
      w->set_type(l.type() >= v1::ROAD_LINE_TYPE_BROKEN_SINGLE_WHITE &&
                          l.type() <= v1::ROAD_LINE_TYPE_PASSING_DOUBLE_YELLOW
                      ? static_cast<womd::RoadLine::RoadLineType>(static_cast<int>(l.type()))
                      : womd::RoadLine::TYPE_UNKNOWN);
      if (l.type() == v1::ROAD_LINE_TYPE_VIRTUAL) ++virtual_lines_;
      SetPoints(l.polyline(), w->mutable_polyline());
      RememberBoundary(l.polyline(), f->id(), w->type());
    }
    for (const v1::RoadEdge& e : m.road_edges()) {
      womd::MapFeature* f = Feature(assigned[next++]);
      womd::RoadEdge* w = f->mutable_road_edge();
      w->set_type(e.type() == v1::ROAD_EDGE_TYPE_BOUNDARY ? womd::RoadEdge::TYPE_ROAD_EDGE_BOUNDARY
                  : e.type() == v1::ROAD_EDGE_TYPE_MEDIAN ? womd::RoadEdge::TYPE_ROAD_EDGE_MEDIAN
                                                          : womd::RoadEdge::TYPE_UNKNOWN);
      SetPoints(e.polyline(), w->mutable_polyline());
      RememberBoundary(e.polyline(), f->id(), womd::RoadLine::TYPE_UNKNOWN);
    }
    for (const v1::StopSign& s : m.stop_signs()) {
      womd::MapFeature* f = Feature(assigned[next++]);
      womd::StopSign* w = f->mutable_stop_sign();
      for (const std::string& lane : s.lane_ids()) {
        if (const auto it = lane_ids_.find(lane); it != lane_ids_.end()) w->add_lane(it->second);
      }
      w->mutable_position()->set_x(s.x());
      w->mutable_position()->set_y(s.y());
    }
    for (const v1::Crosswalk& c : m.crosswalks()) {
      SetPoints(c.polygon(), Feature(assigned[next++])->mutable_crosswalk()->mutable_polygon());
    }
    int dropped_areas = 0;
    for (const v1::AreaFeature& a : m.areas()) {
      if (a.type() == v1::AREA_TYPE_SPEED_BUMP) {
        SetPoints(a.polygon(), Feature(assigned[next++])->mutable_speed_bump()->mutable_polygon());
      } else if (a.type() == v1::AREA_TYPE_DRIVEWAY) {
        SetPoints(a.polygon(), Feature(assigned[next++])->mutable_driveway()->mutable_polygon());
      } else {
        ++dropped_areas;
      }
    }
    for (int i = 0; i < m.lanes_size(); ++i) {
      if (Result<void> r = Lane(m.lanes(i), &ids, &lanes[static_cast<size_t>(i)]); !r.ok())
        return r;
    }
    // Lanes first in the output, as in WOMD files; new boundary lines last.
    google::protobuf::RepeatedPtrField<womd::MapFeature> others;
    others.Swap(S().mutable_map_features());
    for (womd::MapFeature& f : lanes) S().add_map_features()->Swap(&f);
    for (womd::MapFeature& f : others) S().add_map_features()->Swap(&f);
    for (womd::MapFeature& f : new_lines_) S().add_map_features()->Swap(&f);

    if (virtual_lines_ > 0)
      Note(fmt::format("{} virtual road lines written as TYPE_UNKNOWN", virtual_lines_));
    if (dropped_areas > 0)
      Note(fmt::format("{} areas other than speed bumps and driveways dropped", dropped_areas));
    if (m.stop_lines_size() > 0) {
      Note(fmt::format("{} stop lines dropped: WOMD has none (traffic lights keep stop points)",
                       m.stop_lines_size()));
    }
    if (opposite_neighbors_ > 0) {
      Note(fmt::format(
          "{} opposite-direction lane neighbours dropped: WOMD lists same-direction ones only",
          opposite_neighbors_));
    }
    if (dangling_ > 0) Note(fmt::format("{} lane references to unknown lanes dropped", dangling_));
    if (other_lane_types_ > 0) {
      Note(fmt::format(
          "{} lanes of a type WOMD lacks (bus, ramp, shoulder, ...) written as freeway or "
          "surface street",
          other_lane_types_));
    }
    if (!new_lines_.empty()) {
      Note(fmt::format("{} road lines added to carry lane boundaries", new_lines_.size()));
    }
    return {};
  }

  womd::MapFeature* Feature(int64_t id) {
    womd::MapFeature* f = S().add_map_features();
    f->set_id(id);
    return f;
  }

  static std::vector<double> Key(const v1::Polyline& line) {
    std::vector<double> key(line.x().begin(), line.x().end());
    key.insert(key.end(), line.y().begin(), line.y().end());
    return key;
  }

  void RememberBoundary(const v1::Polyline& line, int64_t id, womd::RoadLine::RoadLineType type) {
    boundary_features_.emplace(Key(line), std::make_pair(id, type));
  }

  // The feature carrying a lane boundary: an existing road line / edge with
  // exactly these points, else a new road line.
  Result<std::pair<int64_t, womd::RoadLine::RoadLineType>> BoundaryFeatureFor(
      const v1::Polyline& line, const std::string& marking, IdAllocator* ids) {
    std::vector<double> key = Key(line);
    if (const auto it = boundary_features_.find(key); it != boundary_features_.end())
      return it->second;
    Result<int64_t> id = ids->Fresh();
    if (!id.ok()) return id.error();
    womd::MapFeature& f = new_lines_.emplace_back();
    f.set_id(*id);
    f.mutable_road_line()->set_type(LineTypeOfMarking(marking));
    SetPoints(line, f.mutable_road_line()->mutable_polyline());
    auto value = std::make_pair(*id, f.road_line().type());
    boundary_features_.emplace(std::move(key), value);
    return value;
  }

  Result<void> Lane(const v1::Lane& lane, IdAllocator* ids, womd::MapFeature* f) {
    womd::LaneCenter* w = f->mutable_lane();
    if (lane.speed_limit_mps() > 0.0)
      w->set_speed_limit_mph(lane.speed_limit_mps() / kMetresPerSecondPerMph);
    const std::string& st = lane.source_type();
    switch (lane.type()) {
      case v1::LANE_TYPE_BIKE: w->set_type(womd::LaneCenter::TYPE_BIKE_LANE); break;
      case v1::LANE_TYPE_UNSPECIFIED: w->set_type(womd::LaneCenter::TYPE_UNDEFINED); break;
      default: {
        const bool freeway = st.find("freeway") != std::string::npos ||
                             st.find("interstate") != std::string::npos ||
                             st.find("highway") != std::string::npos;
        w->set_type(freeway ? womd::LaneCenter::TYPE_FREEWAY
                            : womd::LaneCenter::TYPE_SURFACE_STREET);
        if (lane.type() != v1::LANE_TYPE_VEHICLE) ++other_lane_types_;
      }
    }
    if (st.find("interpolating") != std::string::npos) w->set_interpolating(true);
    SetPoints(lane.centerline(), w->mutable_polyline());
    for (const std::string& p : lane.predecessor_ids()) AddLaneRef(p, w->mutable_entry_lanes());
    for (const std::string& s : lane.successor_ids()) AddLaneRef(s, w->mutable_exit_lanes());
    AddNeighbors(lane, lane.left_neighbors(), w->mutable_left_neighbors());
    AddNeighbors(lane, lane.right_neighbors(), w->mutable_right_neighbors());
    const int last = std::max(lane.centerline().x_size() - 1, 0);
    const std::pair<const v1::Polyline*, const std::string*> sides[] = {
        {&lane.left_boundary(), &lane.left_marking()},
        {&lane.right_boundary(), &lane.right_marking()}};
    for (int side = 0; side < 2; ++side) {
      if (sides[side].first->x_size() < 2) continue;
      Result<std::pair<int64_t, womd::RoadLine::RoadLineType>> b =
          BoundaryFeatureFor(*sides[side].first, *sides[side].second, ids);
      if (!b.ok()) return b.error();
      womd::BoundarySegment* seg = side == 0 ? w->add_left_boundaries() : w->add_right_boundaries();
      seg->set_lane_start_index(0);
      seg->set_lane_end_index(last);
      seg->set_boundary_feature_id(b->first);
      seg->set_boundary_type(b->second);
    }
    return {};
  }

  void AddLaneRef(const std::string& id, google::protobuf::RepeatedField<int64_t>* out) {
    const auto it = lane_ids_.find(id);
    if (it == lane_ids_.end()) {
      ++dangling_;
      return;
    }
    out->Add(it->second);
  }

  void AddNeighbors(const v1::Lane& lane,
                    const google::protobuf::RepeatedPtrField<v1::LaneNeighbor>& in,
                    google::protobuf::RepeatedPtrField<womd::LaneNeighbor>* out) {
    for (const v1::LaneNeighbor& n : in) {
      if (!n.same_direction()) {
        ++opposite_neighbors_;
        continue;
      }
      const auto it = lane_ids_.find(n.lane_id());
      if (it == lane_ids_.end()) {
        ++dangling_;
        continue;
      }
      womd::LaneNeighbor* w = out->Add();
      w->set_feature_id(it->second);
      w->set_self_start_index(0);
      w->set_self_end_index(std::max(lane.centerline().x_size() - 1, 0));
      w->set_neighbor_start_index(0);
      w->set_neighbor_end_index(std::max(lane_points_[n.lane_id()] - 1, 0));
    }
  }

  // One lane state per controlled lane per step, for every step.
  void Lights() {
    for (int t = 0; t < n_; ++t) S().add_dynamic_map_states();
    std::set<int64_t> controlled;
    int dropped_lanes = 0, off = 0, no_lane = 0;
    for (const v1::TrafficLight& light : in_.traffic_lights()) {
      int written = 0;
      for (const std::string& lane : light.lane_ids()) {
        const auto it = lane_ids_.find(lane);
        if (it == lane_ids_.end() || !controlled.insert(it->second).second) {
          ++dropped_lanes;
          continue;
        }
        ++written;
        for (int t = 0; t < n_ && t < light.states_size(); ++t) {
          womd::TrafficSignalLaneState* s = S().mutable_dynamic_map_states(t)->add_lane_states();
          s->set_lane(it->second);
          s->set_state(LaneStateOf(light.states(t)));
          if (light.has_stop_point()) {
            s->mutable_stop_point()->set_x(light.stop_x());
            s->mutable_stop_point()->set_y(light.stop_y());
          }
        }
      }
      if (written == 0) ++no_lane;
      if (written > 0) {
        for (int t = 0; t < light.states_size(); ++t)
          off += light.states(t) == v1::SIGNAL_STATE_OFF ? 1 : 0;
      }
    }
    if (off > 0)
      Note(fmt::format("{} light-steps in state OFF written as LANE_STATE_UNKNOWN", off));
    if (no_lane > 0)
      Note(fmt::format("{} traffic lights control no known lane and were dropped", no_lane));
    if (dropped_lanes > 0) {
      Note(fmt::format("{} light-lane pairs dropped (unknown lane, or a lane controlled twice)",
                       dropped_lanes));
    }
  }

  const v1::Scenario& in_;
  WomdExport out_;
  std::vector<std::string> notes_;
  int n_ = 0;
  std::map<std::string, int64_t> lane_ids_;  // tarmac lane id -> WOMD feature id
  std::map<std::string, int> lane_points_;   // tarmac lane id -> centreline points
  std::map<std::vector<double>, std::pair<int64_t, womd::RoadLine::RoadLineType>>
      boundary_features_;
  std::vector<womd::MapFeature> new_lines_;
  int virtual_lines_ = 0, opposite_neighbors_ = 0, dangling_ = 0, other_lane_types_ = 0;
};

}  // namespace

v1::Scenario WomdToTarmac(const womd::Scenario& source, int record_index) {
  return Importer(source, record_index).Run();
}

std::vector<v1::Scenario> ImportWomd(std::string_view bytes, const ImportContext&) {
  TfRecordReader reader(bytes);
  std::vector<v1::Scenario> out;
  TfRecordView record;
  while (true) {
    Result<bool> got = reader.Next(&record);
    if (!got.ok()) ThrowImportError("{}", got.error().message);
    if (!*got) break;
    const std::string where = fmt::format("record {} at byte {}", record.index, record.offset);
    if (record.data.size() > static_cast<size_t>(INT_MAX)) {
      ThrowImportError("{}: {} bytes, more than a protobuf message may hold", where,
                       record.data.size());
    }
    // An arena per record: a WOMD scenario holds ~10^5 small messages (one
    // per map point and object state), which one arena allocates and frees
    // at once.
    google::protobuf::Arena arena;
    womd::Scenario* proto = google::protobuf::Arena::CreateMessage<womd::Scenario>(&arena);
    if (!proto->ParseFromArray(record.data.data(), static_cast<int>(record.data.size()))) {
      ThrowImportError("{}: the {} data bytes are not a valid WOMD Scenario protobuf", where,
                       record.data.size());
    }
    const int index =
        record.index > static_cast<uint64_t>(INT_MAX) ? INT_MAX : static_cast<int>(record.index);
    try {
      out.push_back(WomdToTarmac(*proto, index));
    } catch (const ImportError& e) {
      ThrowImportError("{} (scenario '{}'): {}", where, proto->scenario_id(), e.what());
    }
  }
  if (out.empty()) ThrowImportError("empty file: no TFRecord records");
  return out;
}

Result<WomdExport> TarmacToWomd(const v1::Scenario& scenario) { return Exporter(scenario).Run(); }

Result<std::string> ExportWomdBytes(const v1::Scenario& scenario, std::vector<std::string>* notes) {
  Result<WomdExport> exported = TarmacToWomd(scenario);
  if (!exported.ok()) return exported.error();
  if (notes != nullptr) notes->insert(notes->end(), exported->notes.begin(), exported->notes.end());
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    exported->scenario.SerializeToCodedStream(&coded);
  }
  return bytes;
}

Result<void> WriteWomdTfRecord(const std::vector<v1::Scenario>& scenarios,
                               const std::filesystem::path& path, std::vector<std::string>* notes) {
  std::vector<std::string> records;
  for (const v1::Scenario& s : scenarios) {
    std::vector<std::string> own;
    Result<std::string> bytes = ExportWomdBytes(s, &own);
    if (!bytes.ok())
      return Error{
          fmt::format("{}: scenario '{}': {}", path.string(), s.id(), bytes.error().message)};
    records.push_back(std::move(*bytes));
    if (notes != nullptr) {
      for (const std::string& n : own)
        notes->push_back(fmt::format("scenario '{}': {}", s.id(), n));
    }
  }
  return WriteTfRecordFile(path, records);
}

}  // namespace tarmac
