#include "scenarios/map/map_index.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <queue>

#include "scenarios/result.h"

namespace tarmac {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

double Wrap(double a) {
  constexpr double kPi = std::numbers::pi;
  a = std::fmod(a + kPi, 2.0 * kPi);
  if (a < 0.0) a += 2.0 * kPi;
  return a - kPi;
}

}  // namespace

MapIndex::MapIndex(const v1::Map& map, const MapIndexOptions& options) : options_(options) {
  TARMAC_CHECK(options_.cell_size > 0.0 && options_.search_radius >= 0.0);
  lanes_.resize(static_cast<size_t>(map.lanes_size()));
  id_to_lane_.reserve(lanes_.size());
  for (int i = 0; i < map.lanes_size(); ++i) {
    const v1::Lane& src = map.lanes(i);
    Lane& lane = lanes_[static_cast<size_t>(i)];
    lane.id = src.id();
    lane.centerline = Path2::FromProto(src.centerline());
    lane.speed_limit = src.speed_limit_mps();
    lane.type = src.type();
    lane.is_intersection = src.is_intersection();
    const v1::Polyline& l = src.left_boundary();
    const v1::Polyline& r = src.right_boundary();
    if (l.x_size() >= 2 && r.x_size() >= 2 && l.x_size() == l.y_size() && r.x_size() == r.y_size()) {
      for (int k = 0; k < l.x_size(); ++k) lane.outline.push_back({l.x(k), l.y(k)});
      for (int k = r.x_size() - 1; k >= 0; --k) lane.outline.push_back({r.x(k), r.y(k)});
      lane.box[0] = lane.box[1] = kInf;
      lane.box[2] = lane.box[3] = -kInf;
      for (const Vec2& p : lane.outline) {
        lane.box[0] = std::min(lane.box[0], p.x);
        lane.box[1] = std::min(lane.box[1], p.y);
        lane.box[2] = std::max(lane.box[2], p.x);
        lane.box[3] = std::max(lane.box[3], p.y);
      }
    }
    id_to_lane_.emplace_back(src.id(), i);
  }
  for (const v1::AreaFeature& a : map.areas()) {
    if (a.type() != v1::AREA_TYPE_DRIVABLE || a.polygon().x_size() < 3) continue;
    std::vector<Vec2> poly;
    for (int k = 0; k < a.polygon().x_size() && k < a.polygon().y_size(); ++k) {
      poly.push_back({a.polygon().x(k), a.polygon().y(k)});
    }
    drivable_areas_.push_back(std::move(poly));
  }
  std::sort(id_to_lane_.begin(), id_to_lane_.end());

  auto resolve = [this](const std::string& id, std::vector<LaneIdx>* out) {
    const LaneIdx idx = LaneIndexOf(id);
    if (idx == kNoLane) {
      ++dangling_refs_;
    } else {
      out->push_back(idx);
    }
  };
  for (int i = 0; i < map.lanes_size(); ++i) {
    const v1::Lane& src = map.lanes(i);
    Lane& lane = lanes_[static_cast<size_t>(i)];
    for (const std::string& id : src.successor_ids()) resolve(id, &lane.successors);
    for (const std::string& id : src.predecessor_ids()) resolve(id, &lane.predecessors);
    for (const v1::LaneNeighbor& n : src.left_neighbors()) {
      resolve(n.lane_id(), n.same_direction() ? &lane.left : &lane.oncoming);
    }
    for (const v1::LaneNeighbor& n : src.right_neighbors()) {
      resolve(n.lane_id(), n.same_direction() ? &lane.right : &lane.oncoming);
    }
  }

  // Flatten the centreline segments.
  for (size_t i = 0; i < lanes_.size(); ++i) {
    Lane& lane = lanes_[i];
    lane.first_segment = static_cast<int>(seg_lane_.size());
    const std::vector<Vec2>& p = lane.centerline.points();
    const std::vector<double>& s = lane.centerline.s();
    for (size_t k = 0; k + 1 < p.size(); ++k) {
      const double dx = p[k + 1].x - p[k].x;
      const double dy = p[k + 1].y - p[k].y;
      const double len2 = dx * dx + dy * dy;
      seg_ax_.push_back(p[k].x);
      seg_ay_.push_back(p[k].y);
      seg_dx_.push_back(dx);
      seg_dy_.push_back(dy);
      seg_inv_len2_.push_back(len2 > 0.0 ? 1.0 / len2 : 0.0);
      seg_s0_.push_back(s[k]);
      seg_len_.push_back(s[k + 1] - s[k]);
      seg_heading_.push_back(std::atan2(dy, dx));
      seg_lane_.push_back(static_cast<LaneIdx>(i));
    }
    // Bounding boxes of groups of segments, and of the whole centreline, for
    // LanesNear with a large radius.
    lane.num_segments = static_cast<int>(seg_lane_.size()) - lane.first_segment;
    lane.first_chunk = static_cast<int>(chunk_box_.size() / 4);
    double* lb = lane.segment_box;
    lb[0] = lb[1] = kInf;
    lb[2] = lb[3] = -kInf;
    for (int c = 0; c < lane.num_segments; c += kChunkSegments) {
      double b[4] = {kInf, kInf, -kInf, -kInf};
      for (int j = c; j < std::min(c + kChunkSegments, lane.num_segments); ++j) {
        const size_t k = static_cast<size_t>(lane.first_segment + j);
        for (const double px : {seg_ax_[k], seg_ax_[k] + seg_dx_[k]}) {
          b[0] = std::min(b[0], px);
          b[2] = std::max(b[2], px);
        }
        for (const double py : {seg_ay_[k], seg_ay_[k] + seg_dy_[k]}) {
          b[1] = std::min(b[1], py);
          b[3] = std::max(b[3], py);
        }
      }
      chunk_box_.insert(chunk_box_.end(), b, b + 4);
      lb[0] = std::min(lb[0], b[0]);
      lb[1] = std::min(lb[1], b[1]);
      lb[2] = std::max(lb[2], b[2]);
      lb[3] = std::max(lb[3], b[3]);
    }
  }
  lane_grid_.Build(seg_ax_, seg_ay_, seg_dx_, seg_dy_, options_.cell_size, options_.search_radius);
  wide_grid_.Build(seg_ax_, seg_ay_, seg_dx_, seg_dy_, 5.0 * options_.cell_size, 5.0 * options_.search_radius);
  // Road edges, for corner-to-edge distances.
  for (const v1::RoadEdge& e : map.road_edges()) {
    const v1::Polyline& p = e.polyline();
    for (int k = 0; k + 1 < p.x_size() && k + 1 < p.y_size(); ++k) {
      edge_ax_.push_back(p.x(k));
      edge_ay_.push_back(p.y(k));
      edge_dx_.push_back(p.x(k + 1) - p.x(k));
      edge_dy_.push_back(p.y(k + 1) - p.y(k));
    }
  }
  edge_grid_.Build(edge_ax_, edge_ay_, edge_dx_, edge_dy_, options_.cell_size, options_.search_radius);
}

