// Sharded evaluation end to end: `tarmac run --shard K/N` covers a suite
// exactly once, `tarmac merge` joins the shards into exactly the run a single
// process makes (state hashes, scores, every metric, events, traces, config),
// refuses missing, doubled, unfinished and mismatched shards without writing
// anything, and merging twice changes nothing.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>

#include "store/results_store.h"
#include "store/sqlite_util.h"
#include "tests/support/shell.h"
#include "tests/support/test_data.h"
#include "tools/shard.h"

namespace tarmac {
namespace {

namespace fs = std::filesystem;

// The embedded suite's 11 NGSIM scenarios (BSD-licensed CommonRoad files).
std::string NgsimSuite() { return (testing::SourceDir() / "suites/default/commonroad").string(); }

// Shard K of N of the 11 NGSIM scenarios, IDM planner, 30 steps: small and
// fast. `changes` replaces or adds `tarmac run` options ("--planner" ->
// "constant-velocity"; a flag maps to "").
fs::path RunShard(const fs::path& dir, int k, int n, const std::map<std::string, std::string>& changes = {},
                  const std::string& file = "") {
  const fs::path db = dir / (file.empty() ? "s" + std::to_string(k) + ".db" : file);
  std::map<std::string, std::string> options = {
      {"--planner", "idm"}, {"--agents", "idm"}, {"--horizon", "30"}, {"--scenarios", NgsimSuite()}};
  for (const auto& [option, value] : changes) options[option] = value;
  std::string args = "run --threads 1 --run-name night --json --shard " + std::to_string(k) + "/" +
                     std::to_string(n) + " --db " + db.string();
  for (const auto& [option, value] : options) args += " " + option + " " + value;
  const testing::ShellRun r = testing::RunTarmac(args);
  INFO(r.err);
  REQUIRE(r.code == 0);
  return db;
}

std::unique_ptr<ResultsStore> OpenOrDie(const fs::path& path, bool read_only = true) {
  Result<std::unique_ptr<ResultsStore>> store = ResultsStore::Open(path, read_only);
  INFO((store ? std::string() : store.error().message));
  REQUIRE(store.ok());
  return std::move(*store);
}

std::map<std::string, ResultRow> RowsById(ResultsStore& store, int64_t run) {
  Result<std::vector<ResultRow>> rows = store.Results(run);
  REQUIRE(rows.ok());
  std::map<std::string, ResultRow> out;
  for (ResultRow& r : *rows) {
    REQUIRE(out.count(r.scenario_id) == 0);
    out.emplace(r.scenario_id, std::move(r));
  }
  return out;
}

void ExecRaw(const fs::path& path, const std::string& sql) {
  Result<sqlite::Db> db = sqlite::Db::Open(path.string(), false);
  REQUIRE(db.ok());
  REQUIRE(db->Exec("PRAGMA foreign_keys = ON", "fk").ok());
  Result<void> r = db->Exec(sql, "test SQL");
  INFO((r ? std::string() : r.error().message));
  REQUIRE(r.ok());
}

// Bit-identical results, scenario by scenario: every column but run_id and
// wall_ms (a timing), every event, every trace blob.
void CheckSameResults(ResultsStore& a, int64_t run_a, ResultsStore& b, int64_t run_b) {
  const auto rows_a = RowsById(a, run_a), rows_b = RowsById(b, run_b);
  REQUIRE(rows_a.size() == rows_b.size());
  for (const auto& [id, ra] : rows_a) {
    INFO("scenario " << id);
    REQUIRE(rows_b.count(id) == 1);
    const ResultRow& rb = rows_b.at(id);
    CHECK(ra.scenario_file == rb.scenario_file);
    CHECK(ra.status == rb.status);
    CHECK(ra.error == rb.error);
    CHECK(ra.state_hash == rb.state_hash);
    CHECK(ra.score == rb.score);
    CHECK(ra.steps == rb.steps);
    CHECK(ra.sim_seconds == rb.sim_seconds);
    REQUIRE(ra.metrics.size() == rb.metrics.size());
    for (size_t i = 0; i < ra.metrics.size(); ++i) {
      INFO("metric " << ra.metrics[i].first);
      CHECK(ra.metrics[i].first == rb.metrics[i].first);
      CHECK(ra.metrics[i].second == rb.metrics[i].second);
    }
    Result<std::vector<MetricEvent>> ea = a.Events(run_a, id), eb = b.Events(run_b, id);
    REQUIRE(ea.ok());
    REQUIRE(eb.ok());
    REQUIRE(ea->size() == eb->size());
    for (size_t i = 0; i < ea->size(); ++i) {
      const MetricEvent &x = (*ea)[i], &y = (*eb)[i];
      CHECK(x.step == y.step);
      CHECK(x.kind == y.kind);
      CHECK(x.agent_id == y.agent_id);
      CHECK(x.agent_type == y.agent_type);
      CHECK(x.detail == y.detail);
      CHECK((x.value == y.value || (std::isnan(x.value) && std::isnan(y.value))));
    }
    Result<std::optional<EncodedTrace>> ta = a.Trace(run_a, id), tb = b.Trace(run_b, id);
    REQUIRE(ta.ok());
    REQUIRE(tb.ok());
    REQUIRE(ta->has_value() == tb->has_value());
    if (!ta->has_value()) continue;
    CHECK((*ta)->dt == (*tb)->dt);
    CHECK((*ta)->start_step == (*tb)->start_step);
    CHECK((*ta)->num_steps == (*tb)->num_steps);
    CHECK((*ta)->agent_meta == (*tb)->agent_meta);
    CHECK((*ta)->ego == (*tb)->ego);
    CHECK((*ta)->agents == (*tb)->agents);
    CHECK((*ta)->plans == (*tb)->plans);
  }
}

// FNV-1a (64 bit) of a string, as published (Fowler, Noll, Vo), for the
// shard tests: an independent reference for ShardOf.
TEST_CASE("Shard: ShardOf is FNV-1a of the id modulo N, per the published test vectors", "[merge]") {
  // Published FNV-1a 64-bit digests.
  CHECK(ShardOf("", 1000) == static_cast<int>(0xcbf29ce484222325ULL % 1000) + 1);
  CHECK(ShardOf("a", 1000) == static_cast<int>(0xaf63dc4c8601ec8cULL % 1000) + 1);
  CHECK(ShardOf("foobar", 1000) == static_cast<int>(0x85944171f73967e8ULL % 1000) + 1);
  CHECK(ShardOf("foobar", 7) == static_cast<int>(0x85944171f73967e8ULL % 7) + 1);
  CHECK(ShardOf("anything", 1) == 1);
  int k = 0, n = 0;
  CHECK(ParseShard("3/8", &k, &n));
  CHECK(k == 3);
  CHECK(n == 8);
  CHECK_FALSE(ParseShard("0/8", &k, &n));
  CHECK_FALSE(ParseShard("9/8", &k, &n));
  CHECK_FALSE(ParseShard("8", &k, &n));
  CHECK_FALSE(ParseShard("a/b", &k, &n));
}

TEST_CASE("Run: N shards cover the suite exactly once, with the single run's results", "[merge][run]") {
  const fs::path dir = testing::FreshTempDir("tarmac_merge_cover");
  const testing::ShellRun single =
      testing::RunTarmac("run --planner idm --agents idm --horizon 30 --json --scenarios " + NgsimSuite() + " --db " +
                         (dir / "all.db").string());
  REQUIRE(single.code == 0);
  auto all_store = OpenOrDie(dir / "all.db");
  const auto all = RowsById(*all_store, 1);
  REQUIRE(all.size() == 11);
  for (int n : {2, 3, 7}) {
    INFO(n << " shards");
    std::map<std::string, int> shard_of;  // scenario -> the shard that ran it
    for (int k = 1; k <= n; ++k) {
      const fs::path db = RunShard(dir, k, n, {}, "n" + std::to_string(n) + "k" + std::to_string(k) + ".db");
      auto store = OpenOrDie(db);
      Result<RunInfo> run = store->GetRun(1);
      REQUIRE(run.ok());
      CHECK(run->shard == std::to_string(k) + "/" + std::to_string(n));
      CHECK(run->finished_at.has_value());
      const auto rows = RowsById(*store, 1);
      CHECK(run->num_scenarios == static_cast<int64_t>(rows.size()));
      for (const auto& [id, row] : rows) {
        CHECK(shard_of.emplace(id, k).second);  // in no other shard
        CHECK(ShardOf(id, n) == k);
        REQUIRE(all.count(id) == 1);
        CHECK(row.state_hash == all.at(id).state_hash);  // sharding changes no result
        CHECK(row.score == all.at(id).score);
      }
    }
    CHECK(shard_of.size() == all.size());  // every scenario in some shard
  }
}

TEST_CASE("Merge: four shards of the real scenarios merge into exactly the single-process run", "[merge][data]") {
  TARMAC_NEEDS_SHARED_DATA();
  const fs::path dir = testing::FreshTempDir("tarmac_merge_real");
  const std::string suite = " --scenarios " + testing::DataPath("commonroad-ngsim").string() + " " +
                            testing::DataPath("nuscenes-mini-scenarionet").string();
  const std::string common = "run --planner pdm --agents idm --json --run-name nightly" + suite;
  REQUIRE(testing::RunTarmac(common + " --db " + (dir / "single.db").string()).code == 0);
  std::string inputs;
  for (int k = 1; k <= 4; ++k) {
    const fs::path db = dir / ("shard-" + std::to_string(k) + ".db");
    const testing::ShellRun r =
        testing::RunTarmac(common + " --threads 1 --shard " + std::to_string(k) + "/4 --db " + db.string());
    INFO(r.err);
    REQUIRE(r.code == 0);
    inputs += " " + db.string();
  }
  const testing::ShellRun merge = testing::RunTarmac("merge --json " + (dir / "merged.db").string() + inputs);
  INFO(merge.err);
  REQUIRE(merge.code == 0);
  const nlohmann::json j = nlohmann::json::parse(merge.out);
  CHECK(j["already_merged"] == false);
  CHECK(j["scenarios"] == 32);
  CHECK(j["shards"] == 4);

  auto single = OpenOrDie(dir / "single.db");
  auto merged = OpenOrDie(dir / "merged.db");
  const RunInfo s = *single->GetRun(1);
  const RunInfo m = *merged->GetRun(j["run_id"].get<int64_t>());
  CHECK(m.name == "nightly");
  CHECK(m.shard == "1/1");
  CHECK(m.num_scenarios == 32);
  CHECK(m.planner == s.planner);
  CHECK(m.agents == s.agents);
  CHECK(m.suite_sha256 == s.suite_sha256);
  CHECK(m.config_json == s.config_json);  // as if one process had run the suite
  CHECK(m.git_rev == s.git_rev);
  CHECK(m.seed == s.seed);
  Result<std::vector<MergeSource>> sources = merged->MergeSources(m.id);
  REQUIRE(sources.ok());
  REQUIRE(sources->size() == 4);
  int64_t total = 0;
  std::string last_finish;
  for (size_t k = 0; k < 4; ++k) {
    const MergeSource& src = (*sources)[k];
    CHECK(src.shard == std::to_string(k + 1) + "/4");
    CHECK(src.source_run_id == 1);
    CHECK(fs::path(src.source_db).filename() == "shard-" + std::to_string(k + 1) + ".db");
    CHECK(src.fingerprint.size() == 64);
    total += src.num_scenarios;
    last_finish = std::max(last_finish, src.finished_at);
    CHECK(src.started_at >= m.started_at);
  }
  CHECK(total == 32);
  CHECK(m.finished_at == last_finish);
  CheckSameResults(*merged, m.id, *single, 1);

  // Merged into the database that holds the single run, `tarmac compare` finds
  // no difference at all.
  single.reset();
  const testing::ShellRun into =
      testing::RunTarmac("merge --json " + (dir / "single.db").string() + inputs + " --run-name merged");
  INFO(into.err);
  REQUIRE(into.code == 0);
  CHECK(nlohmann::json::parse(into.out)["run_id"] == 2);
  const testing::ShellRun cmp =
      testing::RunTarmac("compare nightly merged --strict --json --db " + (dir / "single.db").string());
  REQUIRE(cmp.code == 0);
  const nlohmann::json c = nlohmann::json::parse(cmp.out);
  CHECK(c["common_scenarios"] == 32);
  CHECK(c["same_suite"] == true);
  for (const auto& metric : c["metrics"]) {
    INFO(metric["metric"].get<std::string>());
    CHECK(metric["diff"].get<double>() == 0.0);
  }
}

TEST_CASE("Merge: a missing shard is refused, naming the missing shard numbers, nothing is written", "[merge]") {
  const fs::path dir = testing::FreshTempDir("tarmac_merge_missing");
  const fs::path s1 = RunShard(dir, 1, 4), s3 = RunShard(dir, 3, 4);
  const fs::path out = dir / "merged.db";
  testing::ShellRun r = testing::RunTarmac("merge " + out.string() + " " + s1.string() + " " + s3.string());
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Catch::Contains("missing shards 2, 4 of 4 (2 of 4 shards given)"));
  CHECK_THAT(r.err, Catch::Contains("nothing was written"));
  CHECK_FALSE(fs::exists(out));
  // A shard whose database is not there at all: named, and counted missing.
  r = testing::RunTarmac("merge --json " + out.string() + " " + s1.string() + " " + (dir / "s2.db").string() + " " +
                         s3.string() + " " + RunShard(dir, 4, 4).string());
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Catch::Contains((dir / "s2.db").string() + ": cannot open the results database read-only"));
  CHECK_THAT(r.err, Catch::Contains("missing shard 2 of 4 (3 of 4 shards given, 1 input(s) unreadable)"));
  const nlohmann::json j = nlohmann::json::parse(r.out);
  CHECK(j["merged"] == false);
  CHECK(j["problems"].size() == 2);
  CHECK_FALSE(fs::exists(out));
}

