#include "sim/runner.h"

#include <fmt/format.h>

#include <cmath>
#include <exception>

#include "sim/actor.h"
#include "sim/signals.h"

namespace tarmac {
namespace {

// One scenario in flight.
struct Rollout {
  const ScenarioModel* model = nullptr;
  SimState state;
  RolloutResult result;
  std::vector<uint8_t> collided;
  bool done = false;
  bool keep_history = false;  // the planner wants_history()
  StateHistory history;       // every recorded state is pushed when keep_history
};

void Record(const SimConfig& config, Rollout* r) {
  const ScenarioModel& m = *r->model;
  RolloutTrace& trace = r->result.trace;
  for (AgentStatus a : r->state.status) r->result.agent_steps += a == AgentStatus::kActive ? 1 : 0;
  trace.ego.push_back(ComputeEgoSample(m, r->state, trace.ego.empty() ? nullptr : &trace.ego.back()));
  DetectCollisions(m, r->state, &r->collided, &trace.collisions);
  if (config.record_agents) {
    const SimState& s = r->state;
    for (int i = 0; i < s.num_agents(); ++i) {
      const size_t k = static_cast<size_t>(i);
      trace.agent_x.push_back(static_cast<float>(s.x[k]));
      trace.agent_y.push_back(static_cast<float>(s.y[k]));
      trace.agent_heading.push_back(static_cast<float>(s.heading[k]));
      trace.agent_vx.push_back(static_cast<float>(s.vx[k]));
      trace.agent_vy.push_back(static_cast<float>(s.vy[k]));
      trace.agent_active.push_back(s.active(i) ? 1 : 0);
    }
  }
  HashState(&r->state);
  if (r->keep_history) r->history.Push(m, r->state);
}

void Start(const AgentModel& agents, const SimConfig& config, Rollout* r) {
  const ScenarioModel& m = *r->model;
  r->state.Reset(m);
  r->collided.assign(static_cast<size_t>(m.num_agents()), 0);
  r->result.scenario_id = m.id();
  r->result.trace.num_agents = m.num_agents();
  const size_t steps = static_cast<size_t>(m.end_step() - m.start_step());
  r->result.trace.ego.reserve(steps);
  if (config.record_plans) {
    r->result.trace.plan_start.reserve(steps + 1);
    r->result.trace.plan_poses.reserve(steps * (kPlanHorizonSteps / 5 + 2));
  }
  if (config.record_agents) {
    const size_t n = steps * static_cast<size_t>(m.num_agents());
    for (auto* v : {&r->result.trace.agent_x, &r->result.trace.agent_y, &r->result.trace.agent_heading,
                    &r->result.trace.agent_vx, &r->result.trace.agent_vy}) {
      v->reserve(n);
    }
    r->result.trace.agent_active.reserve(n);
  }
  agents.Reset(m, &r->state);
  if (r->keep_history) r->history.Reset(m);
  Record(config, r);
}

void Fail(Rollout* r, std::string reason) {
  r->result.ok = false;
  r->result.error = fmt::format("step {}: {}", r->state.step, reason);
  r->done = true;
}

void Finish(Rollout* r) {
  r->done = true;
  const ScenarioModel& m = *r->model;
  r->result.state_hash = r->state.hash;
  r->result.steps = r->state.step - m.start_step();
  r->result.sim_seconds = r->result.steps * m.dt();
  int not_spawned = 0;
  for (int i = 0; i < m.num_agents(); ++i) {
    const size_t k = static_cast<size_t>(i);
    if (r->state.status[k] == AgentStatus::kGone && r->state.spawn_step[k] < 0) ++not_spawned;
  }
  r->result.agents_not_spawned = not_spawned;
}

// Tracks the plan, moves the ego and the agents one step, records.
void Advance(const AgentModel& agents, const SimConfig& config, const Trajectory& plan, Rollout* r) {
  const ScenarioModel& m = *r->model;
  if (std::string why = CheckPlan(plan, m.dt()); !why.empty()) {
    Fail(r, "planner returned an invalid trajectory: " + why);
    return;
  }
  if (config.record_plans) {
    RolloutTrace& trace = r->result.trace;
    const size_t stride = static_cast<size_t>(std::max(1, trace.plan_stride));
    if (trace.plan_start.empty()) trace.plan_start.push_back(0);
    for (size_t k = 0; k < plan.poses.size(); k += stride) trace.plan_poses.push_back(plan.poses[k]);
    trace.plan_start.push_back(static_cast<int>(trace.plan_poses.size()));
  }
  const EgoCommand cmd = TrackTrajectory(r->state.ego, plan, m.ego_vehicle(), config.tracker);
  const EgoState next = PropagateBicycle(r->state.ego, cmd, m.ego_vehicle(), m.dt());
  if (!std::isfinite(next.x) || !std::isfinite(next.y) || !std::isfinite(next.speed)) {
    Fail(r, "ego state became non-finite while tracking the plan");
    return;
  }
  agents.Step(m, &r->state);  // agents react to the ego at the current step
  r->state.ego = next;
  ++r->state.step;
  Record(config, r);
  if (r->state.step >= m.end_step() - 1) Finish(r);
}

// Open loop: the ego takes its logged state at the next step.
void AdvanceReplay(const AgentModel& agents, const SimConfig& config, Rollout* r) {
  const ScenarioModel& m = *r->model;
  if (!m.has_ego_log()) {
    Fail(r, "replaying the ego needs a logged ego; this scenario has none");
    return;
  }
  const v1::Track& log = m.scenario().tracks(m.ego_track_index());
  const int next = r->state.step + 1;
  EgoState ego = r->state.ego;
  if (log.valid(next)) {
    const double h = log.heading(next);
    ego = EgoStateFromCenter(log.x(next), log.y(next), h, log.vx(next) * std::cos(h) + log.vy(next) * std::sin(h),
                             m.ego_vehicle());
  }
  agents.Step(m, &r->state);
  r->state.ego = ego;
  ++r->state.step;
  Record(config, r);
  if (r->state.step >= m.end_step() - 1) Finish(r);
}

}  // namespace

std::string CheckPlan(const Trajectory& plan, double dt) {
  if (std::abs(plan.dt - dt) > 1e-9) {
    return fmt::format("pose spacing {} s, the simulator steps {} s", plan.dt, dt);
  }
  const int needed = kMinPlanHorizonSteps + 1;
  if (static_cast<int>(plan.poses.size()) < needed) {
    return fmt::format("{} poses, need at least {} ({:.1f} s)", plan.poses.size(), needed,
                       kMinPlanHorizonSteps * dt);
  }
  for (size_t k = 0; k < plan.poses.size(); ++k) {
    const Pose2& p = plan.poses[k];
    if (!std::isfinite(p.x) || !std::isfinite(p.y) || !std::isfinite(p.heading)) {
      return fmt::format("pose {} is ({}, {}, {})", k, p.x, p.y, p.heading);
    }
  }
  return {};
}

std::vector<RolloutResult> RunRollouts(std::span<const std::shared_ptr<const ScenarioModel>> models,
                                       Planner* planner, const AgentModel& agents,
                                       const SimConfig& config, ThreadPool* pool,
                                       const RolloutCallback& on_done) {
  std::vector<RolloutResult> results(models.size());
  const size_t batch = config.batch > 0 ? static_cast<size_t>(config.batch) : models.size();
  for (size_t first = 0; first < models.size(); first += batch) {
    const size_t count = std::min(batch, models.size() - first);
    std::vector<Rollout> rollouts(count);
    const bool keep_history = !config.replay_ego && planner->wants_history();
    for (size_t i = 0; i < count; ++i) {
      rollouts[i].model = models[first + i].get();
      rollouts[i].keep_history = keep_history;
    }
    ParallelFor(pool, static_cast<int>(count),
                [&](int i) { Start(agents, config, &rollouts[static_cast<size_t>(i)]); });
    for (Rollout& r : rollouts) {
      if (r.state.step >= r.model->end_step() - 1) Finish(&r);
    }
    std::vector<size_t> active;
    std::vector<PlanRequest> requests;
    std::vector<Trajectory> plans;
    std::vector<std::string> errors;
    while (true) {
      active.clear();
      requests.clear();
      for (size_t i = 0; i < count; ++i) {
        if (rollouts[i].done) continue;
        active.push_back(i);
        requests.push_back({rollouts[i].model, &rollouts[i].state, kEgoActor,
                            rollouts[i].keep_history ? &rollouts[i].history : nullptr});
      }
      if (active.empty()) break;
      if (config.replay_ego) {
        ParallelFor(pool, static_cast<int>(active.size()),
                    [&](int j) { AdvanceReplay(agents, config, &rollouts[active[static_cast<size_t>(j)]]); });
        continue;
      }
      plans.resize(active.size());
      errors.assign(active.size(), std::string());
      try {
        planner->Plan(requests, plans, errors, pool);
      } catch (const std::exception& e) {
        for (std::string& err : errors) err = fmt::format("planner '{}' threw: {}", planner->name(), e.what());
      } catch (...) {
        for (std::string& err : errors) err = fmt::format("planner '{}' threw", planner->name());
      }
      ParallelFor(pool, static_cast<int>(active.size()), [&](int j) {
        Rollout& r = rollouts[active[static_cast<size_t>(j)]];
        const std::string& err = errors[static_cast<size_t>(j)];
        if (!err.empty()) {
          Fail(&r, err);
        } else {
          Advance(agents, config, plans[static_cast<size_t>(j)], &r);
        }
      });
    }
    for (size_t i = 0; i < count; ++i) {
      results[first + i] = std::move(rollouts[i].result);
      if (on_done) on_done(first + i, results[first + i]);
    }
  }
  return results;
}

}  // namespace tarmac
