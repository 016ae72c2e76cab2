#include "tools/compare_command.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "store/results_store.h"
#include "tools/cli_util.h"
#include "tools/paired_stats.h"

namespace tarmac {
namespace {

struct CompareOptions {
  std::string base, cand;
  std::string db = "tarmac.db";
  bool json = false;
  bool strict = false;
  int resamples = 10000;
  uint64_t seed = 0;
  int worst = 10;
  double level = 0.95;
};

struct LoadedRun {
  std::string label;  // "db:id (name)"
  std::string db;
  RunInfo info;
  std::map<std::string, ResultRow> rows;  // by scenario id
  std::unique_ptr<ResultsStore> store;
};

// "N", "NAME" (the latest run of that name) or "FILE.db:N" / "FILE.db:NAME".
Result<LoadedRun> LoadRun(const std::string& ref, const std::string& default_db) {
  LoadedRun out;
  std::string db = default_db, run = ref;
  if (const size_t colon = ref.rfind(':'); colon != std::string::npos) {
    db = ref.substr(0, colon);
    run = ref.substr(colon + 1);
  }
  Result<std::unique_ptr<ResultsStore>> store = ResultsStore::Open(db, /*read_only=*/true);
  if (!store.ok()) return store.error();
  Result<std::vector<RunInfo>> runs = (*store)->ListRuns();
  if (!runs.ok()) return runs.error();
  const RunInfo* found = nullptr;
  const bool numeric = !run.empty() && std::all_of(run.begin(), run.end(), [](char c) { return c >= '0' && c <= '9'; });
  for (const RunInfo& r : *runs) {
    if ((numeric && std::to_string(r.id) == run) || (!numeric && r.name == run)) found = &r;  // latest wins
  }
  if (found == nullptr) return Error{fmt::format("{}: no run '{}' (has {} runs)", db, run, runs->size())};
  out.info = *found;
  out.db = db;
  out.label = fmt::format("run {} '{}' ({}, agents {}) in {}", found->id, found->name, found->planner,
                          found->agents, db);
  Result<std::vector<ResultRow>> rows = (*store)->Results(found->id);
  if (!rows.ok()) return rows.error();
  for (ResultRow& r : *rows) out.rows.emplace(r.scenario_id, std::move(r));
  out.store = std::move(*store);
  return out;
}

// A scenario's value of `metric` ("score" or a metric column); a failed
// scenario scores 0 and has no other metric.
std::optional<double> Value(const ResultRow& r, const std::string& metric) {
  if (metric == "score") return r.status == ScenarioStatus::kOk ? r.score.value_or(0.0) : 0.0;
  if (r.status != ScenarioStatus::kOk) return std::nullopt;
  return r.Metric(metric);
}

// The metrics compared, in the order they are printed.
const std::vector<std::string>& ComparedMetrics() {
  static const std::vector<std::string> metrics = {
      "score", "no_at_fault_collisions", "drivable_area_compliance", "driving_direction_compliance",
      "making_progress", "progress", "ttc_within_bound", "speed_limit_compliance", "comfortable",
      "goal_reached", "at_fault_collisions", "collisions", "red_light_violations", "ade", "min_distance"};
  return metrics;
}

struct Worse {
  std::string scenario;
  double base_score = 0.0, cand_score = 0.0;
  bool new_at_fault = false;
  bool newly_failed = false;
  std::string detail;
};

std::string AtFaultDetail(ResultsStore& store, int64_t run, const std::string& scenario) {
  Result<std::vector<MetricEvent>> events = store.Events(run, scenario);
  if (!events.ok()) return "";
  for (const MetricEvent& e : *events) {
    if (e.kind == "collision" && e.detail.find("at fault") != std::string::npos &&
        e.detail.find("not at fault") == std::string::npos) {
      return fmt::format("at-fault collision at step {} with {} '{}' ({})", e.step, e.agent_type, e.agent_id,
                         e.detail);
    }
  }
  return "";
}

int RunCompare(const CompareOptions& o) {
  Result<LoadedRun> base = LoadRun(o.base, o.db);
  if (!base.ok()) {
    fmt::print(stderr, "tarmac compare: BASE: {}\n", base.error().message);
    return kExitInputError;
  }
  Result<LoadedRun> cand = LoadRun(o.cand, o.db);
  if (!cand.ok()) {
    fmt::print(stderr, "tarmac compare: CAND: {}\n", cand.error().message);
    return kExitInputError;
  }
  std::vector<std::string> common, only_base, only_cand;
  for (const auto& [id, row] : base->rows) (cand->rows.count(id) ? common : only_base).push_back(id);
  for (const auto& [id, row] : cand->rows) {
    if (base->rows.count(id) == 0) only_cand.push_back(id);
  }
  if (common.empty()) {
    fmt::print(stderr, "tarmac compare: the runs have no scenario in common\n");
    return kExitInputError;
  }
  // Paired statistics per metric.
  nlohmann::json metrics = nlohmann::json::array();
  std::optional<PairedDifference> score_diff;
  for (const std::string& name : ComparedMetrics()) {
    std::vector<double> b, c;
    for (const std::string& id : common) {
      const std::optional<double> vb = Value(base->rows.at(id), name), vc = Value(cand->rows.at(id), name);
      if (vb && vc && std::isfinite(*vb) && std::isfinite(*vc)) {
        b.push_back(*vb);
        c.push_back(*vc);
      }
    }
    if (b.empty()) continue;
    const PairedDifference d = BootstrapMeanDifference(b, c, o.resamples, o.seed, o.level);
    if (name == "score") score_diff = d;
    metrics.push_back({{"metric", name}, {"n", d.n}, {"base", d.base_mean}, {"cand", d.cand_mean},
                       {"diff", d.mean_diff}, {"ci_low", d.ci_low}, {"ci_high", d.ci_high}});
  }
  // Scenarios that got worse: new at-fault collisions and new failures first,
  // then by the score drop.
  std::vector<Worse> worse;
  for (const std::string& id : common) {
    const ResultRow& rb = base->rows.at(id);
    const ResultRow& rc = cand->rows.at(id);
    Worse w;
    w.scenario = id;
    w.base_score = *Value(rb, "score");
    w.cand_score = *Value(rc, "score");
    w.newly_failed = rb.status == ScenarioStatus::kOk && rc.status != ScenarioStatus::kOk;
    w.new_at_fault = rc.Metric("at_fault_collisions").value_or(0.0) > 0.0 &&
                     rb.status == ScenarioStatus::kOk && rb.Metric("at_fault_collisions").value_or(0.0) == 0.0;
    if (!w.newly_failed && !w.new_at_fault && w.cand_score >= w.base_score) continue;
    if (w.newly_failed) {
      w.detail = "failed: " + rc.error;
    } else if (w.new_at_fault) {
      w.detail = AtFaultDetail(*cand->store, cand->info.id, id);
    } else {
      // The metrics of the score that dropped.
      for (const char* name : {"no_at_fault_collisions", "drivable_area_compliance", "driving_direction_compliance",
                               "making_progress", "progress", "ttc_within_bound", "speed_limit_compliance",
                               "comfortable"}) {
        const std::optional<double> vb = rb.Metric(name), vc = rc.Metric(name);
        if (vb && vc && *vc < *vb) {
          w.detail += fmt::format("{}{} {:.2f} -> {:.2f}", w.detail.empty() ? "" : ", ", name, *vb, *vc);
        }
      }
    }
    worse.push_back(std::move(w));
  }
  std::stable_sort(worse.begin(), worse.end(), [](const Worse& a, const Worse& b) {
    const int ra = a.new_at_fault || a.newly_failed ? 0 : 1, rb = b.new_at_fault || b.newly_failed ? 0 : 1;
    if (ra != rb) return ra < rb;
    return a.cand_score - a.base_score < b.cand_score - b.base_score;
  });
  int new_at_fault = 0, newly_failed = 0;
  for (const Worse& w : worse) {
    new_at_fault += w.new_at_fault ? 1 : 0;
    newly_failed += w.newly_failed ? 1 : 0;
  }
  const bool score_regressed = score_diff && score_diff->ci_high < 0.0;
  const bool strict_regressed = o.strict && (new_at_fault > 0 || newly_failed > 0);
  const bool regression = score_regressed || strict_regressed;
  std::string reason = "no regression";
  if (score_regressed) {
    reason = fmt::format("the score's {:.0f}% interval [{:+.4f}, {:+.4f}] lies below zero", 100 * o.level,
                         score_diff->ci_low, score_diff->ci_high);
  } else if (strict_regressed) {
    reason = fmt::format("--strict: {} new at-fault collision(s), {} newly failed scenario(s)", new_at_fault,
                         newly_failed);
  }
  if (o.json) {
    nlohmann::json worse_json = nlohmann::json::array();
    for (const Worse& w : worse) {
      worse_json.push_back({{"scenario", w.scenario}, {"base_score", w.base_score}, {"cand_score", w.cand_score},
                            {"new_at_fault_collision", w.new_at_fault}, {"newly_failed", w.newly_failed},
                            {"detail", w.detail}});
    }
    const nlohmann::json out = {
        {"base", {{"db", base->db}, {"run_id", base->info.id}, {"name", base->info.name}, {"planner", base->info.planner}}},
        {"cand", {{"db", cand->db}, {"run_id", cand->info.id}, {"name", cand->info.name}, {"planner", cand->info.planner}}},
        {"common_scenarios", common.size()},
        {"same_suite", base->info.suite_sha256 == cand->info.suite_sha256},
        {"only_in_base", only_base},
        {"only_in_cand", only_cand},
        {"level", o.level},
        {"resamples", o.resamples},
        {"seed", o.seed},
        {"metrics", metrics},
        {"worse", worse_json},
        {"new_at_fault_collisions", new_at_fault},
        {"newly_failed", newly_failed},
        {"regression", regression},
        {"reason", reason}};
    std::cout << out.dump(2) << "\n";
    return regression ? kExitRegression : kExitOk;
  }
  fmt::print("base: {}\ncand: {}\n{} common scenarios", base->label, cand->label, common.size());
  if (base->info.suite_sha256 != cand->info.suite_sha256) fmt::print(" (the runs used different suites)");
  if (!only_base.empty() || !only_cand.empty()) {
    fmt::print(" ({} only in base, {} only in cand: not compared)", only_base.size(), only_cand.size());
  }
  fmt::print("\n\n{:<30} {:>9} {:>9} {:>9}   {:.0f}% interval of the difference\n", "metric", "base", "cand",
             "diff", 100 * o.level);
  for (const auto& m : metrics) {
    const double lo = m["ci_low"], hi = m["ci_high"];
    const char* mark = hi < 0.0 ? "  lower" : (lo > 0.0 ? "  higher" : "");
    fmt::print("{:<30} {:>9.4f} {:>9.4f} {:>+9.4f}   [{:+.4f}, {:+.4f}]{}\n", m["metric"].get<std::string>(),
               m["base"].get<double>(), m["cand"].get<double>(), m["diff"].get<double>(), lo, hi, mark);
  }
  if (!worse.empty()) {
    fmt::print("\nscenarios that got worse ({}; new at-fault collisions and failures first):\n", worse.size());
    for (size_t i = 0; i < worse.size() && static_cast<int>(i) < o.worst; ++i) {
      const Worse& w = worse[i];
      fmt::print("  {:<36} {:.3f} -> {:.3f}  {}\n", w.scenario, w.base_score, w.cand_score, w.detail);
    }
  }
  fmt::print("\nverdict: {} ({})\n", regression ? "REGRESSION" : "OK", reason);
  return regression ? kExitRegression : kExitOk;
}

}  // namespace

void AddCompareCommand(CLI::App* app) {
  auto o = std::make_shared<CompareOptions>();
  CLI::App* cmd = app->add_subcommand(
      "compare", "Paired comparison of two runs; exit 1 if the candidate regresses");
  cmd->add_option("base", o->base, "Baseline run: id, name (latest of that name), or FILE.db:RUN")->required();
  cmd->add_option("cand", o->cand, "Candidate run, likewise")->required();
  cmd->add_option("--db", o->db, "Results database of runs given without FILE.db:")->capture_default_str();
  cmd->add_flag("--strict", o->strict, "Also fail on any new at-fault collision or newly failed scenario");
  cmd->add_option("--resamples", o->resamples, "Bootstrap resamples")->capture_default_str();
  cmd->add_option("--seed", o->seed, "Bootstrap seed")->capture_default_str();
  cmd->add_option("--level", o->level, "Confidence level of the intervals")->capture_default_str();
  cmd->add_option("--worst", o->worst, "Worse scenarios to list")->capture_default_str();
  cmd->add_flag("--json", o->json, "Machine-readable output");
  cmd->callback([o] { SetCommand([o] { return RunCompare(*o); }); });
}

}  // namespace tarmac