TEST_CASE("Merge: a doubled shard, or a scenario in two inputs, is refused", "[merge]") {
  const fs::path dir = testing::FreshTempDir("tarmac_merge_doubled");
  const fs::path s1 = RunShard(dir, 1, 3), s2 = RunShard(dir, 2, 3), s3 = RunShard(dir, 3, 3);
  const fs::path out = dir / "merged.db";
  // The same shard twice, once through a copy.
  const fs::path copy = dir / "copy-of-s2.db";
  fs::copy_file(s2, copy);
  testing::ShellRun r = testing::RunTarmac("merge " + out.string() + " " + s1.string() + " " + s2.string() + " " +
                                           copy.string() + " " + s3.string());
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Catch::Contains("shard 2/3 given 2 times: " + s2.string() + " (run 1, shard 2/3), " +
                                    copy.string() + " (run 1, shard 2/3)"));
  CHECK_FALSE(fs::exists(out));
  // Shard 2's scenarios relabelled as shard 1: each is of another shard, and in two inputs.
  const fs::path relabelled = dir / "relabelled.db";
  fs::copy_file(s2, relabelled);
  ExecRaw(relabelled, "UPDATE runs SET shard = '1/3'");
  r = testing::RunTarmac("merge " + out.string() + " " + relabelled.string() + " " + s2.string() + " " + s3.string());
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Catch::Contains("belongs to shard 2/3, not 1/3"));
  CHECK_THAT(r.err, Catch::Contains("in both " + relabelled.string() + " (run 1, shard 1/3) and " + s2.string()));
  CHECK_FALSE(fs::exists(out));
}

