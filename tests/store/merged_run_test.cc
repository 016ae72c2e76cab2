// The store's side of `tarmac merge`: WriteMergedRun writes a whole run and
// its sources in one transaction (a failing record or a scenario given twice
// leaves nothing), MergeSources reads them back, and a version-1 database
// gains the merged_from table (schema version 2) on its next read-write open.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <string>

#include "store/results_store.h"
#include "store/schema.h"
#include "store/sqlite_util.h"

namespace tarmac {
namespace {

namespace fs = std::filesystem;

struct TempDb {
  explicit TempDb(const std::string& name)
      : dir(fs::temp_directory_path() / ("tarmac_merged_run_" + name + "_" + std::to_string(::getpid()))) {
    fs::remove_all(dir);
    fs::create_directories(dir);
    path = dir / "results.db";
  }
  ~TempDb() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  fs::path dir, path;
};

std::unique_ptr<ResultsStore> OpenOrDie(const fs::path& path, bool read_only = false) {
  Result<std::unique_ptr<ResultsStore>> store = ResultsStore::Open(path, read_only);
  INFO((store ? std::string() : store.error().message));
  REQUIRE(store.ok());
  return std::move(*store);
}

int64_t QueryInt(const fs::path& path, const std::string& sql) {
  Result<sqlite::Db> db = sqlite::Db::Open(path.string(), true);
  REQUIRE(db.ok());
  Result<sqlite::Stmt> s = sqlite::Stmt::Prepare(*db, sql, "test query");
  REQUIRE(s.ok());
  Result<bool> row = s->Step();
  REQUIRE(row.ok());
  REQUIRE(*row);
  return s->Int(0);
}

void ExecRaw(const fs::path& path, const std::string& sql) {
  Result<sqlite::Db> db = sqlite::Db::Open(path.string(), false);
  REQUIRE(db.ok());
  REQUIRE(db->Exec(sql, "test SQL").ok());
}

RunInfo MergedRun() {
  RunInfo r;
  r.name = "nightly";
  r.planner = "pdm";
  r.agents = "idm";
  r.config_json = R"({"planner":"pdm","shard":"1/1"})";
  r.suite_sha256 = std::string(64, 'a');
  r.git_rev = "fc9a730";
  r.shard = "1/1";
  r.num_scenarios = 3;
  r.started_at = "2026-01-01T00:00:00Z";
  r.finished_at = "2026-01-01T00:10:00Z";
  return r;
}

ScenarioRecord Record(const std::string& id) {
  ScenarioRecord r;
  r.scenario_id = id;
  r.scenario_file = id + ".xml";
  r.score = 0.75;
  r.metrics = {{"progress", 0.5}, {"ade", std::nan("")}};
  r.state_hash = 0x0123456789abcdefULL;
  r.steps = 40;
  r.events.push_back({12, "collision", "car 7", "vehicle", "active_front, at fault", 3.5});
  EncodedTrace t;
  t.agent_meta = "[]";
  t.ego = {1, 'E', 0};
  t.agents = {1, 'A', 0};
  t.plans = {1, 'P', 0};
  r.trace = t;
  return r;
}

std::vector<MergeSource> Sources() {
  return {{"1/2", "/tmp/shard-1-of-2.db", 1, 2, "2026-01-01T00:00:00Z", "2026-01-01T00:09:00Z", std::string(64, '1')},
          {"2/2", "/tmp/shard-2-of-2.db", 1, 1, "2026-01-01T00:01:00Z", "2026-01-01T00:10:00Z", std::string(64, '2')}};
}

// A feed over `records`; when `fail_at` is reached it returns an error instead.
RecordFeed Feed(std::vector<ScenarioRecord> records, size_t fail_at = SIZE_MAX) {
  auto next = std::make_shared<size_t>(0);
  auto all = std::make_shared<std::vector<ScenarioRecord>>(std::move(records));
  return [next, all, fail_at]() -> Result<std::optional<ScenarioRecord>> {
    if (*next == fail_at) return Error{"shard database went away"};
    if (*next >= all->size()) return std::optional<ScenarioRecord>();
    return std::optional<ScenarioRecord>((*all)[(*next)++]);
  };
}

TEST_CASE("Store: WriteMergedRun writes the run, its records and its sources, MergeSources reads them", "[store][merge]") {
  TempDb tmp("write");
  auto store = OpenOrDie(tmp.path);
  Result<int64_t> run = store->WriteMergedRun(MergedRun(), Sources(), Feed({Record("a"), Record("b"), Record("c")}));
  INFO((run ? std::string() : run.error().message));
  REQUIRE(run.ok());
  RunInfo expected = MergedRun();
  expected.id = *run;
  CHECK(*store->GetRun(*run) == expected);  // finished_at as given
  Result<std::vector<ResultRow>> rows = store->Results(*run);
  REQUIRE(rows->size() == 3);
  CHECK((*rows)[1].scenario_id == "b");
  CHECK((*rows)[1].state_hash == "0123456789abcdef");
  CHECK((*rows)[1].Metric("progress") == 0.5);
  CHECK_FALSE((*rows)[1].Metric("ade").has_value());
  CHECK(store->Events(*run, "c")->size() == 1);
  CHECK(store->Trace(*run, "c")->has_value());
  CHECK(*store->MergeSources(*run) == Sources());
  CHECK(store->MergeSources(*run + 1)->empty());
}

TEST_CASE("Store: WriteMergedRun is all or nothing", "[store][merge]") {
  TempDb tmp("atomic");
  auto store = OpenOrDie(tmp.path);
  // The feed fails after two records.
  Result<int64_t> run = store->WriteMergedRun(MergedRun(), Sources(), Feed({Record("a"), Record("b"), Record("c")}, 2));
  REQUIRE_FALSE(run.ok());
  CHECK(run.error().message == "shard database went away");
  // A scenario given twice.
  run = store->WriteMergedRun(MergedRun(), Sources(), Feed({Record("a"), Record("b"), Record("a")}));
  REQUIRE_FALSE(run.ok());
  CHECK_THAT(run.error().message, Catch::Contains("already has a result for scenario 'a'"));
  // A bad source row (its fingerprint is no SHA-256).
  std::vector<MergeSource> bad = Sources();
  bad[1].fingerprint = "short";
  run = store->WriteMergedRun(MergedRun(), bad, Feed({Record("a")}));
  REQUIRE_FALSE(run.ok());
  for (const char* table : {"runs", "results", "events", "traces", "merged_from"}) {
    INFO(table);
    CHECK(QueryInt(tmp.path, std::string("SELECT count(*) FROM ") + table) == 0);
  }
  // A read-only store refuses.
  auto reader = OpenOrDie(tmp.path, /*read_only=*/true);
  CHECK_FALSE(reader->WriteMergedRun(MergedRun(), Sources(), Feed({})).ok());
}

TEST_CASE("Store: a version-1 database gains merged_from on its next read-write open", "[store][merge]") {
  TempDb tmp("v1");
  int64_t run = 0;
  {
    auto store = OpenOrDie(tmp.path);
    RunInfo r = MergedRun();
    r.finished_at.reset();
    run = *store->CreateRun(r);
    REQUIRE(store->WriteResult(run, Record("a")).ok());
  }
  // What a version-1 build wrote: no merged_from table.
  ExecRaw(tmp.path, "DROP TABLE merged_from; UPDATE schema_version SET version = 1");
  {
    auto reader = OpenOrDie(tmp.path, /*read_only=*/true);  // readable as it is
    CHECK(reader->MergeSources(run)->empty());
    CHECK(reader->Results(run)->size() == 1);
  }
  CHECK(QueryInt(tmp.path, "SELECT count(*) FROM sqlite_master WHERE name = 'merged_from'") == 0);
  auto store = OpenOrDie(tmp.path);  // read-write: migrates
  CHECK(QueryInt(tmp.path, "SELECT version FROM schema_version") == 2);
  CHECK(QueryInt(tmp.path, "SELECT count(*) FROM schema_version") == 1);
  CHECK(QueryInt(tmp.path, "SELECT count(*) FROM sqlite_master WHERE name = 'merged_from'") == 1);
  CHECK(store->Results(run)->size() == 1);  // the data is untouched
  Result<int64_t> merged = store->WriteMergedRun(MergedRun(), Sources(), Feed({Record("a")}));
  REQUIRE(merged.ok());
  CHECK(store->MergeSources(*merged)->size() == 2);
}

}  // namespace
}  // namespace tarmac