double MapIndex::DistanceToRoadEdge(double x, double y) const {
  double best = options_.search_radius;
  for (int i : edge_grid_.Near(x, y)) {
    const size_t k = static_cast<size_t>(i);
    best = std::min(best, PointSegmentDistance(x, y, edge_ax_[k], edge_ay_[k], edge_ax_[k] + edge_dx_[k],
                                               edge_ay_[k] + edge_dy_[k], nullptr));
  }
  return best;
}

namespace {

bool InPolygon(double x, double y, const std::vector<Vec2>& poly) {
  bool inside = false;
  const size_t n = poly.size();
  for (size_t i = 0, j = n - 1; i < n; j = i++) {
    if ((poly[i].y > y) != (poly[j].y > y)) {
      const double xc = poly[i].x + (y - poly[i].y) * (poly[j].x - poly[i].x) / (poly[j].y - poly[i].y);
      if (x < xc) inside = !inside;
    }
  }
  return inside;
}

double DistanceToEdges(double x, double y, const std::vector<Vec2>& poly) {
  double best = kInf;
  const size_t n = poly.size();
  for (size_t i = 0, j = n - 1; i < n; j = i++) {
    best = std::min(best, PointSegmentDistance(x, y, poly[j].x, poly[j].y, poly[i].x, poly[i].y, nullptr));
  }
  return best;
}

}  // namespace

bool MapIndex::InsideLane(LaneIdx lane, double x, double y) const {
  const Lane& l = lanes_[Idx(lane)];
  if (!l.outline.empty()) {
    if (x < l.box[0] || y < l.box[1] || x > l.box[2] || y > l.box[3]) return false;
    return InPolygon(x, y, l.outline);
  }
  return l.centerline.Project(x, y).distance <= BandHalfWidth(lane);
}

