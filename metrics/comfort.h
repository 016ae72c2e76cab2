// Comfort: nuPlan's ego_is_comfortable bounds on the ego's longitudinal and
// lateral acceleration, jerk, yaw rate and yaw acceleration, computed with
// Savitzky-Golay smoothing and derivatives (docs/metrics.md lists the values
// and their source).
#pragma once

#include <span>
#include <vector>

namespace tarmac {

struct ComfortBounds {
  double min_lon_accel = -4.05;  // [m/s^2]
  double max_lon_accel = 2.40;   // [m/s^2]
  double max_abs_lat_accel = 4.89;  // [m/s^2]
  double max_abs_jerk = 8.37;    // [m/s^3]
  double max_abs_lon_jerk = 4.13;  // [m/s^3]
  double max_abs_yaw_rate = 0.95;  // [rad/s]
  double max_abs_yaw_accel = 1.93;  // [rad/s^2]
};

// Savitzky-Golay filter: at every sample, a least-squares polynomial of
// `order` over a window of `window` samples (odd; even sizes are reduced by
// one, and the window shrinks to the series length), evaluated at that sample
// (deriv 0) or differentiated `deriv` times with sample spacing `dt`. Near the
// ends the first / last full window is used (scipy's mode "interp").
std::vector<double> SavitzkyGolay(std::span<const double> y, int window, int order, int deriv, double dt);

// The comfort values of one ego trajectory.
struct ComfortSignals {
  std::vector<double> lon_accel, lat_accel, jerk, lon_jerk, yaw_rate, yaw_accel;
};

// From per-step longitudinal acceleration, heading [rad, unwrapped here] and
// speed, at spacing dt: smoothed as nuPlan does.
ComfortSignals ComputeComfortSignals(std::span<const double> lon_accel, std::span<const double> heading,
                                     std::span<const double> speed, double dt);

// True if every value of every signal lies strictly inside its bounds.
bool WithinComfortBounds(const ComfortSignals& s, const ComfortBounds& bounds = {});

// Shortcut for planners scoring short proposals: raw accelerations and yaw
// rates (already smooth in a simulated rollout), jerk and yaw acceleration by
// differences.
bool IsComfortable(std::span<const double> lon_accel, std::span<const double> yaw_rate,
                   std::span<const double> lat_accel, double dt, const ComfortBounds& bounds = {});

}  // namespace tarmac
