// `tarmac run` end to end: killed mid-run with SIGKILL, --resume finishes it
// with every scenario exactly once and the same results as an uninterrupted run.
#include <catch2/catch.hpp>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "store/results_store.h"
#include "tests/support/test_data.h"

namespace tarmac {
namespace {

// Starts `tarmac args...` in a child process with output discarded.
pid_t Spawn(const std::vector<std::string>& args) {
  const pid_t pid = fork();
  if (pid == 0) {
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(TARMAC_BINARY));
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    freopen("/dev/null", "w", stdout);
    freopen("/dev/null", "w", stderr);
    execv(TARMAC_BINARY, argv.data());
    _exit(127);
  }
  return pid;
}

int Wait(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::map<std::string, std::string> Hashes(ResultsStore& store, int64_t run) {
  Result<std::vector<ResultRow>> rows = store.Results(run);
  REQUIRE(rows.ok());
  std::map<std::string, std::string> out;
  for (const ResultRow& r : *rows) {
    REQUIRE(out.count(r.scenario_id) == 0);  // never twice
    out[r.scenario_id] = r.state_hash.value_or("") + (r.status == ScenarioStatus::kOk ? "" : "failed");
  }
  return out;
}

TEST_CASE("Run: kill -9 mid-run, then --resume: no duplicate, no lost row, same results", "[cli][run]") {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / "tarmac_run_test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string killed = (dir / "killed.db").string(), clean = (dir / "clean.db").string();
  const std::vector<std::string> common = {"run", "--planner", "pdm", "--agents", "idm", "--batch", "1",
                                           "--threads", "1"};

  // An uninterrupted run for reference.
  std::vector<std::string> args = common;
  args.insert(args.end(), {"--db", clean});
  REQUIRE(Wait(Spawn(args)) == 0);
  Result<std::unique_ptr<ResultsStore>> ref = ResultsStore::Open(clean, /*read_only=*/true);
  REQUIRE(ref.ok());
  const std::map<std::string, std::string> expected = Hashes(**ref, 1);
  REQUIRE(expected.size() == 11 + 96);  // the default suite: 11 NGSIM scenarios, 96 generated

  // The same run, killed once some rows are in.
  args = common;
  args.insert(args.end(), {"--db", killed});
  const pid_t pid = Spawn(args);
  size_t rows_at_kill = 0;
  for (int i = 0; i < 3000 && rows_at_kill < 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    if (!std::filesystem::exists(killed)) continue;
    Result<std::unique_ptr<ResultsStore>> s = ResultsStore::Open(killed, /*read_only=*/true);
    if (!s.ok()) continue;
    Result<std::vector<std::string>> done = (*s)->DoneScenarioIds(1);
    if (done.ok()) rows_at_kill = done->size();
  }
  kill(pid, SIGKILL);
  Wait(pid);
  REQUIRE(rows_at_kill >= 3);
  {
    Result<std::unique_ptr<ResultsStore>> s = ResultsStore::Open(killed, /*read_only=*/true);
    REQUIRE(s.ok());
    Result<RunInfo> run = (*s)->GetRun(1);
    REQUIRE(run.ok());
    CHECK_FALSE(run->finished_at.has_value());  // it never finished
    const auto partial = Hashes(**s, 1);
    CHECK(partial.size() < 11);
    for (const auto& [id, hash] : partial) CHECK(expected.at(id) == hash);
  }

  // Resume finishes it.
  args = common;
  args.insert(args.end(), {"--db", killed, "--resume", "1"});
  REQUIRE(Wait(Spawn(args)) == 0);
  Result<std::unique_ptr<ResultsStore>> s = ResultsStore::Open(killed, /*read_only=*/true);
  REQUIRE(s.ok());
  CHECK(Hashes(**s, 1) == expected);
  Result<RunInfo> run = (*s)->GetRun(1);
  REQUIRE(run.ok());
  CHECK(run->finished_at.has_value());

  // Resuming with another planner is refused.
  args = {"run", "--planner", "idm", "--agents", "idm", "--batch", "1", "--db", killed, "--resume", "1"};
  CHECK(Wait(Spawn(args)) == 2);
}

}  // namespace
}  // namespace tarmac

namespace tarmac {
namespace {

TEST_CASE("Run: an unreadable scenario fails alone, the rest of the suite runs", "[cli][run]") {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / "tarmac_run_bad";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::filesystem::path suite = testing::SourceDir() / "suites/default/commonroad";
  std::filesystem::copy_file(suite / "USA_US101-3_3_T-1.xml", dir / "good.xml");
  std::ofstream(dir / "broken.xml") << "<?xml version=\"1.0\"?><commonRoad benchmarkID=\"x\"";
  const std::string db = (dir / "r.db").string();
  REQUIRE(Wait(Spawn({"run", "--scenarios", dir.string(), "--db", db, "--planner", "idm"})) == 0);
  Result<std::unique_ptr<ResultsStore>> s = ResultsStore::Open(db, /*read_only=*/true);
  REQUIRE(s.ok());
  Result<std::vector<ResultRow>> rows = (*s)->Results(1);
  REQUIRE(rows.ok());
  REQUIRE(rows->size() == 2);
  int ok = 0, failed = 0;
  for (const ResultRow& r : *rows) {
    if (r.status == ScenarioStatus::kOk) {
      ++ok;
      CHECK(r.scenario_id == "USA_US101-3_3_T-1");
      CHECK(r.score.has_value());
    } else {
      ++failed;
      CHECK(r.scenario_id == "broken.xml");
      CHECK_THAT(r.error, Catch::Contains("broken.xml: malformed XML"));
    }
  }
  CHECK(ok == 1);
  CHECK(failed == 1);
}

}  // namespace
}  // namespace tarmac