TEST_CASE("Merge: shards of different planners, configurations or suites are refused", "[merge]") {
  const fs::path dir = testing::FreshTempDir("tarmac_merge_mismatch");
  const fs::path s1 = RunShard(dir, 1, 3), s3 = RunShard(dir, 3, 3);
  const fs::path out = dir / "merged.db";
  const std::string others = " " + s1.string() + " " + s3.string();
  struct Case {
    std::string option, value, file, expected;
  };
  const std::vector<Case> cases = {
      {"--planner", "constant-velocity", "cv.db", "planner differs: 'constant-velocity' in "},
      {"--agents", "log", "log.db", "agents differs: 'log' in "},
      {"--seed", "7", "seed.db", "seed differs: '7' in "},
      {"--no-traces", "", "notraces.db", "config \"traces\" differs: 'false' in "},
      {"--scenarios", (testing::SourceDir() / "suites/default/commonroad/USA_US101-3_3_T-1.xml").string(),
       "suite.db", "suite_sha256 differs: '"},
  };
  for (const Case& c : cases) {
    INFO(c.option << " " << c.value);
    const fs::path odd = RunShard(dir, 2, 3, {{c.option, c.value}}, c.file);
    const testing::ShellRun r = testing::RunTarmac("merge " + out.string() + " " + odd.string() + others);
    CHECK(r.code == 2);
    CHECK_THAT(r.err, Catch::Contains("the inputs are not shards of one run: " + c.expected));
    CHECK_THAT(r.err, Catch::Contains("in " + odd.string() + " (run 1, shard 2/3); '"));
    CHECK_FALSE(fs::exists(out));
  }
  // The horizon is part of the configuration: named with both values.
  const fs::path longer = RunShard(dir, 2, 3, {{"--horizon", "40"}}, "horizon.db");
  testing::ShellRun r =
      testing::RunTarmac("merge " + out.string() + " " + s1.string() + " " + longer.string() + " " + s3.string());
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Catch::Contains("config \"horizon\" differs: '30' in " + s1.string() + " (run 1, shard 1/3), " +
                                    s3.string() + " (run 1, shard 3/3); '40' in " + longer.string()));
  // A different number of shards.
  const fs::path quarter = RunShard(dir, 2, 4, {}, "quarter.db");
  r = testing::RunTarmac("merge " + out.string() + " " + s1.string() + " " + quarter.string() + " " + s3.string());
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Catch::Contains("number of shards differs: '3' in "));
  CHECK_THAT(r.err, Catch::Contains("; '4' in " + quarter.string()));
  CHECK(r.err.find("config \"shard\"") == std::string::npos);  // the shard itself may differ
  CHECK_FALSE(fs::exists(out));
  // The output cannot be an input.
  r = testing::RunTarmac("merge " + s1.string() + " " + s1.string() + " " + RunShard(dir, 2, 3).string() + " " +
                         s3.string());
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Catch::Contains("an input is also the output"));
}

