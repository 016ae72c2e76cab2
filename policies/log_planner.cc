#include "policies/log_planner.h"

#include <cmath>

#include "sim/actor.h"
#include "sim/thread_pool.h"

namespace tarmac {

void LogPlanner::Plan(std::span<const PlanRequest> requests, std::span<Trajectory> plans,
                      std::span<std::string> errors, ThreadPool* pool) {
  ParallelFor(pool, static_cast<int>(requests.size()), [&](int b) {
    const size_t q = static_cast<size_t>(b);
    const ScenarioModel& m = *requests[q].model;
    const int actor = requests[q].actor;
    if (actor == kEgoActor && !m.has_ego_log()) {
      errors[q] = "the log planner needs a logged ego; this scenario has none (a planning problem)";
      return;
    }
    const v1::Track& ego = actor == kEgoActor ? m.scenario().tracks(m.ego_track_index()) : m.agent_track(actor);
    Trajectory& plan = plans[q];
    plan.dt = m.dt();
    plan.poses.resize(kPlanHorizonSteps + 1);
    int last = requests[q].state->step;
    for (int k = 0; k <= kPlanHorizonSteps; ++k) {
      const int t = requests[q].state->step + k;
      if (t < ego.valid_size() && ego.valid(t)) {
        plan.poses[static_cast<size_t>(k)] = {ego.x(t), ego.y(t), ego.heading(t)};
        last = t;
        continue;
      }
      // Beyond the log (or in a gap): constant velocity from the last valid step.
      if (!ego.valid(last)) {
        const ActorState a = ActorOf(m, *requests[q].state, actor);
        plan.poses[static_cast<size_t>(k)] = {a.x + k * m.dt() * a.speed * std::cos(a.heading),
                                              a.y + k * m.dt() * a.speed * std::sin(a.heading), a.heading};
        continue;
      }
      const double dt = (t - last) * m.dt();
      const Pose2 base{ego.x(last), ego.y(last), ego.heading(last)};
      plan.poses[static_cast<size_t>(k)] = {base.x + dt * ego.vx(last), base.y + dt * ego.vy(last),
                                            base.heading};
    }
  });
}

}  // namespace tarmac
