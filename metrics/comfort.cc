#include "metrics/comfort.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

namespace tarmac {
namespace {

// Solves the small symmetric system a x = b (n <= 6) by Gaussian elimination
// with partial pivoting. a is row-major n x n.
void Solve(int n, double* a, double* b) {
  for (int c = 0; c < n; ++c) {
    int piv = c;
    for (int r = c + 1; r < n; ++r) {
      if (std::abs(a[r * n + c]) > std::abs(a[piv * n + c])) piv = r;
    }
    if (piv != c) {
      for (int k = 0; k < n; ++k) std::swap(a[c * n + k], a[piv * n + k]);
      std::swap(b[c], b[piv]);
    }
    const double d = a[c * n + c];
    if (d == 0.0) continue;
    for (int r = c + 1; r < n; ++r) {
      const double f = a[r * n + c] / d;
      for (int k = c; k < n; ++k) a[r * n + k] -= f * a[c * n + k];
      b[r] -= f * b[c];
    }
  }
  for (int r = n - 1; r >= 0; --r) {
    double s = b[r];
    for (int k = r + 1; k < n; ++k) s -= a[r * n + k] * b[k];
    b[r] = a[r * n + r] != 0.0 ? s / a[r * n + r] : 0.0;
  }
}

bool Inside(const std::vector<double>& v, double lo, double hi) {
  return std::all_of(v.begin(), v.end(), [&](double x) { return x > lo && x < hi; });
}

}  // namespace

std::vector<double> SavitzkyGolay(std::span<const double> y, int window, int order, int deriv, double dt) {
  const int n = static_cast<int>(y.size());
  std::vector<double> out(y.size(), 0.0);
  if (n == 0) return out;
  int w = std::min(window, n);
  if (w % 2 == 0) --w;
  const int p = std::min(order, w - 1);
  if (w < 1 || p < deriv) {
    // Too few samples for the derivative: plain differences (or zeros).
    if (deriv == 0) std::copy(y.begin(), y.end(), out.begin());
    if (deriv == 1 && n > 1) {
      for (int i = 0; i < n; ++i) {
        const int a = std::max(0, i - 1), b = std::min(n - 1, i + 1);
        out[static_cast<size_t>(i)] = (y[static_cast<size_t>(b)] - y[static_cast<size_t>(a)]) / ((b - a) * dt);
      }
    }
    return out;
  }
  const int half = w / 2;
  const int m = p + 1;
  double factorial = 1.0;
  for (int k = 2; k <= deriv; ++k) factorial *= k;
  for (int i = 0; i < n; ++i) {
    const int start = std::clamp(i - half, 0, n - w);
    // Fit y(t) ~ sum c_k (t - t_i)^k over the window, t in samples.
    double ata[36] = {}, atb[6] = {};
    for (int j = start; j < start + w; ++j) {
      const double x = j - i;
      double pw[6];
      pw[0] = 1.0;
      for (int k = 1; k < m; ++k) pw[k] = pw[k - 1] * x;
      for (int r = 0; r < m; ++r) {
        atb[r] += pw[r] * y[static_cast<size_t>(j)];
        for (int c = 0; c < m; ++c) ata[r * m + c] += pw[r] * pw[c];
      }
    }
    Solve(m, ata, atb);
    out[static_cast<size_t>(i)] = atb[deriv] * factorial / std::pow(dt, deriv);
  }
  return out;
}

ComfortSignals ComputeComfortSignals(std::span<const double> lon_accel, std::span<const double> heading,
                                     std::span<const double> speed, double dt) {
  ComfortSignals s;
  // Unwrap the heading so that differences do not jump by 2 pi.
  std::vector<double> h(heading.begin(), heading.end());
  for (size_t i = 1; i < h.size(); ++i) {
    const double d = h[i] - h[i - 1];
    h[i] -= 2.0 * std::numbers::pi * std::round(d / (2.0 * std::numbers::pi));
  }
  s.lon_accel = SavitzkyGolay(lon_accel, 8, 2, 0, dt);
  s.yaw_rate = SavitzkyGolay(h, 5, 2, 1, dt);
  s.yaw_accel = SavitzkyGolay(h, 5, 3, 2, dt);
  s.lat_accel.resize(speed.size());
  for (size_t i = 0; i < speed.size(); ++i) s.lat_accel[i] = speed[i] * s.yaw_rate[i];
  s.lat_accel = SavitzkyGolay(s.lat_accel, 8, 2, 0, dt);
  s.lon_jerk = SavitzkyGolay(s.lon_accel, 15, 2, 1, dt);
  std::vector<double> magnitude(s.lon_accel.size());
  for (size_t i = 0; i < magnitude.size(); ++i) magnitude[i] = std::sqrt(s.lon_accel[i] * s.lon_accel[i] + s.lat_accel[i] * s.lat_accel[i]);
  s.jerk = SavitzkyGolay(magnitude, 15, 2, 1, dt);
  return s;
}

bool WithinComfortBounds(const ComfortSignals& s, const ComfortBounds& b) {
  return Inside(s.lon_accel, b.min_lon_accel, b.max_lon_accel) &&
         Inside(s.lat_accel, -b.max_abs_lat_accel, b.max_abs_lat_accel) &&
         Inside(s.jerk, -std::numeric_limits<double>::infinity(), b.max_abs_jerk) &&
         Inside(s.lon_jerk, -b.max_abs_lon_jerk, b.max_abs_lon_jerk) &&
         Inside(s.yaw_rate, -b.max_abs_yaw_rate, b.max_abs_yaw_rate) &&
         Inside(s.yaw_accel, -b.max_abs_yaw_accel, b.max_abs_yaw_accel);
}

bool IsComfortable(std::span<const double> lon_accel, std::span<const double> yaw_rate,
                   std::span<const double> lat_accel, double dt, const ComfortBounds& b) {
  const size_t n = lon_accel.size();
  for (size_t i = 0; i < n; ++i) {
    if (!(lon_accel[i] > b.min_lon_accel && lon_accel[i] < b.max_lon_accel)) return false;
    if (std::abs(yaw_rate[i]) >= b.max_abs_yaw_rate) return false;
    if (std::abs(lat_accel[i]) >= b.max_abs_lat_accel) return false;
    if (i > 0) {
      if (std::abs(lon_accel[i] - lon_accel[i - 1]) / dt >= b.max_abs_lon_jerk) return false;
      if (std::abs(yaw_rate[i] - yaw_rate[i - 1]) / dt >= b.max_abs_yaw_accel) return false;
    }
  }
  return true;
}

}  // namespace tarmac
