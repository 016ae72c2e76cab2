// tarmac_synthetic_store OUT.db [RUNS] [SCENARIOS] [TRACED]: writes the
// synthetic results store of tests/support/synthetic_store.h (default 100
// runs x 1,000 scenarios), for the dashboard's speed test
// (tests/web/api_speed.test.mjs). Scenario files go beside OUT.db.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "tests/support/synthetic_store.h"

int main(int argc, char** argv) {
  if (argc < 2 || argc > 5) {
    std::fprintf(stderr, "usage: tarmac_synthetic_store OUT.db [RUNS] [SCENARIOS] [TRACED]\n");
    return 2;
  }
  tarmac::testing::SyntheticStoreOptions o;
  if (argc > 2) o.runs = std::atoi(argv[2]);
  if (argc > 3) o.scenarios = std::atoi(argv[3]);
  if (argc > 4) o.traced = std::atoi(argv[4]);
  if (o.runs < 1 || o.scenarios < 1 || o.traced < 0 || o.traced > o.scenarios) {
    std::fprintf(stderr, "tarmac_synthetic_store: need RUNS >= 1, SCENARIOS >= 1, 0 <= TRACED <= SCENARIOS\n");
    return 2;
  }
  const std::filesystem::path out(argv[1]);
  o.files_dir = out.parent_path() / (out.stem().string() + "-scenarios");
  const auto t0 = std::chrono::steady_clock::now();
  const tarmac::Result<void> r = tarmac::testing::MakeSyntheticStore(out, o);
  if (!r.ok()) {
    std::fprintf(stderr, "tarmac_synthetic_store: %s\n", r.error().message.c_str());
    return 2;
  }
  std::printf("%s: %d runs x %d scenarios in %.2f s\n", out.c_str(), o.runs, o.scenarios,
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  return 0;
}
