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
// Grids larger than this many cells get coarser cells instead.
constexpr double kMaxCells = 4.0e6;

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
  }
  BuildGrid();
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
  return l.centerline.Project(x, y).distance <= options_.default_half_width;
}

double MapIndex::DistanceToLane(LaneIdx lane, double x, double y) const {
  const Lane& l = lanes_[Idx(lane)];
  if (!l.outline.empty()) return InsideLane(lane, x, y) ? 0.0 : DistanceToEdges(x, y, l.outline);
  return std::max(0.0, l.centerline.Project(x, y).distance - options_.default_half_width);
}

double MapIndex::DistanceOutsideDrivable(double x, double y) const {
  for (const std::vector<Vec2>& area : drivable_areas_) {
    if (InPolygon(x, y, area)) return 0.0;
  }
  // Candidates: the centreline segments listed in this grid cell, i.e. every
  // lane whose centreline passes within search_radius. Lanes with an outline
  // are tested once each; lanes without one by their segments here.
  const auto [b, e] = CellRange(x, y);
  LaneIdx seen[64];
  int num_seen = 0;
  double best = options_.search_radius;
  for (int i = b; i < e; ++i) {
    const size_t seg = static_cast<size_t>(cell_segments_[static_cast<size_t>(i)]);
    const LaneIdx lane = seg_lane_[seg];
    if (lanes_[Idx(lane)].outline.empty()) {
      const double d = PointSegmentDistance(x, y, seg_ax_[seg], seg_ay_[seg], seg_ax_[seg] + seg_dx_[seg],
                                            seg_ay_[seg] + seg_dy_[seg], nullptr) -
                       options_.default_half_width;
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

void MapIndex::BuildGrid() {
  const size_t n = seg_lane_.size();
  if (n == 0) return;
  double x0 = kInf, y0 = kInf, x1 = -kInf, y1 = -kInf;
  for (size_t i = 0; i < n; ++i) {
    for (double t : {0.0, 1.0}) {
      const double x = seg_ax_[i] + t * seg_dx_[i];
      const double y = seg_ay_[i] + t * seg_dy_[i];
      x0 = std::min(x0, x);
      y0 = std::min(y0, y);
      x1 = std::max(x1, x);
      y1 = std::max(y1, y);
    }
  }
  const double r = options_.search_radius;
  x0 -= r;
  y0 -= r;
  x1 += r;
  y1 += r;
  double cell = options_.cell_size;
  while ((x1 - x0) / cell * (y1 - y0) / cell > kMaxCells) cell *= 2.0;
  grid_x0_ = x0;
  grid_y0_ = y0;
  inv_cell_ = 1.0 / cell;
  grid_nx_ = static_cast<int>(std::floor((x1 - x0) * inv_cell_)) + 1;
  grid_ny_ = static_cast<int>(std::floor((y1 - y0) * inv_cell_)) + 1;
  const size_t cells = static_cast<size_t>(grid_nx_) * static_cast<size_t>(grid_ny_);

  // A segment goes into every cell whose centre lies within r + half the cell
  // diagonal of it: a superset of the cells holding any point within r.
  const double reach = r + 0.5 * std::sqrt(2.0) * cell;
  auto for_each_cell = [&](size_t seg, auto&& fn) {
    const double ax = seg_ax_[seg], ay = seg_ay_[seg];
    const double bx = ax + seg_dx_[seg], by = ay + seg_dy_[seg];
    const int i0 = std::max(0, static_cast<int>(std::floor((std::min(ax, bx) - reach - x0) * inv_cell_)));
    const int i1 = std::min(grid_nx_ - 1, static_cast<int>(std::floor((std::max(ax, bx) + reach - x0) * inv_cell_)));
    const int j0 = std::max(0, static_cast<int>(std::floor((std::min(ay, by) - reach - y0) * inv_cell_)));
    const int j1 = std::min(grid_ny_ - 1, static_cast<int>(std::floor((std::max(ay, by) + reach - y0) * inv_cell_)));
    for (int j = j0; j <= j1; ++j) {
      for (int i = i0; i <= i1; ++i) {
        const double cx = x0 + (i + 0.5) * cell;
        const double cy = y0 + (j + 0.5) * cell;
        if (PointSegmentDistance(cx, cy, ax, ay, bx, by, nullptr) <= reach) {
          fn(static_cast<size_t>(j) * static_cast<size_t>(grid_nx_) + static_cast<size_t>(i));
        }
      }
    }
  };
  std::vector<int> counts(cells + 1, 0);
  for (size_t s = 0; s < n; ++s) for_each_cell(s, [&](size_t c) { ++counts[c + 1]; });
  cell_start_.assign(cells + 1, 0);
  for (size_t c = 0; c < cells; ++c) cell_start_[c + 1] = cell_start_[c] + counts[c + 1];
  cell_segments_.resize(static_cast<size_t>(cell_start_[cells]));
  std::vector<int> fill(cell_start_.begin(), cell_start_.end() - 1);
  for (size_t s = 0; s < n; ++s) {
    for_each_cell(s, [&](size_t c) { cell_segments_[static_cast<size_t>(fill[c]++)] = static_cast<int>(s); });
  }
}

double MapIndex::MeanSegmentsPerCell() const {
  const size_t cells = static_cast<size_t>(grid_nx_) * static_cast<size_t>(grid_ny_);
  return cells == 0 ? 0.0 : static_cast<double>(cell_segments_.size()) / static_cast<double>(cells);
}

std::pair<int, int> MapIndex::CellRange(double x, double y) const {
  if (grid_nx_ == 0) return {0, 0};
  const double fx = (x - grid_x0_) * inv_cell_;
  const double fy = (y - grid_y0_) * inv_cell_;
  if (!(fx >= 0.0 && fy >= 0.0 && fx < grid_nx_ && fy < grid_ny_)) return {0, 0};
  const size_t c = static_cast<size_t>(static_cast<int>(fy)) * static_cast<size_t>(grid_nx_) +
                   static_cast<size_t>(static_cast<int>(fx));
  return {cell_start_[c], cell_start_[c + 1]};
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
  const auto [b, e] = CellRange(x, y);
  int best = scan(cell_segments_.begin() + b, cell_segments_.begin() + e,
                  [](auto it) { return *it; }, &cost, &dist2);
  const double r = options_.search_radius;
  if (best < 0 || dist2 > r * r) {
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
  const auto [b, e] = CellRange(x, y);
  if (radius <= options_.search_radius && e > b) {
    for (int i = b; i < e; ++i) consider(cell_segments_[static_cast<size_t>(i)]);
  } else if (radius <= options_.search_radius && grid_nx_ > 0 &&
             (x - grid_x0_) * inv_cell_ >= 0.0 && (y - grid_y0_) * inv_cell_ >= 0.0 &&
             (x - grid_x0_) * inv_cell_ < grid_nx_ && (y - grid_y0_) * inv_cell_ < grid_ny_) {
    return;  // inside the grid, empty cell: nothing within the search radius
  } else {
    for (int s = 0; s < num_segments(); ++s) consider(s);
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
