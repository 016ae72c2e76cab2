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
      // Beyond the log (or in a gap): constant velocity from the last valid
      // step, estimated from the logged positions over the last 0.5 s (logged
      // velocity fields can be zero at a log's last step, as in ScenarioNet
      // files, and single steps are noisy).
      if (!ego.valid(last)) {
        const ActorState a = ActorOf(m, *requests[q].state, actor);
        plan.poses[static_cast<size_t>(k)] = {a.x + k * m.dt() * a.speed * std::cos(a.heading),
                                              a.y + k * m.dt() * a.speed * std::sin(a.heading), a.heading};
        continue;
      }
      double vx = ego.vx(last), vy = ego.vy(last);
      int back = 0;
      while (back < 5 && last - back - 1 >= 0 && ego.valid(last - back - 1)) ++back;
      if (back > 0) {
        vx = (ego.x(last) - ego.x(last - back)) / (back * m.dt());
        vy = (ego.y(last) - ego.y(last - back)) / (back * m.dt());
      }
      const double dt = (t - last) * m.dt();
      plan.poses[static_cast<size_t>(k)] = {ego.x(last) + dt * vx, ego.y(last) + dt * vy, ego.heading(last)};
    }
  });
}

}  // namespace tarmac
