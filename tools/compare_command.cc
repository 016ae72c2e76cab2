#include "tools/compare_command.h"

#include <fmt/format.h>

#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "tools/cli_util.h"
#include "tools/run_comparison.h"

namespace tarmac {
namespace {

struct CompareOptions {
  std::string base, cand;
  std::string db = "tarmac.db";
  bool json = false;
  int worst = 10;
  ComparisonOptions stats;
};

int RunCompare(const CompareOptions& o) {
  Result<LoadedRun> base = LoadRunRef(o.base, o.db);
  if (!base.ok()) {
    fmt::print(stderr, "tarmac compare: BASE: {}\n", base.error().message);
    return kExitInputError;
  }
  Result<LoadedRun> cand = LoadRunRef(o.cand, o.db);
  if (!cand.ok()) {
    fmt::print(stderr, "tarmac compare: CAND: {}\n", cand.error().message);
    return kExitInputError;
  }
  Result<Comparison> c = CompareRuns(base->run, cand->run, cand->store.get(), o.stats);
  if (!c.ok()) {
    fmt::print(stderr, "tarmac compare: {}\n", c.error().message);
    return kExitInputError;
  }
  const int exit_code = c->regression ? kExitRegression : kExitOk;
  if (o.json) {
    std::cout << ComparisonJson(base->run, cand->run, *c, o.stats).dump(2) << "\n";
    return exit_code;
  }
  fmt::print("base: {}\ncand: {}\n{} common scenarios", base->run.label, cand->run.label, c->common.size());
  if (!c->same_suite) fmt::print(" (the runs used different suites)");
  if (!c->only_base.empty() || !c->only_cand.empty()) {
    fmt::print(" ({} only in base, {} only in cand: not compared)", c->only_base.size(), c->only_cand.size());
  }
  fmt::print("\n\n{:<30} {:>9} {:>9} {:>9}   {:.0f}% interval of the difference\n", "metric", "base", "cand",
             "diff", 100 * o.stats.level);
  for (const MetricComparison& m : c->metrics) {
    const double lo = m.d.ci_low, hi = m.d.ci_high;
    const char* mark = hi < 0.0 ? "  lower" : (lo > 0.0 ? "  higher" : "");
    fmt::print("{:<30} {:>9.4f} {:>9.4f} {:>+9.4f}   [{:+.4f}, {:+.4f}]{}\n", m.metric, m.d.base_mean,
               m.d.cand_mean, m.d.mean_diff, lo, hi, mark);
  }
  if (!c->worse.empty()) {
    fmt::print("\nscenarios that got worse ({}; new at-fault collisions and failures first):\n", c->worse.size());
    for (size_t i = 0; i < c->worse.size() && static_cast<int>(i) < o.worst; ++i) {
      const WorseScenario& w = c->worse[i];
      fmt::print("  {:<36} {:.3f} -> {:.3f}  {}\n", w.scenario, w.base_score, w.cand_score, w.detail);
    }
  }
  fmt::print("\nverdict: {} ({})\n", c->regression ? "REGRESSION" : "OK", c->reason);
  return exit_code;
}

}  // namespace

void AddCompareCommand(CLI::App* app) {
  auto o = std::make_shared<CompareOptions>();
  CLI::App* cmd = app->add_subcommand(
      "compare", "Paired comparison of two runs; exit 1 if the candidate regresses");
  cmd->add_option("base", o->base, "Baseline run: id, name (latest of that name), or FILE.db:RUN")->required();
  cmd->add_option("cand", o->cand, "Candidate run, likewise")->required();
  cmd->add_option("--db", o->db, "Results database of runs given without FILE.db:")->capture_default_str();
  cmd->add_flag("--strict", o->stats.strict, "Also fail on any new at-fault collision or newly failed scenario");
  cmd->add_option("--resamples", o->stats.resamples, "Bootstrap resamples")->capture_default_str();
  cmd->add_option("--seed", o->stats.seed, "Bootstrap seed")->capture_default_str();
  cmd->add_option("--level", o->stats.level, "Confidence level of the intervals")->capture_default_str();
  cmd->add_option("--worst", o->worst, "Worse scenarios to list")->capture_default_str();
  cmd->add_flag("--json", o->json, "Machine-readable output");
  cmd->callback([o] { SetCommand([o] { return RunCompare(*o); }); });
}

}  // namespace tarmac
