// MapIndex: the immutable, query-ready form of a scenario's map, shared by the
// simulator, agents, planners and metrics. Built once per scenario from
// v1::Map; never changes afterwards.
//
//  - Lanes are referred to by dense index (LaneIdx, 0..num_lanes-1), never by
//    pointer; ids map to indices through LaneIndexOf().
//  - Lane graph: successors, predecessors and left/right neighbours as index
//    lists (references to unknown ids are dropped and counted).
//  - Spatial index: a uniform grid over all centreline segments. Each cell
//    lists every segment that passes within `search_radius` of the cell, so a
//    query inside the grid inspects one cell and is exact for every lane
//    within that radius; a second, coarser grid with 5x the radius serves
//    points off the lanes (sidewalks, parking), and only points farther than
//    that fall back to a scan of all segments.
//  - Projection onto lanes gives (lane, s, d, heading error).
//  - Lane-following paths and shortest routes through the graph.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "scenarios/map/polyline.h"
#include "scenarios/map/segment_grid.h"
#include "tarmac/v1/scenario.pb.h"

namespace tarmac {

using LaneIdx = int32_t;
inline constexpr LaneIdx kNoLane = -1;

struct MapIndexOptions {
  double cell_size = 4.0;       // grid cell edge [m]
  double search_radius = 6.0;   // lanes within this distance are found in one cell [m]
  // Weight of the heading error against distance when a query has a heading:
  // cost = distance + heading_weight * |heading error| [m/rad].
  double heading_weight = 4.0;
  // Half width of lanes whose source gives no boundaries [m].
  double default_half_width = 1.75;
  // The same for such lanes inside intersections, whose pavement spans the
  // junction rather than one lane (nuScenes lane connectors) [m].
  double intersection_half_width = 3.5;
};

// A point projected onto one lane's centreline.
struct LaneProjection {
  LaneIdx lane = kNoLane;
  double s = 0.0;              // arc length along the lane centreline [m]
  double d = 0.0;              // signed lateral offset, + left of the driving direction [m]
  double distance = 0.0;       // distance to the centreline [m]
  double heading_error = 0.0;  // query heading minus lane heading, wrapped [rad]; 0 without heading
  double lane_heading = 0.0;   // lane heading at the foot point [rad]
  bool found() const { return lane != kNoLane; }
};

// A path through consecutive lanes, e.g. "follow the lane ahead for 80 m".
struct LanePath {
  std::vector<LaneIdx> lanes;  // the lanes traversed, in order
  Path2 path;                  // their centrelines joined, starting at the start point's foot
  // Arc length along `path` at which each lane in `lanes` begins (0 for the
  // first lane, which the path enters at the start point).
  std::vector<double> lane_start_s;
};

class MapIndex {
 public:
  explicit MapIndex(const v1::Map& map, const MapIndexOptions& options = {});

  int num_lanes() const { return static_cast<int>(lanes_.size()); }
  const std::string& LaneId(LaneIdx lane) const { return lanes_[Idx(lane)].id; }
  // Index of a lane id, kNoLane if unknown. O(log n).
  LaneIdx LaneIndexOf(std::string_view id) const;
  const Path2& Centerline(LaneIdx lane) const { return lanes_[Idx(lane)].centerline; }
  double SpeedLimit(LaneIdx lane) const { return lanes_[Idx(lane)].speed_limit; }  // [m/s], 0 unknown
  v1::LaneType Type(LaneIdx lane) const { return lanes_[Idx(lane)].type; }
  bool IsIntersection(LaneIdx lane) const { return lanes_[Idx(lane)].is_intersection; }

  std::span<const LaneIdx> Successors(LaneIdx lane) const { return lanes_[Idx(lane)].successors; }
  std::span<const LaneIdx> Predecessors(LaneIdx lane) const { return lanes_[Idx(lane)].predecessors; }
  // Adjacent lanes with the same driving direction, to the left / right.
  std::span<const LaneIdx> LeftNeighbors(LaneIdx lane) const { return lanes_[Idx(lane)].left; }
  std::span<const LaneIdx> RightNeighbors(LaneIdx lane) const { return lanes_[Idx(lane)].right; }
  // Adjacent lanes whose traffic flows the opposite way (either side).
  std::span<const LaneIdx> OncomingNeighbors(LaneIdx lane) const { return lanes_[Idx(lane)].oncoming; }
  // Lane references in the map that named no lane (dropped from the graph).
  int num_dangling_refs() const { return dangling_refs_; }

