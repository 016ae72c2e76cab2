#include "agents/planner_agents.h"

#include <cmath>
#include <vector>

#include "sim/runner.h"

namespace tarmac {

void PlannerAgents::Step(const ScenarioModel& m, SimState* st) const {
  // Plans for every active reactive vehicle, from the state at this step.
  thread_local std::vector<PlanRequest> requests;
  thread_local std::vector<Trajectory> plans;
  thread_local std::vector<std::string> errors;
  requests.clear();
  for (int i = 0; i < m.num_agents(); ++i) {
    if (m.agent_path(i).usable && st->active(i)) requests.push_back({&m, st, i});
  }
  plans.resize(requests.size());
  errors.assign(requests.size(), std::string());
  if (!requests.empty()) {
    try {
      planner_->Plan(requests, plans, errors, nullptr);
    } catch (const std::exception& e) {
      for (std::string& err : errors) err = e.what();
    }
  }
  // Everything moves as with IDM agents (spawns, replays, and the fallback) ...
  idm_.Step(m, st);
  // ... then the planned agents take their plan's next pose.
  const double dt = m.dt();
  for (size_t q = 0; q < requests.size(); ++q) {
    const size_t k = static_cast<size_t>(requests[q].actor);
    if (!errors[q].empty() || !CheckPlan(plans[q], dt).empty() || st->status[k] != AgentStatus::kActive) {
      continue;
    }
    const Pose2& now = plans[q].poses[0];
    const Pose2& next = plans[q].poses[1];
    const double speed = std::sqrt((next.x - now.x) * (next.x - now.x) + (next.y - now.y) * (next.y - now.y)) / dt;
    st->x[k] = next.x;
    st->y[k] = next.y;
    st->heading[k] = next.heading;
    st->speed[k] = speed;
    st->vx[k] = speed * std::cos(next.heading);
    st->vy[k] = speed * std::sin(next.heading);
    // Keep the lane-path coordinate in step for a later IDM fallback.
    const Path2& path = m.agent_path(requests[q].actor).lanes.path;
    st->s[k] = path.ProjectWindow(next.x, next.y, st->s[k] - 5.0, st->s[k] + 5.0 + speed * dt).s;
    st->lateral0[k] = 0.0;
  }
}

}  // namespace tarmac
