// The simulator's hot functions on a real scene (the embedded suite's US-101
// recording with its CommonRoad planning problem).
#include <benchmark/benchmark.h>

#include "agents/idm_agents.h"
#include "agents/log_agents.h"
#include "bench/bench_data.h"
#include "policies/idm_planner.h"
#include "sim/geometry.h"
#include "sim/signals.h"
#include "sim/tracker.h"

namespace tarmac {
namespace {

std::shared_ptr<const ScenarioModel> Model() {
  static const std::shared_ptr<const ScenarioModel> model = [] {
    Result<std::shared_ptr<const ScenarioModel>> m =
        ScenarioModel::Build(bench::LoadSuiteScenario("USA_US101-15_1_T-1.xml"));
    TARMAC_CHECK(m.ok());
    return *m;
  }();
  return model;
}

void BM_PropagateBicycle(benchmark::State& state) {
  const VehicleParams v = PacificaParams();
  EgoState s;
  s.speed = 10.0;
  for (auto _ : state) {
    s = PropagateBicycle(s, {0.1, 0.01}, v, 0.1);
    benchmark::DoNotOptimize(s);
  }
}
BENCHMARK(BM_PropagateBicycle);

void BM_TrackTrajectory(benchmark::State& state) {
  const std::shared_ptr<const ScenarioModel> m = Model();
  SimState st;
  st.Reset(*m);
  IdmPlanner planner;
  std::vector<Trajectory> plan(1);
  std::vector<std::string> err(1);
  const PlanRequest req{m.get(), &st, -1};
  planner.Plan({&req, 1}, plan, err, nullptr);
  for (auto _ : state) benchmark::DoNotOptimize(TrackTrajectory(st.ego, plan[0], m->ego_vehicle()));
}
BENCHMARK(BM_TrackTrajectory);

void BM_BoxesOverlap(benchmark::State& state) {
  const Box a{0, 0, 0.3, 4.5, 1.8}, b{3.0, 1.5, -0.4, 4.5, 1.8};
  for (auto _ : state) benchmark::DoNotOptimize(BoxesOverlap(a, b));
}
BENCHMARK(BM_BoxesOverlap);

// One step of every agent: per agent-step cost = time / agents.
template <typename Agents>
void BM_AgentsStep(benchmark::State& state) {
  const std::shared_ptr<const ScenarioModel> m = Model();
  const Agents agents;
  SimState st;
  st.Reset(*m);
  agents.Reset(*m, &st);
  const SimState start = st;
  int active = 0;
  for (int i = 0; i < st.num_agents(); ++i) active += st.active(i) ? 1 : 0;
  for (auto _ : state) {
    st = start;  // same step every time
    agents.Step(*m, &st);
    benchmark::DoNotOptimize(st.x.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * active);
}
BENCHMARK_TEMPLATE(BM_AgentsStep, LogAgents);
BENCHMARK_TEMPLATE(BM_AgentsStep, IdmAgents);

void BM_ComputeEgoSample(benchmark::State& state) {
  const std::shared_ptr<const ScenarioModel> m = Model();
  SimState st;
  st.Reset(*m);
  LogAgents().Reset(*m, &st);
  for (auto _ : state) benchmark::DoNotOptimize(ComputeEgoSample(*m, st));
}
BENCHMARK(BM_ComputeEgoSample);

void BM_HashState(benchmark::State& state) {
  const std::shared_ptr<const ScenarioModel> m = Model();
  SimState st;
  st.Reset(*m);
  LogAgents().Reset(*m, &st);
  for (auto _ : state) {
    HashState(&st);
    benchmark::DoNotOptimize(st.hash);
  }
}
BENCHMARK(BM_HashState);

}  // namespace
}  // namespace tarmac
