// The Slurm job scripts (tools/deploy/slurm/) run outside Slurm, with the
// environment an array task gets (SLURM_ARRAY_TASK_ID, ...): shard tasks write
// their databases (directly or through TARMAC_SCRATCH), the merge script
// merges and compares them with a baseline, and a missing shard fails it. The
// real single-node Slurm cluster test is tests/slurm/run_slurm_test.sh (CI).
#include <catch2/catch.hpp>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "store/results_store.h"
#include "tests/support/shell.h"
#include "tests/support/test_data.h"

namespace tarmac {
namespace {

namespace fs = std::filesystem;

// Runs `env ENV bash SCRIPT ARGS` (ENV: env's options and NAME=VALUE pairs);
// out holds stdout and stderr.
testing::ShellRun RunScript(const std::string& env, const std::string& script, const std::string& args) {
  return testing::RunShell("env " + env + " TARMAC_BIN=" + std::string(TARMAC_BINARY) + " bash " +
                               (testing::SourceDir() / "tools/deploy/slurm" / script).string() + " " + args,
                           {}, testing::Stderr::kMerged);
}

TEST_CASE("Slurm scripts: array tasks write the shards, the merge job merges and compares them", "[slurm][merge]") {
  const fs::path dir = fs::temp_directory_path() / ("tarmac_slurm_scripts_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const fs::path out = dir / "out";
  // The embedded suite's 11 NGSIM scenarios, 30 steps.
  const std::string run_args = "--planner idm --agents idm --horizon 30 --scenarios " +
                               (testing::SourceDir() / "suites/default/commonroad").string();
  // The baseline: the embedded suite in one process.
  const std::string single = (dir / "single.db").string();
  REQUIRE(std::system((std::string(TARMAC_BINARY) + " run " + run_args + " --run-name single --json --db " + single +
                       " > /dev/null")
                          .c_str()) == 0);
  // Three array tasks; the second writes through node-local scratch.
  for (int k = 1; k <= 3; ++k) {
    const std::string env = "SLURM_ARRAY_TASK_ID=" + std::to_string(k) + " SLURM_ARRAY_JOB_ID=77 TARMAC_SHARDS=3" +
                            (k == 2 ? " TARMAC_SCRATCH=" + (dir / "scratch").string() : "");
    const testing::ShellRun s = RunScript(env, "tarmac-shard.sbatch", out.string() + " nightly " + run_args);
    INFO(s.out);
    REQUIRE(s.code == 0);
    CHECK(fs::exists(out / ("shard-" + std::to_string(k) + "-of-3.db")));
    if (k == 2) {
      CHECK_THAT(s.out, Catch::Contains("copied to " + (out / "shard-2-of-3.db").string()));
      CHECK_FALSE(fs::exists(dir / "scratch" / "tarmac-77-shard-2-of-3.db"));  // cleaned up
    }
  }
  const std::string merged = (out / "merged.db").string();
  testing::ShellRun m =
      RunScript("", "tarmac-merge.sbatch", out.string() + " nightly 3 " + merged + " " + single + ":single");
  INFO(m.out);
  REQUIRE(m.code == 0);
  CHECK_THAT(m.out, Catch::Contains("merged 3 shards into run 1 'nightly'"));
  CHECK_THAT(m.out, Catch::Contains("verdict: OK (no regression)"));
  {
    Result<std::unique_ptr<ResultsStore>> store = ResultsStore::Open(merged, /*read_only=*/true);
    REQUIRE(store.ok());
    CHECK((*store)->Results(1)->size() == 11);
    CHECK((*store)->MergeSources(1)->size() == 3);
  }
  // Run again (a requeued merge job): nothing changes. With an accepted-run
  // file (as tools/nightly.sh keeps it): the first run is accepted, later
  // ones are compared with it and replace it when they pass.
  const fs::path accepted = dir / "nightly.db.accepted";
  m = RunScript("TARMAC_ACCEPTED=" + accepted.string(), "tarmac-merge.sbatch", out.string() + " nightly 3 " + merged);
  CHECK(m.code == 0);
  CHECK_THAT(m.out, Catch::Contains("already merged: run 1"));
  CHECK_THAT(m.out, Catch::Contains("no accepted run yet"));
  CHECK(std::system(("grep -qx 1 " + accepted.string()).c_str()) == 0);
  m = RunScript("TARMAC_ACCEPTED=" + accepted.string(), "tarmac-merge.sbatch", out.string() + " nightly 3 " + merged);
  CHECK(m.code == 0);
  CHECK_THAT(m.out, Catch::Contains("comparing run 1 with " + merged + ":1"));
  CHECK_THAT(m.out, Catch::Contains("verdict: OK"));
  CHECK_THAT(m.out, Catch::Contains("accepted: run 1 is the new baseline"));

  // A shard that never ran: the merge job fails with exit 2, naming it.
  fs::remove(out / "shard-3-of-3.db");
  m = RunScript("", "tarmac-merge.sbatch", out.string() + " nightly 3 " + (out / "other.db").string());
  CHECK(m.code == 2);
  CHECK_THAT(m.out, Catch::Contains("missing shard 3 of 3"));
  CHECK_FALSE(fs::exists(out / "other.db"));

  // A task outside the array's range, or not in an array at all: refused.
  testing::ShellRun s = RunScript("SLURM_ARRAY_TASK_ID=4 TARMAC_SHARDS=3", "tarmac-shard.sbatch", out.string() + " x");
  CHECK(s.code == 2);
  CHECK_THAT(s.out, Catch::Contains("array task 4 is not a shard of 3"));
  s = RunScript("-u SLURM_ARRAY_TASK_ID", "tarmac-shard.sbatch", out.string() + " x");
  CHECK(s.code != 0);
  CHECK_THAT(s.out, Catch::Contains("must run as a Slurm array task"));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace tarmac
