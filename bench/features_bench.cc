// The feature builder of the model contract (policies/features/) on a real
// scene: the densest nuScenes scene of ../shared/data (scene-0061: 225 other
// tracks, 460 lanes) when the data is there, else the densest scene of the
// embedded suite (Lankershim). Target: <= 50 us per observation.
#include <benchmark/benchmark.h>

#include "agents/log_agents.h"
#include "bench/bench_data.h"
#include "policies/features/feature_builder.h"

namespace tarmac {
namespace {

// The model starts at step 20, so the whole 2 s history comes from the log.
std::shared_ptr<const ScenarioModel> Model() {
  static const std::shared_ptr<const ScenarioModel> model = [] {
    std::optional<v1::Scenario> s =
        bench::LoadSharedScenario("nuscenes-mini-scenarionet/sd_nuscenes_v1.0-mini_scene-0061.pkl");
    if (!s) s = bench::LoadSuiteScenario("USA_Lanker-1_1_T-1.xml");
    ModelOptions options;
    options.start_step = 20;
    Result<std::shared_ptr<const ScenarioModel>> m = ScenarioModel::Build(std::move(*s), options);
    TARMAC_CHECK(m.ok());
    return *m;
  }();
  return model;
}

void BM_BuildObservation(benchmark::State& state) {
  const std::shared_ptr<const ScenarioModel> m = Model();
  SimState st;
  st.Reset(*m);
  LogAgents().Reset(*m, &st);
  FeatureBuilder builder;
  std::vector<float> buffer(model_io::kObservationFloats);
  for (auto _ : state) {
    TARMAC_CHECK(builder.BuildObservation(*m, st, kEgoActor, nullptr, {buffer}).ok());
    benchmark::DoNotOptimize(buffer.data());
  }
  state.SetLabel(m->id());
}
BENCHMARK(BM_BuildObservation);

void BM_BuildTrainingSample(benchmark::State& state) {
  const std::shared_ptr<const ScenarioModel> m = Model();
  FeatureBuilder builder;
  std::vector<int> tracks;
  FeatureBuilder::TrainingTracks(*m, m->start_step(), &tracks);
  TARMAC_CHECK(!tracks.empty());
  std::vector<float> obs(model_io::kObservationFloats), target(model_io::kTargetFloats);
  size_t i = 0;
  for (auto _ : state) {  // cycles through every vehicle of the step
    TARMAC_CHECK(builder.BuildTrainingSample(*m, m->start_step(), tracks[i], {obs}, {target}).ok());
    i = (i + 1) % tracks.size();
    benchmark::DoNotOptimize(obs.data());
  }
  state.SetLabel(m->id());
}
BENCHMARK(BM_BuildTrainingSample);

}  // namespace
}  // namespace tarmac