double MapIndex::BandHalfWidth(LaneIdx lane) const {
  return lanes_[Idx(lane)].is_intersection ? options_.intersection_half_width : options_.default_half_width;
}

double MapIndex::DistanceToLane(LaneIdx lane, double x, double y) const {
  const Lane& l = lanes_[Idx(lane)];
  if (!l.outline.empty()) return InsideLane(lane, x, y) ? 0.0 : DistanceToEdges(x, y, l.outline);
  return std::max(0.0, l.centerline.Project(x, y).distance - BandHalfWidth(lane));
}

double MapIndex::DistanceOutsideDrivable(double x, double y) const {
  for (const std::vector<Vec2>& area : drivable_areas_) {
    if (InPolygon(x, y, area)) return 0.0;
  }
  // Candidates: the centreline segments listed in this grid cell, i.e. every
  // lane whose centreline passes within search_radius. Lanes with an outline
  // are tested once each; lanes without one by their segments here.
  LaneIdx seen[64];
  int num_seen = 0;
  double best = options_.search_radius;
  for (int cand : lane_grid_.Near(x, y)) {
    const size_t seg = static_cast<size_t>(cand);
    const LaneIdx lane = seg_lane_[seg];
    if (lanes_[Idx(lane)].outline.empty()) {
      const double d = PointSegmentDistance(x, y, seg_ax_[seg], seg_ay_[seg], seg_ax_[seg] + seg_dx_[seg],
                                            seg_ay_[seg] + seg_dy_[seg], nullptr) -
                       BandHalfWidth(lane);
      if (d <= 0.0) return 0.0;
      best = std::min(best, d);
      continue;
    }
    bool dup = false;
    for (int k = 0; k < num_seen; ++k) dup = dup || seen[k] == lane;
    if (dup) continue;
    if (num_seen < 64) seen[num_seen++] = lane;
    const double d = DistanceToLane(lane, x, y);
    if (d == 0.0) return 0.0;
    best = std::min(best, d);
  }
  for (const std::vector<Vec2>& area : drivable_areas_) best = std::min(best, DistanceToEdges(x, y, area));
  return best;
}

LaneIdx MapIndex::LaneIndexOf(std::string_view id) const {
  const auto it = std::lower_bound(
      id_to_lane_.begin(), id_to_lane_.end(), id,
      [](const std::pair<std::string, LaneIdx>& e, std::string_view key) { return e.first < key; });
  return it != id_to_lane_.end() && it->first == id ? it->second : kNoLane;
}


double MapIndex::MeanSegmentsPerCell() const { return lane_grid_.MeanPerCell(); }


double MapIndex::BoxDistance(const double* box, double x, double y) {
  const double dx = std::max({box[0] - x, 0.0, x - box[2]});
  const double dy = std::max({box[1] - y, 0.0, y - box[3]});
  return Norm(dx, dy);
}

LaneProjection MapIndex::ProjectOnSegment(int seg, double x, double y) const {
  const size_t k = static_cast<size_t>(seg);
  const double px = x - seg_ax_[k];
  const double py = y - seg_ay_[k];
  const double t = std::clamp((px * seg_dx_[k] + py * seg_dy_[k]) * seg_inv_len2_[k], 0.0, 1.0);
  LaneProjection p;
  p.lane = seg_lane_[k];
  p.s = seg_s0_[k] + t * seg_len_[k];
  p.distance = Norm(px - t * seg_dx_[k], py - t * seg_dy_[k]);
  p.lane_heading = seg_heading_[k];
  const double len = seg_len_[k];
  p.d = len > 0.0 ? (seg_dx_[k] * py - seg_dy_[k] * px) / len : 0.0;
  return p;
}

