#include "sim/tracker.h"

#include <Eigen/Dense>

#include <algorithm>
#include <cmath>

#include "scenarios/import/import_util.h"

namespace tarmac {
namespace {

constexpr int kMaxFit = FittedProfiles::kMax;
using Mat = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, 0, kMaxFit, kMaxFit>;
using Vec = Eigen::Matrix<double, Eigen::Dynamic, 1, 0, kMaxFit, 1>;
using Mat3 = Eigen::Matrix3d;
using Vec3 = Eigen::Vector3d;

// Keeps nuPlan's curvature system non-singular at zero speed.
constexpr double kInitialCurvaturePenalty = 1e-10;

}  // namespace

FittedProfiles FitProfiles(const Pose2* p, int num_poses, double dt, const TrackerParams& params) {
  FittedProfiles out;
  const int m = std::min(num_poses - 1, kMaxFit);  // displacements
  if (m < 1) return out;
  out.count = m;
  // Speed fit: unknowns z = [v0, a0 .. a_{m-2}]; displacement j = dt * v_j * (cos, sin)(psi_j),
  // v_j = v0 + dt * sum_{i<j} a_i. Normal equations with a jerk (first difference) penalty.
  // With w_0 = dt and w_a = dt^2 (a >= 1), (A^T A)(a, b) = w_a w_b (m - max(a, b))
  // (c^2 + s^2 = 1) and (A^T y)(a) = w_a * sum_{j >= a} proj_j: built in O(m^2).
  double suffix[kMaxFit + 1];
  suffix[m] = 0.0;
  for (int j = m - 1; j >= 0; --j) {
    const double dx = p[j + 1].x - p[j].x;
    const double dy = p[j + 1].y - p[j].y;
    suffix[j] = suffix[j + 1] + std::cos(p[j].heading) * dx + std::sin(p[j].heading) * dy;
  }
  Mat ata(m, m);
  Vec aty(m);
  for (int a = 0; a < m; ++a) {
    const double wa = a == 0 ? dt : dt * dt;
    aty(a) = wa * suffix[a];
    for (int b = 0; b < m; ++b) ata(a, b) = wa * (b == 0 ? dt : dt * dt) * (m - std::max(a, b));
  }
  for (int i = 1; i + 1 < m; ++i) {  // (a_{i+1} - a_i)^2 penalties on columns i, i+1
    ata(i, i) += params.jerk_penalty;
    ata(i + 1, i + 1) += params.jerk_penalty;
    ata(i, i + 1) -= params.jerk_penalty;
    ata(i + 1, i) -= params.jerk_penalty;
  }
  const Vec z = ata.ldlt().solve(aty);
  double v = z(0);
  for (int j = 0; j < m; ++j) {
    out.speed[j] = v;
    if (j + 1 < m) v += dt * z(j + 1);
  }
  // Curvature fit: dpsi_j = dt * v_j * kappa_j, kappa_j = k0 + dt * sum_{i<j} kdot_i.
  // Likewise (C^T C)(a, b) = w_a w_b sum_{j >= max(a, b)} v_j^2 and
  // (C^T dpsi)(a) = w_a sum_{j >= a} v_j dpsi_j.
  double v2[kMaxFit + 1], vd[kMaxFit + 1];
  v2[m] = vd[m] = 0.0;
  for (int j = m - 1; j >= 0; --j) {
    const double dpsi = WrapAngle(p[j + 1].heading - p[j].heading);
    v2[j] = v2[j + 1] + out.speed[j] * out.speed[j];
    vd[j] = vd[j + 1] + out.speed[j] * dpsi;
  }
  Mat ctc(m, m);
  Vec ctd(m);
  for (int a = 0; a < m; ++a) {
    const double wa = a == 0 ? dt : dt * dt;
    ctd(a) = wa * vd[a];
    for (int b = 0; b < m; ++b) ctc(a, b) = wa * (b == 0 ? dt : dt * dt) * v2[std::max(a, b)];
  }
  ctc(0, 0) += kInitialCurvaturePenalty;
  for (int i = 1; i < m; ++i) ctc(i, i) += params.curvature_rate_penalty;
  const Vec w = ctc.ldlt().solve(ctd);
  double k = w(0);
  for (int j = 0; j < m; ++j) {
    out.curvature[j] = k;
    if (j + 1 < m) k += dt * w(j + 1);
  }
  return out;
}

EgoCommand TrackTrajectory(const EgoState& state, const Trajectory& plan,
                           const VehicleParams& vehicle, const TrackerParams& params) {
  const int n = static_cast<int>(plan.poses.size());
  if (n < 2) return {-params.stopping_gain * state.speed, 0.0};
  const double dt = plan.dt;
  // Rear-axle reference poses over the fit window.
  const int used = std::min({n, params.fit_steps + 1, kMaxFit + 1});
  Pose2 rear[kMaxFit + 1];
  for (int i = 0; i < used; ++i) {
    const Pose2& c = plan.poses[static_cast<size_t>(i)];
    rear[i] = {c.x - vehicle.rear_axle_to_center * std::cos(c.heading),
               c.y - vehicle.rear_axle_to_center * std::sin(c.heading), c.heading};
  }
  const FittedProfiles prof = FitProfiles(rear, used, dt, params);
  return TrackWithProfiles(state, rear[0], prof, 0, dt, vehicle, params);
}

EgoCommand TrackWithProfiles(const EgoState& state, const Pose2& ref, const FittedProfiles& prof,
                             int index, double dt, const VehicleParams& vehicle,
                             const TrackerParams& params) {
  if (prof.count < 1) return {-params.stopping_gain * state.speed, 0.0};
  // Lateral error state at "now" against the reference pose.
  const double dx = state.x - ref.x, dy = state.y - ref.y;
  const double sh = std::sin(ref.heading), ch = std::cos(ref.heading);
  const Vec3 xi0(-dx * sh + dy * ch, WrapAngle(state.heading - ref.heading), state.steer);

  const int horizon = params.tracking_horizon;
  const int ref_index = std::min(index + horizon, prof.count - 1);
  const double e_along = -dx * ch - dy * sh;  // > 0: the ego lags behind the reference
  const double v_ref = prof.speed[ref_index] + params.position_gain * e_along;
  const double v0 = state.speed;

  EgoCommand cmd;
  if (v_ref <= params.stopping_speed && v0 <= params.stopping_speed) {
    cmd.accel = -params.stopping_gain * (v0 - v_ref);
    cmd.steer_rate = 0.0;
    return cmd;
  }
  // Longitudinal: constant accel over the horizon, v_N = v0 + (N dt) a.
  const double b_lon = horizon * dt;
  cmd.accel = -b_lon * params.q_longitudinal * (v0 - v_ref) /
              (b_lon * params.q_longitudinal * b_lon + params.r_longitudinal);

  // Lateral: compose N Euler steps of the model linearised about (v_k, kappa_k).
  // The heading error obeys de_psi/dt = v (tan(steer) / L - kappa); it is
  // linearised about the reference steering angle steer_r = atan(L kappa)
  // (nuPlan uses tan(steer) ~ steer, which leaves a small offset in curves):
  // tan(steer) ~ L kappa + (steer - steer_r) / cos^2(steer_r).
  Mat3 a = Mat3::Identity();
  Vec3 b = Vec3::Zero();
  Vec3 g = Vec3::Zero();
  const Vec3 b_step(0.0, 0.0, dt);
  for (int k = 0; k < horizon; ++k) {
    const double vk = v0 + k * dt * cmd.accel;
    const double kappa = prof.curvature[std::min(index + k, prof.count - 1)];
    const double steer_r = std::atan(vehicle.wheel_base * kappa);
    const double sec2 = 1.0 + vehicle.wheel_base * kappa * vehicle.wheel_base * kappa;
    Mat3 mk = Mat3::Identity();
    mk(0, 1) = vk * dt;
    mk(1, 2) = vk * dt * sec2 / vehicle.wheel_base;
    const Vec3 ck(0.0, -vk * dt * sec2 * steer_r / vehicle.wheel_base, 0.0);
    a = mk * a;
    b = mk * b + b_step;
    g = mk * g + ck;
  }
  Vec3 e = a * xi0 + g;
  e(1) = WrapAngle(e(1));
  e(2) = WrapAngle(e(2));
  const Vec3 q(params.q_lateral[0], params.q_lateral[1], params.q_lateral[2]);
  const double btqb = (b.array() * q.array() * b.array()).sum();
  const double btqe = (b.array() * q.array() * e.array()).sum();
  cmd.steer_rate = -btqe / (btqb + params.r_lateral);
  return cmd;
}

}  // namespace tarmac
