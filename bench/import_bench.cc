// Importer throughput on real files (bytes/s), against parsing the same
// scenario from tarmac's binary encoding.
#include <benchmark/benchmark.h>

#include "bench/bench_data.h"

namespace tarmac {
namespace {

void BM_ImportCommonRoad(benchmark::State& state) {
  Result<std::string> bytes = ReadFileBytes(bench::SuiteFile("USA_US101-15_1_T-1.xml"));
  TARMAC_CHECK(bytes.ok());
  for (auto _ : state) {
    Result<std::vector<v1::Scenario>> r = ParseScenarios(*bytes, "bench.xml", Format::kCommonRoad);
    benchmark::DoNotOptimize(r.ok());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(bytes->size()));
}
BENCHMARK(BM_ImportCommonRoad);

void BM_ParseTarmacPb(benchmark::State& state) {
  const std::string pb = SerializeBinary(bench::LoadSuiteScenario("USA_US101-15_1_T-1.xml"));
  for (auto _ : state) {
    Result<std::vector<v1::Scenario>> r = ParseScenarios(pb, "bench.pb", Format::kTarmacBinary);
    benchmark::DoNotOptimize(r.ok());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(pb.size()));
}
BENCHMARK(BM_ParseTarmacPb);

}  // namespace
}  // namespace tarmac
