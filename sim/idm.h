// The Intelligent Driver Model (Treiber, Hennecke, Helbing 2000), shared by the
// reactive agents and the rule-based planners.
#pragma once

#include <algorithm>
#include <cmath>

namespace tarmac {

struct IdmParams {
  double min_gap = 1.0;    // s0: gap kept at standstill [m]
  double headway = 1.5;    // T: desired time gap [s]
  double max_accel = 1.0;  // a [m/s^2]
  double max_decel = 2.0;  // b: comfortable deceleration, also the braking limit [m/s^2]
  double exponent = 4.0;   // delta
};

// dv/dt = a [1 - (v/v0)^delta - (s*/s)^2], s* = s0 + max(0, v T + v (v - v_lead) / (2 sqrt(a b))),
// clipped to [-b, a]. `gap` is bumper to bumper [m]; gap < 0 or infinite
// means no leader. v0 <= 0 gives a target of standing still.
inline double IdmAcceleration(const IdmParams& p, double v, double v0, double gap, double v_lead) {
  double free_term = 0.0;
  if (v0 > 0.0) {
    free_term = std::pow(std::max(v, 0.0) / v0, p.exponent);
  } else {
    free_term = v > 0.0 ? 1e6 : 0.0;  // desired speed zero: brake
  }
  double interaction = 0.0;
  if (gap >= 0.0 && std::isfinite(gap)) {
    const double dynamic = v * p.headway + v * (v - v_lead) / (2.0 * std::sqrt(p.max_accel * p.max_decel));
    const double desired = p.min_gap + std::max(0.0, dynamic);
    const double s = std::max(gap, 0.01);
    interaction = (desired / s) * (desired / s);
  }
  const double acc = p.max_accel * (1.0 - free_term - interaction);
  return std::clamp(acc, -p.max_decel, p.max_accel);
}

}  // namespace tarmac