TEST_CASE("Merge: an unfinished or incomplete shard run is refused", "[merge]") {
  const fs::path dir = testing::FreshTempDir("tarmac_merge_unfinished");
  const fs::path s1 = RunShard(dir, 1, 2), s2 = RunShard(dir, 2, 2);
  const fs::path out = dir / "merged.db";
  const fs::path killed = dir / "killed.db";
  fs::copy_file(s2, killed);
  ExecRaw(killed, "UPDATE runs SET finished_at = NULL");
  testing::ShellRun r = testing::RunTarmac("merge " + out.string() + " " + s1.string() + " " + killed.string());
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Catch::Contains(killed.string() + " (run 1, shard 2/2): the run did not finish"));
  CHECK_THAT(r.err, Catch::Contains("--resume 1"));
  CHECK_FALSE(fs::exists(out));
  // Finished, but a scenario's row is gone.
  const fs::path lossy = dir / "lossy.db";
  fs::copy_file(s2, lossy);
  auto store = OpenOrDie(s2);
  const auto rows = RowsById(*store, 1);
  REQUIRE(rows.size() >= 2);
  const std::string gone = rows.begin()->first;
  ExecRaw(lossy, "DELETE FROM events WHERE scenario_id = '" + gone + "'; DELETE FROM traces WHERE scenario_id = '" +
                     gone + "'; DELETE FROM results WHERE scenario_id = '" + gone + "'");
  r = testing::RunTarmac("merge " + out.string() + " " + s1.string() + " " + lossy.string());
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Catch::Contains("holds " + std::to_string(rows.size() - 1) + " results but planned " +
                                    std::to_string(rows.size()) + " scenarios"));
  CHECK_FALSE(fs::exists(out));
}

