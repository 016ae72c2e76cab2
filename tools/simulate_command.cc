#include "tools/simulate_command.h"

#include <fmt/format.h>

#include <cmath>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "agents/planner_agents.h"
#include "metrics/scenario_metrics.h"
#include "agents/registry.h"
#include "policies/registry.h"
#include "scenarios/scenario_io.h"
#include "scenarios/summary.h"
#include "sim/runner.h"
#include "tools/cli_util.h"

namespace tarmac {
namespace {

struct SimulateOptions {
  std::vector<std::string> scenarios;
  std::string planner = "idm";
  std::string agents = "log";
  int threads = 1;
  int batch = 0;
  int horizon = 0;
  bool json = false;
  double plan_cost_weight = 0.0;  // learned planners: choose among candidates by plan cost (0: off)
  std::string device = "cpu";
  int64_t seed = 0;
};

// Rollout figures printed by `simulate` (the full metric set is `tarmac run`'s).
struct Summary {
  int collisions = 0;
  int collisions_active = 0;  // ego moving and the agent not behind it
  double max_offroad = 0.0;
  double min_gap = 1e9;
  double progress = 0.0;      // along the route path [m]
  double ade = -1.0;          // mean distance to the logged ego [m], -1 without a log
  double fde = -1.0;
};

Summary Summarize(const ScenarioModel& m, const RolloutResult& r) {
  Summary s;
  for (const CollisionEvent& c : r.trace.collisions) {
    ++s.collisions;
    const bool ego_stopped = std::abs(c.ego_speed) <= 0.05;
    const bool behind = c.bearing > 150.0 * M_PI / 180.0;
    if (!ego_stopped && !behind) ++s.collisions_active;
  }
  for (const EgoSample& e : r.trace.ego) {
    s.max_offroad = std::max(s.max_offroad, e.offroad_m);
    s.min_gap = std::min(s.min_gap, e.min_gap_m);
  }
  if (!r.trace.ego.empty()) s.progress = r.trace.ego.back().route_s - r.trace.ego.front().route_s;
  if (m.has_ego_log()) {
    const v1::Track& log = m.scenario().tracks(m.ego_track_index());
    double sum = 0.0;
    int n = 0;
    for (const EgoSample& e : r.trace.ego) {
      if (!log.valid(e.step)) continue;
      const double d = std::hypot(e.x - log.x(e.step), e.y - log.y(e.step));
      sum += d;
      ++n;
      s.fde = d;
    }
    if (n > 0) s.ade = sum / n;
  }
  return s;
}

}  // namespace

Result<std::unique_ptr<AgentModel>> MakeAgents(const std::string& name, const PlannerOptions& options) {
  // "planner:NAME": reactive vehicles driven by a planner.
  if (name.rfind("planner:", 0) == 0) {
    Result<std::unique_ptr<Planner>> p = MakePlanner(name.substr(8), options);
    if (!p.ok()) return Error{fmt::format("--agents '{}': {}", name, p.error().message)};
    return std::unique_ptr<AgentModel>(std::make_unique<PlannerAgents>(std::move(*p)));
  }
  return MakeAgentModel(name);
}

namespace {

int RunSimulate(const SimulateOptions& o) {
  const PlannerOptions po{std::max(1, o.threads), o.device, o.seed, o.plan_cost_weight};
  Result<std::unique_ptr<Planner>> planner = MakePlanner(ResolvePlannerName(o.planner), po);
  if (!planner.ok()) {
    fmt::print(stderr, "tarmac simulate: {}\n", planner.error().message);
    return kExitInputError;
  }
  Result<std::unique_ptr<AgentModel>> agents = MakeAgents(ResolvePlannerName(o.agents), po);
  if (!agents.ok()) {
    fmt::print(stderr, "tarmac simulate: {}\n", agents.error().message);
    return kExitInputError;
  }
  std::vector<std::string> args = o.scenarios;
  if (args.empty()) args.push_back(DefaultSuiteDir().string());
  std::vector<std::string> missing;
  const std::vector<std::filesystem::path> files = ExpandScenarioPaths(args, &missing);
  int code = kExitOk;
  for (const std::string& m : missing) {
    fmt::print(stderr, "{}: no such file or directory\n", m);
    code = kExitInputError;
  }
  std::vector<std::shared_ptr<const ScenarioModel>> models;
  ModelOptions mo;
  mo.horizon_steps = o.horizon;
  for (const std::filesystem::path& f : files) {
    Result<std::vector<v1::Scenario>> r = ReadScenarios(f);
    if (!r.ok()) {
      fmt::print(stderr, "{}\n", r.error().message);
      code = kExitInputError;
      continue;
    }
    for (v1::Scenario& s : *r) {
      Result<std::shared_ptr<const ScenarioModel>> m = ScenarioModel::Build(std::move(s), mo);
      if (!m.ok()) {
        fmt::print(stderr, "{}: {}\n", f.string(), m.error().message);
        code = kExitInputError;
        continue;
      }
      models.push_back(std::move(*m));
    }
  }
  ThreadPool pool(o.threads);
  SimConfig config;
  config.batch = o.batch;
  const std::vector<RolloutResult> results = RunRollouts(models, planner->get(), **agents, config, &pool);
  nlohmann::json rows = nlohmann::json::array();
  if (!o.json) {
    fmt::print("{:<28} {:>6} {:>6} {:>6} {:>8} {:>8} {:>8} {:>7} {:>7}  {}\n", "scenario", "status", "steps",
               "coll.", "active", "offroad", "progress", "ADE", "FDE", "hash");
  }
  int failed = 0, collided = 0;
  for (size_t i = 0; i < results.size(); ++i) {
    const RolloutResult& r = results[i];
    const Summary s = Summarize(*models[i], r);
    failed += r.ok ? 0 : 1;
    collided += s.collisions_active > 0 ? 1 : 0;
    const std::string hash = fmt::format("{:016x}", r.state_hash);
    nlohmann::json events = nlohmann::json::array();
    for (const CollisionEvent& c : r.trace.collisions) {
      events.push_back({{"step", c.step}, {"agent", c.agent_id}, {"type", TrackTypeName(c.agent_type)},
                        {"ego_speed", c.ego_speed}, {"agent_speed", c.agent_speed},
                        {"bearing_deg", c.bearing * 180.0 / M_PI}, {"ego_front_hit", c.ego_front_hit}});
    }
    nlohmann::json metrics = nlohmann::json::object();
    if (r.ok) {
      const ScenarioMetrics sm = ComputeMetrics(*models[i], r);
      metrics["score"] = sm.score;
      for (const auto& [name, value] : MetricColumns(sm)) {
        metrics[name] = std::isfinite(value) ? nlohmann::json(value) : nlohmann::json(nullptr);
      }
    }
    rows.push_back({{"scenario", r.scenario_id}, {"ok", r.ok}, {"error", r.error}, {"steps", r.steps},
                    {"metrics", metrics},
                    {"collisions", s.collisions}, {"collisions_active", s.collisions_active},
                    {"max_offroad_m", s.max_offroad}, {"min_gap_m", s.min_gap},
                    {"progress_m", s.progress}, {"ade_m", s.ade}, {"fde_m", s.fde},
                    {"agents_not_spawned", r.agents_not_spawned}, {"collision_events", events},
                    {"state_hash", hash}});
    if (o.json) continue;
    if (!r.ok) {
      fmt::print("{:<28} {:>6}  {}\n", r.scenario_id, "FAILED", r.error);
      continue;
    }
    fmt::print("{:<28} {:>6} {:>6} {:>6} {:>8} {:>8.2f} {:>8.1f} {:>7} {:>7}  {}\n", r.scenario_id, "ok",
               r.steps, s.collisions, s.collisions_active, s.max_offroad, s.progress,
               s.ade < 0 ? "-" : fmt::format("{:.2f}", s.ade), s.fde < 0 ? "-" : fmt::format("{:.2f}", s.fde),
               hash);
  }
  if (o.json) {
    std::cout << nlohmann::json{{"planner", o.planner}, {"agents", o.agents}, {"results", rows}}.dump(2) << "\n";
  } else {
    fmt::print("{} scenario(s), planner {}, agents {}: {} failed, {} with an active collision\n",
               results.size(), o.planner, o.agents, failed, collided);
  }
  return code;
}

}  // namespace

void AddSimulateCommand(CLI::App* app) {
  auto o = std::make_shared<SimulateOptions>();
  CLI::App* cmd = app->add_subcommand(
      "simulate", "Closed-loop rollouts with a summary per scenario (no results store; see `run`)");
  cmd->add_option("scenarios", o->scenarios, "Scenario files or folders (default: the embedded suite)");
  cmd->add_option("--planner", o->planner,
                  "log, constant-velocity, idm, pdm, transformer:CKPT, diffusion:CKPT, torchscript:PATH");
  cmd->add_option("--agents", o->agents,
                  "log (replay), idm (reactive), or planner:NAME (reactive vehicles driven by a planner)");
  cmd->add_option("--threads", o->threads, "Worker threads");
  cmd->add_option("--batch", o->batch, "Scenarios in lock-step at once (0: all)");
  cmd->add_option("--horizon", o->horizon, "Steps to simulate (0: to the end of the log)");
  cmd->add_flag("--json", o->json, "Machine-readable output");
  cmd->add_option("--device", o->device, "Learned planners: cpu or cuda")->capture_default_str();
  cmd->add_option("--plan-cost-weight", o->plan_cost_weight,
                  "Learned planners: drive the candidate (transformer mode, or one of 6 diffusion samples) with the "
                  "best log-probability - W * plan cost (off-lane, collision; docs/learned-planners.md); 0: off")
      ->capture_default_str();
  cmd->add_option("--seed", o->seed, "Seed for stochastic planners (the diffusion planner's noise)");
  cmd->callback([o] { SetCommand([o] { return RunSimulate(*o); }); });
}

}  // namespace tarmac