// The segment minimising score(segment, squared distance, ...) among the
// query cell's candidates; when the winner is farther than the search radius
// (or the point is off the grid), every segment is scored instead.
template <typename Score>
LaneProjection MapIndex::Best(double x, double y, Score score) const {
  auto scan = [&](auto begin, auto end, auto segment_of, double* best_cost, double* best_dist2) {
    int best = -1;
    for (auto it = begin; it != end; ++it) {
      const size_t k = static_cast<size_t>(segment_of(it));
      const double px = x - seg_ax_[k];
      const double py = y - seg_ay_[k];
      const double t = std::clamp((px * seg_dx_[k] + py * seg_dy_[k]) * seg_inv_len2_[k], 0.0, 1.0);
      const double ex = px - t * seg_dx_[k];
      const double ey = py - t * seg_dy_[k];
      const double dist2 = ex * ex + ey * ey;
      const double cost = score(k, dist2);
      if (cost < *best_cost) {
        *best_cost = cost;
        *best_dist2 = dist2;
        best = static_cast<int>(k);
      }
    }
    return best;
  };
  double cost = kInf, dist2 = kInf;
  const std::span<const int> near = lane_grid_.Near(x, y);
  int best = scan(near.begin(), near.end(), [](auto it) { return *it; }, &cost, &dist2);
  const double r = options_.search_radius;
  if (best < 0 || dist2 > r * r) {
    // Off the lanes: the wide grid, exact within its radius.
    cost = kInf;
    dist2 = kInf;
    const std::span<const int> wide = wide_grid_.Near(x, y);
    best = scan(wide.begin(), wide.end(), [](auto it) { return *it; }, &cost, &dist2);
  }
  const double wr = wide_grid_.radius();
  if (best < 0 || dist2 > wr * wr) {
    cost = kInf;
    dist2 = kInf;
    const int n = num_segments();
    best = -1;
    for (int k = 0; k < n; ++k) {
      const size_t s = static_cast<size_t>(k);
      double t = 0.0;
      const double d = PointSegmentDistance(x, y, seg_ax_[s], seg_ay_[s], seg_ax_[s] + seg_dx_[s],
                                            seg_ay_[s] + seg_dy_[s], &t);
      const double c = score(s, d * d);
      if (c < cost) {
        cost = c;
        best = k;
      }
    }
  }
  if (best < 0) {
    // Lanes without segments (single-point centrelines) or an empty map.
    for (size_t i = 0; i < lanes_.size(); ++i) {
      if (!lanes_[i].centerline.empty()) {
        LaneProjection p;
        p.lane = static_cast<LaneIdx>(i);
        const Vec2 q = lanes_[i].centerline.points().front();
        p.distance = Norm(x - q.x, y - q.y);
        return p;
      }
    }
    return {};
  }
  return ProjectOnSegment(best, x, y);
}

LaneProjection MapIndex::Project(double x, double y) const {
  return Best(x, y, [](size_t, double dist2) { return dist2; });
}

LaneProjection MapIndex::ProjectWithHeading(double x, double y, double heading) const {
  const double w = options_.heading_weight;
  LaneProjection p = Best(x, y, [&](size_t k, double dist2) {
    return std::sqrt(dist2) + w * std::abs(Wrap(heading - seg_heading_[k]));
  });
  if (p.found()) p.heading_error = Wrap(heading - p.lane_heading);
  return p;
}

void MapIndex::LanesNear(double x, double y, double radius, std::vector<LaneProjection>* out) const {
  const size_t first = out->size();
  auto consider = [&](int seg) {
    const LaneProjection p = ProjectOnSegment(seg, x, y);
    if (p.distance > radius) return;
    for (size_t i = first; i < out->size(); ++i) {
      if ((*out)[i].lane == p.lane) {
        if (p.distance < (*out)[i].distance) (*out)[i] = p;
        return;
      }
    }
    out->push_back(p);
  };
  if (radius <= options_.search_radius && lane_grid_.Covers(x, y)) {
    for (int seg : lane_grid_.Near(x, y)) consider(seg);
  } else {
    // Lane by lane, segments in order (as a scan of every segment would
    // visit them), skipping lanes and chunks whose bounding box lies beyond
    // the radius or the lane's best distance so far; the slack keeps a
    // segment at exactly that distance from being skipped by rounding.
    constexpr double kSlack = 1e-9;
    for (const Lane& lane : lanes_) {
      if (lane.num_segments == 0 || BoxDistance(lane.segment_box, x, y) > radius + kSlack) continue;
      LaneProjection best;
      for (int c = 0; c * kChunkSegments < lane.num_segments; ++c) {
        const double limit = best.found() ? best.distance : radius;
        const double* box = &chunk_box_[4 * static_cast<size_t>(lane.first_chunk + c)];
        if (BoxDistance(box, x, y) > limit + kSlack) continue;
        const int end = std::min((c + 1) * kChunkSegments, lane.num_segments);
        for (int j = c * kChunkSegments; j < end; ++j) {
          const LaneProjection p = ProjectOnSegment(lane.first_segment + j, x, y);
          if (p.distance > radius) continue;
          if (!best.found() || p.distance < best.distance) best = p;
        }
      }
      if (best.found()) out->push_back(best);
    }
  }
  std::sort(out->begin() + static_cast<std::ptrdiff_t>(first), out->end(),
            [](const LaneProjection& a, const LaneProjection& b2) {
              return a.distance != b2.distance ? a.distance < b2.distance : a.lane < b2.lane;
            });
}

