#include "scenarios/map/segment_grid.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "scenarios/map/polyline.h"

namespace tarmac {
namespace {
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kMaxCells = 4.0e6;
}  // namespace

void SegmentGrid::Build(std::span<const double> ax, std::span<const double> ay, std::span<const double> dx,
                        std::span<const double> dy, double cell_size, double radius) {
  radius_ = radius;
  const size_t n = ax.size();
  nx_ = ny_ = 0;
  start_.clear();
  items_.clear();
  if (n == 0) return;
  double x0 = kInf, y0 = kInf, x1 = -kInf, y1 = -kInf;
  for (size_t i = 0; i < n; ++i) {
    for (double t : {0.0, 1.0}) {
      x0 = std::min(x0, ax[i] + t * dx[i]);
      y0 = std::min(y0, ay[i] + t * dy[i]);
      x1 = std::max(x1, ax[i] + t * dx[i]);
      y1 = std::max(y1, ay[i] + t * dy[i]);
    }
  }
  x0 -= radius;
  y0 -= radius;
  x1 += radius;
  y1 += radius;
  double cell = cell_size;
  while ((x1 - x0) / cell * (y1 - y0) / cell > kMaxCells) cell *= 2.0;
  x0_ = x0;
  y0_ = y0;
  inv_cell_ = 1.0 / cell;
  nx_ = static_cast<int>(std::floor((x1 - x0) * inv_cell_)) + 1;
  ny_ = static_cast<int>(std::floor((y1 - y0) * inv_cell_)) + 1;
  const size_t cells = static_cast<size_t>(nx_) * static_cast<size_t>(ny_);
  // A segment goes into every cell whose centre lies within radius + half the
  // cell diagonal of it: a superset of the cells holding any point within radius.
  const double reach = radius + 0.5 * std::sqrt(2.0) * cell;
  auto for_each_cell = [&](size_t s, auto&& fn) {
    const double ax0 = ax[s], ay0 = ay[s], bx = ax0 + dx[s], by = ay0 + dy[s];
    const int i0 = std::max(0, static_cast<int>(std::floor((std::min(ax0, bx) - reach - x0) * inv_cell_)));
    const int i1 = std::min(nx_ - 1, static_cast<int>(std::floor((std::max(ax0, bx) + reach - x0) * inv_cell_)));
    const int j0 = std::max(0, static_cast<int>(std::floor((std::min(ay0, by) - reach - y0) * inv_cell_)));
    const int j1 = std::min(ny_ - 1, static_cast<int>(std::floor((std::max(ay0, by) + reach - y0) * inv_cell_)));
    for (int j = j0; j <= j1; ++j) {
      for (int i = i0; i <= i1; ++i) {
        const double cx = x0 + (i + 0.5) * cell, cy = y0 + (j + 0.5) * cell;
        if (PointSegmentDistance(cx, cy, ax0, ay0, bx, by, nullptr) <= reach) {
          fn(static_cast<size_t>(j) * static_cast<size_t>(nx_) + static_cast<size_t>(i));
        }
      }
    }
  };
  std::vector<int> counts(cells + 1, 0);
  for (size_t s = 0; s < n; ++s) for_each_cell(s, [&](size_t c) { ++counts[c + 1]; });
  start_.assign(cells + 1, 0);
  for (size_t c = 0; c < cells; ++c) start_[c + 1] = start_[c] + counts[c + 1];
  items_.resize(static_cast<size_t>(start_[cells]));
  std::vector<int> fill(start_.begin(), start_.end() - 1);
  for (size_t s = 0; s < n; ++s) {
    for_each_cell(s, [&](size_t c) { items_[static_cast<size_t>(fill[c]++)] = static_cast<int>(s); });
  }
}

bool SegmentGrid::Covers(double x, double y) const {
  if (nx_ == 0) return false;
  const double fx = (x - x0_) * inv_cell_, fy = (y - y0_) * inv_cell_;
  return fx >= 0.0 && fy >= 0.0 && fx < nx_ && fy < ny_;
}

std::span<const int> SegmentGrid::Near(double x, double y) const {
  if (!Covers(x, y)) return {};
  const size_t c = static_cast<size_t>(static_cast<int>((y - y0_) * inv_cell_)) * static_cast<size_t>(nx_) +
                   static_cast<size_t>(static_cast<int>((x - x0_) * inv_cell_));
  return std::span<const int>(items_).subspan(static_cast<size_t>(start_[c]),
                                              static_cast<size_t>(start_[c + 1] - start_[c]));
}

double SegmentGrid::MeanPerCell() const {
  const size_t cells = static_cast<size_t>(nx_) * static_cast<size_t>(ny_);
  return cells == 0 ? 0.0 : static_cast<double>(items_.size()) / static_cast<double>(cells);
}

}  // namespace tarmac
