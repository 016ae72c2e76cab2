// SegmentGrid: a uniform grid over line segments for near-neighbour queries.
// Each cell lists every segment that passes within `radius` of some point of
// the cell, so one cell answers "which segments lie within radius of this
// point" exactly (a superset: callers measure the true distances).
#pragma once

#include <span>
#include <utility>
#include <vector>

namespace tarmac {

class SegmentGrid {
 public:
  SegmentGrid() = default;

  // Segment i runs from (ax[i], ay[i]) to (ax[i] + dx[i], ay[i] + dy[i]) [m].
  // Cells have edge `cell_size` (doubled until the grid has at most 4 million
  // cells).
  void Build(std::span<const double> ax, std::span<const double> ay, std::span<const double> dx,
             std::span<const double> dy, double cell_size, double radius);

  // The segments listed for the cell holding (x, y): empty outside the grid.
  std::span<const int> Near(double x, double y) const;
  // True if (x, y) lies inside the grid's area (then Near() is complete).
  bool Covers(double x, double y) const;
  double radius() const { return radius_; }
  double MeanPerCell() const;

 private:
  double x0_ = 0.0, y0_ = 0.0, inv_cell_ = 1.0, radius_ = 0.0;
  int nx_ = 0, ny_ = 0;
  std::vector<int> start_;  // cell c -> items_[start_[c] .. start_[c + 1])
  std::vector<int> items_;
};

}  // namespace tarmac