LanePath MapIndex::FollowLanes(LaneIdx lane, double s, double length,
                               std::span<const LaneIdx> preferred) const {
  LanePath out;
  if (lane < 0 || lane >= num_lanes()) return out;
  // Guard against zero-length cycles in a corrupt graph.
  const int max_lanes = 4 * num_lanes() + 16;
  std::vector<Vec2> pts;
  const Path2& first = Centerline(lane);
  const double s0 = std::clamp(s, 0.0, first.length());
  const PathPose start = first.PoseAt(s0);
  pts.push_back({start.x, start.y});
  for (size_t k = 0; k < first.points().size(); ++k) {
    if (first.s()[k] > s0) pts.push_back(first.points()[k]);
  }
  out.lanes.push_back(lane);
  out.lane_start_s.push_back(0.0);
  double covered = first.length() - s0;
  LaneIdx current = lane;
  while (covered < length && static_cast<int>(out.lanes.size()) < max_lanes) {
    const std::span<const LaneIdx> next = Successors(current);
    if (next.empty()) break;
    LaneIdx choice = kNoLane;
    for (LaneIdx cand : next) {
      if (std::find(preferred.begin(), preferred.end(), cand) != preferred.end()) {
        choice = cand;
        break;
      }
    }
    if (choice == kNoLane) {
      const Path2& cur = Centerline(current);
      const double end_heading = cur.SegmentHeading(static_cast<int>(cur.points().size()) - 2);
      double best = kInf;
      for (LaneIdx cand : next) {
        const double dev = std::abs(Wrap(Centerline(cand).SegmentHeading(0) - end_heading));
        if (dev < best) {
          best = dev;
          choice = cand;
        }
      }
    }
    out.lanes.push_back(choice);
    out.lane_start_s.push_back(covered);
    for (const Vec2& p : Centerline(choice).points()) pts.push_back(p);
    covered += Centerline(choice).length();
    current = choice;
  }
  out.path = Path2(pts);
  return out;
}

std::vector<LaneIdx> MapIndex::ShortestRoute(LaneIdx from, LaneIdx to, double lane_change_cost) const {
  const int n = num_lanes();
  if (from < 0 || from >= n || to < 0 || to >= n) return {};
  std::vector<double> dist(static_cast<size_t>(n), kInf);
  std::vector<LaneIdx> prev(static_cast<size_t>(n), kNoLane);
  using Item = std::pair<double, LaneIdx>;  // (cost, lane): ties broken by lane index
  std::priority_queue<Item, std::vector<Item>, std::greater<Item>> queue;
  dist[Idx(from)] = 0.0;
  queue.emplace(0.0, from);
  while (!queue.empty()) {
    const double d = queue.top().first;
    const LaneIdx lane = queue.top().second;
    queue.pop();
    if (d > dist[Idx(lane)]) continue;
    if (lane == to) break;
    auto relax = [&](LaneIdx next, double cost) {
      if (d + cost < dist[Idx(next)]) {
        dist[Idx(next)] = d + cost;
        prev[Idx(next)] = lane;
        queue.emplace(d + cost, next);
      }
    };
    for (LaneIdx next : Successors(lane)) relax(next, Centerline(lane).length());
    for (LaneIdx next : LeftNeighbors(lane)) relax(next, lane_change_cost);
    for (LaneIdx next : RightNeighbors(lane)) relax(next, lane_change_cost);
  }
  if (dist[Idx(to)] == kInf) return {};
  std::vector<LaneIdx> route;
  for (LaneIdx l = to; l != kNoLane; l = prev[Idx(l)]) route.push_back(l);
  std::reverse(route.begin(), route.end());
  return route;
}

}  // namespace tarmac
