// Map index: projection queries at every logged agent position of real
// scenarios, against the brute-force scan they replace.
#include <benchmark/benchmark.h>

#include "bench/bench_data.h"
#include "scenarios/map/map_index.h"

namespace tarmac {
namespace {

struct Query {
  double x, y, heading;
};

std::vector<Query> AgentPoses(const v1::Scenario& s) {
  std::vector<Query> q;
  for (const v1::Track& t : s.tracks()) {
    for (int k = 0; k < t.valid_size(); ++k) {
      if (t.valid(k)) q.push_back({t.x(k), t.y(k), t.heading(k)});
    }
  }
  return q;
}

const char* const kMaps[] = {"USA_Lanker-1_3_T-1.xml", "USA_US101-4_1_T-1.xml"};

void BM_MapIndexBuild(benchmark::State& state) {
  const v1::Scenario s = bench::LoadSuiteScenario(kMaps[state.range(0)]);
  for (auto _ : state) {
    MapIndex index(s.map());
    benchmark::DoNotOptimize(index.num_segments());
  }
  state.SetLabel(kMaps[state.range(0)]);
}
BENCHMARK(BM_MapIndexBuild)->DenseRange(0, 1);

template <bool kWithHeading>
void BM_Project(benchmark::State& state) {
  const v1::Scenario s = bench::LoadSuiteScenario(kMaps[state.range(0)]);
  const MapIndex index(s.map());
  const std::vector<Query> q = AgentPoses(s);
  size_t i = 0;
  for (auto _ : state) {
    const Query& p = q[i];
    i = i + 1 == q.size() ? 0 : i + 1;
    if constexpr (kWithHeading) {
      benchmark::DoNotOptimize(index.ProjectWithHeading(p.x, p.y, p.heading));
    } else {
      benchmark::DoNotOptimize(index.Project(p.x, p.y));
    }
  }
  state.SetLabel(kMaps[state.range(0)]);
}
BENCHMARK_TEMPLATE(BM_Project, false)->DenseRange(0, 1);
BENCHMARK_TEMPLATE(BM_Project, true)->DenseRange(0, 1);

// Baseline: nearest lane by scanning every centreline.
void BM_ProjectBruteForce(benchmark::State& state) {
  const v1::Scenario s = bench::LoadSuiteScenario(kMaps[state.range(0)]);
  const MapIndex index(s.map());
  const std::vector<Query> q = AgentPoses(s);
  size_t i = 0;
  for (auto _ : state) {
    const Query& p = q[i];
    i = i + 1 == q.size() ? 0 : i + 1;
    double best = 1e300;
    for (LaneIdx l = 0; l < index.num_lanes(); ++l) {
      best = std::min(best, index.Centerline(l).Project(p.x, p.y).distance);
    }
    benchmark::DoNotOptimize(best);
  }
  state.SetLabel(kMaps[state.range(0)]);
}
BENCHMARK(BM_ProjectBruteForce)->DenseRange(0, 1);

}  // namespace
}  // namespace tarmac
