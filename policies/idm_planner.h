// `idm`: follows the centreline of the route (ScenarioModel::route_path) at
// the lane's speed limit, with the Intelligent Driver Model keeping its
// distance to the agents ahead (forecast at constant velocity) and stopping
// for red lights.
#pragma once

#include "sim/idm.h"
#include "sim/planner.h"

namespace tarmac {

struct IdmPlannerParams {
  IdmParams idm{1.0, 1.5, 1.0, 2.0, 4.0};  // s0, T, a, b, delta (nuPlan's IDM values)
  double fallback_speed = 15.0;           // desired speed where no limit is known [m/s]
  double obstacle_radius = 80.0;          // agents farther than this are ignored [m]
};

class IdmPlanner final : public Planner {
 public:
  explicit IdmPlanner(IdmPlannerParams params = {}) : params_(params) {}
  std::string name() const override { return "idm"; }
  void Plan(std::span<const PlanRequest> requests, std::span<Trajectory> plans,
            std::span<std::string> errors, ThreadPool* pool) override;

 private:
  IdmPlannerParams params_;
};

// The desired speed on `path` at arc length s: the limit of the lane there, or `fallback`.
double RouteSpeedLimit(const ScenarioModel& model, const LanePath& path, double s, double fallback);

}  // namespace tarmac
