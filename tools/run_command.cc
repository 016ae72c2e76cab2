#include "tools/run_command.h"

#include <fmt/format.h>
#include <glob.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "metrics/scenario_metrics.h"
#include "policies/registry.h"
#include "scenarios/scenario_io.h"
#include "sim/runner.h"
#include "store/results_store.h"
#include "store/trace_codec.h"
#include "tools/cli_util.h"
#include "tools/sha256.h"
#include "tools/shard.h"
#include "tools/simulate_command.h"

namespace tarmac {
namespace {

using Clock = std::chrono::steady_clock;

struct RunOptions {
  std::vector<std::string> scenarios;
  std::string planner;  // "": the shipped transformer (models/transformer.ckpt); pdm without LibTorch
  std::string agents = "idm";
  int threads = 0;  // 0: all cores
  int batch = 16;
  std::string db = "tarmac.db";
  std::string run_name;
  int64_t seed = 0;
  std::string shard = "1/1";
  int64_t resume = 0;
  int horizon = 0;
  bool json = false;
  bool no_traces = false;
  double plan_cost_weight = 0.0;  // learned planners: choose among candidates by plan cost (0: off)
  bool plan_cost_weight_given = false;  // --plan-cost-weight on the command line
  std::string device = "cpu";
};

// ---- the suite ----------------------------------------------------------------

// Expands one argument: a file, a folder, a glob, or a suite file (*.suite:
// one path, folder or glob per line, relative to the suite file; '#' starts
// a comment).
void ExpandArg(const std::string& arg, std::vector<std::string>* out, std::vector<std::string>* missing,
               int depth = 0) {
  if (arg.find_first_of("*?[") != std::string::npos) {
    glob_t g{};
    if (glob(arg.c_str(), 0, nullptr, &g) == 0) {
      for (size_t i = 0; i < g.gl_pathc; ++i) out->push_back(g.gl_pathv[i]);
    } else {
      missing->push_back(arg);
    }
    globfree(&g);
    return;
  }
  const std::filesystem::path p(arg);
  if (p.extension() == ".suite" && depth < 4) {
    std::ifstream in(p);
    if (!in) {
      missing->push_back(arg);
      return;
    }
    for (std::string line; std::getline(in, line);) {
      line = line.substr(0, line.find('#'));
      while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.pop_back();
      while (!line.empty() && std::isspace(static_cast<unsigned char>(line.front()))) line.erase(0, 1);
      if (line.empty()) continue;
      const std::filesystem::path entry(line);
      ExpandArg(entry.is_absolute() ? line : (p.parent_path() / entry).string(), out, missing, depth + 1);
    }
    return;
  }
  out->push_back(arg);
}

std::vector<std::filesystem::path> SuiteFiles(const std::vector<std::string>& args, std::vector<std::string>* missing) {
  std::vector<std::string> expanded;
  for (const std::string& a : args) ExpandArg(a, &expanded, missing);
  std::vector<std::filesystem::path> files = ExpandScenarioPaths(expanded, missing);
  std::sort(files.begin(), files.end());
  files.erase(std::unique(files.begin(), files.end()), files.end());
  return files;
}

std::string UtcNow() {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// ---- progress ---------------------------------------------------------------

class Progress {
 public:
  Progress(int total, bool quiet) : total_(total), tty_(isatty(STDERR_FILENO) != 0), quiet_(quiet) {}
  void Advance(int done_now) {
    done_ += done_now;
    if (quiet_) return;
    const double elapsed = std::chrono::duration<double>(Clock::now() - start_).count();
    const double rate = elapsed > 0.0 ? done_ / elapsed : 0.0;
    const double eta = rate > 0.0 ? (total_ - done_) / rate : 0.0;
    if (tty_) {
      const int width = 30;
      const int fill = total_ > 0 ? width * done_ / total_ : width;
      fmt::print(stderr, "\r[{}{}] {}/{} scenarios  {:.2f}/s  ETA {:d}:{:02d}  ", std::string(static_cast<size_t>(fill), '#'),
                 std::string(static_cast<size_t>(width - fill), '.'), done_, total_, rate,
                 static_cast<int>(eta) / 60, static_cast<int>(eta) % 60);
      if (done_ >= total_) fmt::print(stderr, "\n");
    } else {
      fmt::print(stderr, "{}/{} scenarios done ({:.2f}/s)\n", done_, total_, rate);
    }
  }

 private:
  int total_;
  int done_ = 0;
  bool tty_;
  bool quiet_;
  Clock::time_point start_ = Clock::now();
};

// ---- one batch ----------------------------------------------------------------

struct Pending {
  std::string file;
  v1::Scenario scenario;
};

ScenarioRecord FailedRecord(const std::string& id, const std::string& file, const std::string& error) {
  ScenarioRecord r;
  r.scenario_id = id;
  r.scenario_file = file;
  r.status = ScenarioStatus::kFailed;
  r.error = error;
  return r;
}

// Runs a batch in lock-step and writes one row per scenario. Returns the
// first write error, if any (fatal: the store is unusable).
Result<void> RunBatch(std::vector<Pending>* batch, const RunOptions& o, int64_t run_id, Planner* planner,
                      const AgentModel& agents, ThreadPool* pool, ResultsStore* store, Progress* progress) {
  std::vector<std::shared_ptr<const ScenarioModel>> models;
  std::vector<std::string> files;
  std::vector<ScenarioRecord> records;
  ModelOptions mo;
  mo.horizon_steps = o.horizon;
  for (Pending& p : *batch) {
    const std::string id = p.scenario.id();
    Result<std::shared_ptr<const ScenarioModel>> m = ScenarioModel::Build(std::move(p.scenario), mo);
    if (!m.ok()) {
      records.push_back(FailedRecord(id, p.file, m.error().message));
      continue;
    }
    models.push_back(std::move(*m));
    files.push_back(p.file);
  }
  batch->clear();
  SimConfig config;
  config.record_agents = true;
  config.record_plans = !o.no_traces;
  const Clock::time_point t0 = Clock::now();
  std::vector<RolloutResult> results = RunRollouts(models, planner, agents, config, pool);
  const double wall_ms =
      models.empty() ? 0.0 : std::chrono::duration<double, std::milli>(Clock::now() - t0).count() /
                                 static_cast<double>(models.size());
  // Metrics and trace encoding in parallel; each fills its own record.
  std::vector<ScenarioRecord> scored(results.size());
  ParallelFor(pool, static_cast<int>(results.size()), [&](int i) {
    const size_t k = static_cast<size_t>(i);
    const RolloutResult& r = results[k];
    const ScenarioModel& m = *models[k];
    ScenarioRecord& rec = scored[k];
    rec.scenario_id = r.scenario_id;
    rec.scenario_file = files[k];
    rec.wall_ms = wall_ms;  // the batch's wall time shared out: scenarios run in lock-step
    if (!r.ok) {
      rec.status = ScenarioStatus::kFailed;
      rec.error = r.error;
      return;
    }
    const ScenarioMetrics sm = ComputeMetrics(m, r, MetricParams{}, &rec.events);
    rec.score = sm.score;
    rec.metrics = MetricColumns(sm);
    rec.state_hash = r.state_hash;
    rec.steps = r.steps;
    rec.sim_seconds = r.sim_seconds;
    if (!o.no_traces) {
      Result<EncodedTrace> t = EncodeTrace(r.trace, m);
      if (t.ok()) {
        rec.trace = std::move(*t);
      } else {
        rec.events.push_back({m.start_step(), "trace_not_stored", "", "", t.error().message, 0.0});
      }
    }
  });
  for (ScenarioRecord& r : scored) records.push_back(std::move(r));
  for (const ScenarioRecord& r : records) {
    const Result<void> w = store->WriteResult(run_id, r);
    if (!w.ok()) return w.error();
  }
  progress->Advance(static_cast<int>(records.size()));
  return {};
}

// ---- the summary ----------------------------------------------------------------

nlohmann::json Summary(const std::vector<ResultRow>& rows, int64_t run_id, const std::string& db) {
  int ok = 0;
  double score_sum = 0.0;
  std::map<std::string, std::pair<double, int>> metric_sum;  // name -> (sum, count)
  nlohmann::json failed = nlohmann::json::array();
  for (const ResultRow& r : rows) {
    if (r.status != ScenarioStatus::kOk) {
      failed.push_back({{"scenario", r.scenario_id}, {"file", r.scenario_file}, {"error", r.error}});
      continue;
    }
    ++ok;
    score_sum += r.score.value_or(0.0);
    for (const auto& [name, value] : r.metrics) {
      if (!value) continue;
      auto& s = metric_sum[name];
      s.first += *value;
      ++s.second;
    }
  }
  nlohmann::json metrics = nlohmann::json::object();
  for (const auto& [name, s] : metric_sum) metrics[name] = s.second > 0 ? s.first / s.second : 0.0;
  return {{"db", db},
          {"run_id", run_id},
          {"scenarios", rows.size()},
          {"ok", ok},
          {"failed", failed.size()},
          {"mean_score", ok > 0 ? score_sum / ok : 0.0},
          {"metric_means", metrics},
          {"failed_scenarios", failed}};
}

void PrintSummary(const nlohmann::json& s) {
  fmt::print("\nrun {} in {}: {} scenarios, {} ok, {} failed\n", s["run_id"].get<int64_t>(),
             s["db"].get<std::string>(), s["scenarios"].get<size_t>(), s["ok"].get<int>(),
             s["failed"].get<size_t>());
  fmt::print("  mean score                    {:.4f}\n", s["mean_score"].get<double>());
  // Pass rates of the 0/1 metrics and means of the graded ones, in score order.
  static const char* const kShown[] = {"no_at_fault_collisions", "drivable_area_compliance",
                                       "driving_direction_compliance", "making_progress", "progress",
                                       "ttc_within_bound", "speed_limit_compliance", "comfortable",
                                       "goal_reached", "red_light_violations", "at_fault_collisions"};
  for (const char* name : kShown) {
    if (!s["metric_means"].contains(name)) continue;
    fmt::print("  {:<29} {:.4f}\n", name, s["metric_means"][name].get<double>());
  }
  for (const auto& f : s["failed_scenarios"]) {
    fmt::print("  FAILED {}: {}\n", f["scenario"].get<std::string>(), f["error"].get<std::string>());
  }
}

// --plan-cost-weight of the default planner when none is given.
constexpr double kDefaultPlanCostWeight = 1.0;

int RunRun(const RunOptions& given) {
  RunOptions o = given;
  if (o.planner.empty()) {
    // The default: the shipped transformer; a build without LibTorch cannot
    // run it and says which planner it runs instead.
    // The default job drives it with the plan costs (docs/learned-planners.md).
    o.planner = HaveTorch() ? "transformer" : "pdm";
    if (!HaveTorch()) fmt::print(stderr, "tarmac run: built without LibTorch; the default planner is pdm\n");
    if (HaveTorch() && !o.plan_cost_weight_given) o.plan_cost_weight = kDefaultPlanCostWeight;
  }
  int shard_k = 1, shard_n = 1;
  if (!ParseShard(o.shard, &shard_k, &shard_n)) {
    fmt::print(stderr, "tarmac run: --shard '{}' is not K/N with 1 <= K <= N\n", o.shard);
    return kExitInputError;
  }
  if (o.batch < 1) {
    fmt::print(stderr, "tarmac run: --batch {} must be at least 1\n", o.batch);
    return kExitInputError;
  }
  const int threads = o.threads > 0 ? o.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const PlannerOptions po{threads, o.device, o.seed, o.plan_cost_weight};
  // A bare "transformer" names the shipped checkpoint (models/).
  const std::string planner_name = ResolvePlannerName(o.planner), agents_name = ResolvePlannerName(o.agents);
  Result<std::unique_ptr<Planner>> planner = MakePlanner(planner_name, po);
  if (!planner.ok()) {
    fmt::print(stderr, "tarmac run: {}\n", planner.error().message);
    return kExitInputError;
  }
  Result<std::unique_ptr<AgentModel>> agents = MakeAgents(agents_name, po);
  if (!agents.ok()) {
    fmt::print(stderr, "tarmac run: {}\n", agents.error().message);
    return kExitInputError;
  }
  // The suite, identified by its files' contents.
  std::vector<std::string> args = o.scenarios;
  if (args.empty()) args.push_back(DefaultSuiteDir().string());
  std::vector<std::string> missing;
  const std::vector<std::filesystem::path> files = SuiteFiles(args, &missing);
  for (const std::string& m : missing) fmt::print(stderr, "tarmac run: {}: no such file or directory\n", m);
  if (files.empty()) {
    fmt::print(stderr, "tarmac run: no scenario files\n");
    return kExitInputError;
  }
  std::vector<std::string> digests;
  for (const std::filesystem::path& f : files) {
    Result<std::string> d = Sha256File(f);
    digests.push_back(d.ok() ? *d : "unreadable:" + f.filename().string());
  }
  std::sort(digests.begin(), digests.end());
  std::string all;
  for (const std::string& d : digests) all += d + "\n";
  const std::string suite_sha = Sha256Hex(all);

  nlohmann::json config = {{"planner", o.planner}, {"agents", o.agents}, {"horizon", o.horizon},
                           {"seed", o.seed}, {"shard", o.shard}, {"traces", !o.no_traces},
                           {"dt", 0.1}, {"tracker", "lqr-v1"}, {"metrics", "nuplan-cls-v1"}};
  // Learned planners' results depend on the device (on a GPU also on the
  // batch): recorded for them (and only them, so other runs' configs stay as they were).
  const std::string agents_planner = agents_name.rfind("planner:", 0) == 0 ? agents_name.substr(8) : "";
  if (IsLearnedPlanner(planner_name) || IsLearnedPlanner(agents_planner)) {
    config["device"] = o.device;
    if (o.device != "cpu") config["batch"] = o.batch;
    if (o.plan_cost_weight != 0.0) config["plan_cost_weight"] = o.plan_cost_weight;
  } else if (o.device != "cpu") {
    config["device"] = o.device;
  }
  // The weights' identity: a run of another checkpoint at the same path is
  // another run (resume and merge refuse to mix them).
  std::string checkpoint_sha;
  for (const auto& [key, name] : {std::pair{"checkpoint_sha256", planner_name}, std::pair{"agents_checkpoint_sha256", agents_planner}}) {
    const std::string file = LearnedPlannerFile(name);
    if (file.empty()) continue;
    Result<std::string> d = Sha256File(file);
    if (!d.ok()) {
      fmt::print(stderr, "tarmac run: {}\n", d.error().message);
      return kExitInputError;
    }
    config[key] = *d;
    if (std::string_view(key) == "checkpoint_sha256") checkpoint_sha = *d;
  }
  Result<std::unique_ptr<ResultsStore>> store = ResultsStore::Open(o.db);
  if (!store.ok()) {
    fmt::print(stderr, "tarmac run: {}\n", store.error().message);
    return kExitInputError;
  }
  int64_t run_id = o.resume;
  std::set<std::string> done;
  if (o.resume > 0) {
    Result<RunInfo> run = (*store)->GetRun(o.resume);
    if (!run.ok()) {
      fmt::print(stderr, "tarmac run: --resume {}: {}\n", o.resume, run.error().message);
      return kExitInputError;
    }
    if (run->planner != o.planner || run->agents != o.agents || run->suite_sha256 != suite_sha ||
        run->config_json != config.dump()) {
      fmt::print(stderr,
                 "tarmac run: --resume {}: that run used planner '{}', agents '{}', suite {} and config {}; "
                 "this command has '{}', '{}', {} and {}\n",
                 o.resume, run->planner, run->agents, run->suite_sha256.substr(0, 12), run->config_json,
                 o.planner, o.agents, suite_sha.substr(0, 12), config.dump());
      return kExitInputError;
    }
    Result<std::vector<std::string>> ids = (*store)->DoneScenarioIds(o.resume);
    if (!ids.ok()) {
      fmt::print(stderr, "tarmac run: {}\n", ids.error().message);
      return kExitInputError;
    }
    done.insert(ids->begin(), ids->end());
  }
  // Read every file once: ids for sharding and resuming (imports are fast).
  // Scenarios are kept only a batch at a time.
  ThreadPool pool(threads);
  int planned = 0;
  std::vector<std::pair<std::filesystem::path, std::string>> unreadable;
  for (const std::filesystem::path& f : files) {
    Result<std::vector<v1::Scenario>> r = ReadScenarios(f);
    if (!r.ok()) {
      if (ShardOf(f.filename().string(), shard_n) == shard_k) {
        unreadable.emplace_back(f, r.error().message);
        ++planned;
      }
      continue;
    }
    for (const v1::Scenario& s : *r) planned += ShardOf(s.id(), shard_n) == shard_k ? 1 : 0;
  }
  if (run_id == 0) {
    RunInfo info;
    info.name = o.run_name.empty() ? fmt::format("{}-{}", o.planner, UtcNow()) : o.run_name;
    info.planner = o.planner;
    info.agents = o.agents;
    info.checkpoint_sha256 = checkpoint_sha;
    info.config_json = config.dump();
    info.suite_sha256 = suite_sha;
    info.git_rev = TARMAC_GIT_REV;
    info.seed = o.seed;
    info.shard = o.shard;
    info.num_scenarios = planned;
    info.started_at = UtcNow();
    Result<int64_t> id = (*store)->CreateRun(info);
    if (!id.ok()) {
      fmt::print(stderr, "tarmac run: {}\n", id.error().message);
      return kExitInputError;
    }
    run_id = *id;
  }
  if (!o.json) {
    fmt::print(stderr, "run {} in {}: {} scenarios (shard {}), planner {}, agents {}, {} already done\n", run_id,
               o.db, planned, o.shard, o.planner, o.agents, done.size());
  }
  Progress progress(planned - static_cast<int>(done.size()), o.json);
  for (const auto& [f, error] : unreadable) {
    const std::string id = f.filename().string();
    if (done.count(id) > 0) continue;
    const Result<void> w = (*store)->WriteResult(run_id, FailedRecord(id, f.string(), error));
    if (!w.ok()) {
      fmt::print(stderr, "tarmac run: {}\n", w.error().message);
      return kExitInputError;
    }
    progress.Advance(1);
  }
  std::vector<Pending> batch;
  std::set<std::string> seen;
  for (const std::filesystem::path& f : files) {
    Result<std::vector<v1::Scenario>> r = ReadScenarios(f);
    if (!r.ok()) continue;
    for (v1::Scenario& s : *r) {
      if (ShardOf(s.id(), shard_n) != shard_k || done.count(s.id()) > 0) continue;
      if (!seen.insert(s.id()).second) {
        fmt::print(stderr, "tarmac run: {}: scenario id '{}' appears twice in the suite; the second is skipped\n",
                   f.string(), s.id());
        continue;
      }
      batch.push_back({f.string(), std::move(s)});
      if (static_cast<int>(batch.size()) >= o.batch) {
        const Result<void> w = RunBatch(&batch, o, run_id, planner->get(), **agents, &pool, store->get(), &progress);
        if (!w.ok()) {
          fmt::print(stderr, "tarmac run: {}\n", w.error().message);
          return kExitInputError;
        }
      }
    }
  }
  if (!batch.empty()) {
    const Result<void> w = RunBatch(&batch, o, run_id, planner->get(), **agents, &pool, store->get(), &progress);
    if (!w.ok()) {
      fmt::print(stderr, "tarmac run: {}\n", w.error().message);
      return kExitInputError;
    }
  }
  if (const Result<void> w = (*store)->FinishRun(run_id, UtcNow()); !w.ok()) {
    fmt::print(stderr, "tarmac run: {}\n", w.error().message);
    return kExitInputError;
  }
  Result<std::vector<ResultRow>> rows = (*store)->Results(run_id);
  if (!rows.ok()) {
    fmt::print(stderr, "tarmac run: {}\n", rows.error().message);
    return kExitInputError;
  }
  const nlohmann::json summary = Summary(*rows, run_id, o.db);
  if (o.json) {
    std::cout << summary.dump(2) << "\n";
  } else {
    PrintSummary(summary);
  }
  return kExitOk;
}

}  // namespace

void AddRunCommand(CLI::App* app) {
  auto o = std::make_shared<RunOptions>();
  CLI::App* cmd = app->add_subcommand(
      "run", "Evaluate a planner on a scenario suite in closed loop; results into a SQLite store");
  cmd->add_option("--scenarios", o->scenarios,
                  "Scenario files, folders, globs or .suite files (default: the embedded suite)");
  cmd->add_option("--planner", o->planner,
                  "log, constant-velocity, idm, pdm, transformer:CKPT, diffusion:CKPT, torchscript:PATH; transformer "
                  "alone: the checkpoint shipped in models/ (the default; pdm in a build without LibTorch)");
  cmd->add_option("--device", o->device, "Learned planners: cpu or cuda")->capture_default_str();
  CLI::Option* plan_cost_weight =
      cmd->add_option("--plan-cost-weight", o->plan_cost_weight,
                      "Learned planners: drive the candidate (transformer mode, or one of 6 diffusion samples) with "
                      "the best log-probability - W * plan cost (off-lane, collision; docs/learned-planners.md); 0: off "
                      "(default: 0; 1 for the default planner)");
  cmd->add_option("--agents", o->agents, "log, idm, or planner:NAME")->capture_default_str();
  cmd->add_option("--threads", o->threads, "Worker threads (default: all cores)");
  cmd->add_option("--batch", o->batch, "Scenarios in lock-step at once")->capture_default_str();
  cmd->add_option("--db", o->db, "Results database")->capture_default_str();
  cmd->add_option("--run-name", o->run_name, "Name of the run (default: planner and start time)");
  cmd->add_option("--seed", o->seed, "Seed for stochastic planners (recorded with the run)");
  cmd->add_option("--shard", o->shard, "Take shard K of N of the suite, by scenario id")->capture_default_str();
  cmd->add_option("--resume", o->resume, "Finish run RUN (same suite and configuration)");
  cmd->add_option("--horizon", o->horizon, "Steps to simulate (0: to the end of each log)");
  cmd->add_flag("--no-traces", o->no_traces, "Do not store per-step traces (smaller database)");
  cmd->add_flag("--json", o->json, "Print the summary as JSON (no progress output)");
  cmd->callback([o, plan_cost_weight] {
    o->plan_cost_weight_given = plan_cost_weight->count() > 0;
    SetCommand([o] { return RunRun(*o); });
  });
}

}  // namespace tarmac