TEST_CASE("Merge: merging the same shards twice changes nothing", "[merge]") {
  const fs::path dir = testing::FreshTempDir("tarmac_merge_twice");
  const fs::path s1 = RunShard(dir, 1, 3), s2 = RunShard(dir, 2, 3), s3 = RunShard(dir, 3, 3);
  const fs::path out = dir / "merged.db";
  testing::ShellRun r =
      testing::RunTarmac("merge --json " + out.string() + " " + s1.string() + " " + s2.string() + " " + s3.string());
  INFO(r.err);
  REQUIRE(r.code == 0);
  nlohmann::json j = nlohmann::json::parse(r.out);
  CHECK(j["already_merged"] == false);
  CHECK(j["run_id"] == 1);
  CHECK(j["scenarios"] == 11);
  const std::string bytes = testing::ReadFileBytes(out);
  REQUIRE_FALSE(bytes.empty());

  // Again, in another order and from copies elsewhere: recognised by content.
  const fs::path elsewhere = dir / "elsewhere";
  fs::create_directories(elsewhere);
  for (const fs::path& s : {s1, s2, s3}) fs::copy_file(s, elsewhere / s.filename());
  for (const std::string& inputs :
       {" " + s1.string() + " " + s2.string() + " " + s3.string(),
        " " + (elsewhere / "s3.db").string() + " " + (elsewhere / "s1.db").string() + " " +
            (elsewhere / "s2.db").string()}) {
    r = testing::RunTarmac("merge --json " + out.string() + inputs);
    INFO(r.err);
    REQUIRE(r.code == 0);
    j = nlohmann::json::parse(r.out);
    CHECK(j["already_merged"] == true);
    CHECK(j["run_id"] == 1);
    CHECK(testing::ReadFileBytes(out) == bytes);  // not a byte changed
  }
  r = testing::RunTarmac("merge " + out.string() + " " + s1.string() + " " + s2.string() + " " + s3.string());
  CHECK(r.code == 0);
  CHECK_THAT(r.out, Catch::Contains("already merged: run 1 in " + out.string()));
  auto store = OpenOrDie(out);
  CHECK(store->ListRuns()->size() == 1);
  CHECK(store->Results(1)->size() == 11);
  CHECK(store->MergeSources(1)->size() == 3);
  store.reset();

  // Shard 2 run again (here: the same run with another start time) is other
  // content: a new merged run, starting when the earliest shard started.
  const fs::path rerun = dir / "rerun.db";
  fs::copy_file(s2, rerun);
  ExecRaw(rerun, "UPDATE runs SET started_at = '2000-01-01T00:00:00Z'");
  r = testing::RunTarmac("merge --json " + out.string() + " " + s1.string() + " " + rerun.string() + " " + s3.string());
  REQUIRE(r.code == 0);
  j = nlohmann::json::parse(r.out);
  CHECK(j["already_merged"] == false);
  CHECK(j["run_id"] == 2);
  CHECK(j["started_at"] == "2000-01-01T00:00:00Z");
  auto after = OpenOrDie(out);
  CheckSameResults(*after, 1, *after, 2);
}

}  // namespace
}  // namespace tarmac