  // Nearest lane centreline to (x, y); found() is false only for an empty map.
  LaneProjection Project(double x, double y) const;
  // Best lane for a pose: minimises distance + heading_weight * |heading error|,
  // so that at a junction the lane going the pose's way wins.
  LaneProjection ProjectWithHeading(double x, double y, double heading) const;
  // Every lane passing within `radius` of (x, y), each with its nearest foot
  // point, sorted by distance then lane index. Appends to `out`. Radii up to
  // search_radius use the grid; larger ones skip lanes and groups of
  // segments by their bounding boxes (same result as scanning every segment).
  void LanesNear(double x, double y, double radius, std::vector<LaneProjection>* out) const;

  // From (lane, s), follow successors for `length` metres (fewer if the graph
  // ends). At a fork, prefer a lane in `preferred` (e.g. a route), else the
  // successor whose start heading deviates least from the current lane's end.
  LanePath FollowLanes(LaneIdx lane, double s, double length,
                       std::span<const LaneIdx> preferred = {}) const;

  // Shortest lane sequence from `from` to `to` by centreline length, moving
  // along successors, and sideways to a same-direction neighbour at a cost of
  // `lane_change_cost` metres. Empty if unreachable. Deterministic.
  std::vector<LaneIdx> ShortestRoute(LaneIdx from, LaneIdx to, double lane_change_cost = 50.0) const;

  // How far (x, y) lies outside the drivable area [m]: 0 inside a lane's outline
  // (the polygon of its left and right boundaries; for lanes without
  // boundaries, the band of `default_half_width` around the centreline, of
  // `intersection_half_width` inside intersections) or
  // inside an AREA_TYPE_DRIVABLE polygon; else the distance to the nearest
  // lane outline, capped at search_radius.
  double DistanceOutsideDrivable(double x, double y) const;
  // Distance from (x, y) to the nearest road edge [m], capped at search_radius.
  double DistanceToRoadEdge(double x, double y) const;
  // True if (x, y) is inside `lane`'s outline (as above).
  bool InsideLane(LaneIdx lane, double x, double y) const;

  // Grid statistics, for benchmarks and tests.
  int num_segments() const { return static_cast<int>(seg_lane_.size()); }
  double MeanSegmentsPerCell() const;

 private:
  struct Lane {
    std::string id;
    Path2 centerline;
    double speed_limit = 0.0;
    v1::LaneType type = v1::LANE_TYPE_UNSPECIFIED;
    bool is_intersection = false;
    std::vector<LaneIdx> successors, predecessors, left, right, oncoming;
    int first_segment = 0;
    int num_segments = 0;
    int first_chunk = 0;              // chunks: kChunkSegments consecutive segments each
    double segment_box[4] = {0, 0, 0, 0};  // centreline bounding box: min x, min y, max x, max y
    std::vector<Vec2> outline;  // left boundary then reversed right boundary; empty if none
    double box[4] = {0, 0, 0, 0};  // outline bounding box: min x, min y, max x, max y
  };
  // Distance from (x, y) to `lane`'s outline edges (0 inside).
  double DistanceToLane(LaneIdx lane, double x, double y) const;
  // Half width of the band standing in for a lane without boundaries.
  double BandHalfWidth(LaneIdx lane) const;
  static size_t Idx(LaneIdx lane) { return static_cast<size_t>(lane); }

  LaneProjection ProjectOnSegment(int seg, double x, double y) const;
  template <typename Score>
  LaneProjection Best(double x, double y, Score score) const;

  MapIndexOptions options_;
  std::vector<Lane> lanes_;
  std::vector<std::pair<std::string, LaneIdx>> id_to_lane_;  // sorted by id
  std::vector<std::vector<Vec2>> drivable_areas_;  // AREA_TYPE_DRIVABLE polygons
  int dangling_refs_ = 0;

  // Distance from (x, y) to the box [min x, min y, max x, max y], 0 inside [m].
  static double BoxDistance(const double* box, double x, double y);
  static constexpr int kChunkSegments = 8;
  std::vector<double> chunk_box_;  // 4 per chunk: bounding box of its segments

  // Centreline segments, flat (structure of arrays).
  std::vector<double> seg_ax_, seg_ay_, seg_dx_, seg_dy_, seg_inv_len2_, seg_s0_, seg_len_,
      seg_heading_;
  std::vector<LaneIdx> seg_lane_;

  SegmentGrid lane_grid_;  // over the centreline segments, search_radius
  SegmentGrid wide_grid_;  // the same with a 5x radius: for points off the lanes

  // Road-edge segments (flat) and their grid.
  std::vector<double> edge_ax_, edge_ay_, edge_dx_, edge_dy_;
  SegmentGrid edge_grid_;
};

}  // namespace tarmac
