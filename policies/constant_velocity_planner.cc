#include "policies/constant_velocity_planner.h"

#include <cmath>

#include "sim/actor.h"
#include "sim/thread_pool.h"

namespace tarmac {

void ConstantVelocityPlanner::Plan(std::span<const PlanRequest> requests, std::span<Trajectory> plans,
                                   std::span<std::string>, ThreadPool* pool) {
  ParallelFor(pool, static_cast<int>(requests.size()), [&](int b) {
    const size_t q = static_cast<size_t>(b);
    const ScenarioModel& m = *requests[q].model;
    const ActorState box = ActorOf(m, *requests[q].state, requests[q].actor);
    const double v = box.speed;
    Trajectory& plan = plans[q];
    plan.dt = m.dt();
    plan.poses.resize(kPlanHorizonSteps + 1);
    for (int k = 0; k <= kPlanHorizonSteps; ++k) {
      const double d = v * k * m.dt();
      plan.poses[static_cast<size_t>(k)] = {box.x + d * std::cos(box.heading),
                                            box.y + d * std::sin(box.heading), box.heading};
    }
  });
}

}  // namespace tarmac
