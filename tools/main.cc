// tarmac: closed-loop driving simulation and evaluation.
//
// Exit codes: 0 ok, 1 a gate failed (regression), 2 bad usage or input.
#include <CLI/CLI.hpp>

#include <cstdio>

#include "authoring/spec_format.h"
#include "tools/bench_command.h"
#include "tools/cli_util.h"
#include "tools/compare_command.h"
#include "tools/merge_command.h"
#include "tools/report_command.h"
#include "tools/run_command.h"
#include "tools/scenario_command.h"
#include "tools/serve_command.h"
#include "tools/simulate_command.h"
#include "tools/train_command.h"

int main(int argc, char** argv) {
  tarmac::RegisterSpecFormat();  // .spec files read like any scenario file
  CLI::App app{"tarmac: closed-loop driving simulation and evaluation harness", "tarmac"};
  app.set_version_flag("--version", TARMAC_VERSION);
  app.require_subcommand(1);
  tarmac::AddScenarioCommand(&app);
  tarmac::AddRunCommand(&app);
  tarmac::AddCompareCommand(&app);
  tarmac::AddMergeCommand(&app);
  tarmac::AddServeCommand(&app);
  tarmac::AddReportCommand(&app);
  tarmac::AddSimulateCommand(&app);
  tarmac::AddBenchCommand(&app);
  tarmac::AddTrainCommand(&app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return tarmac::kExitInputError;
  }
  return tarmac::RunSelectedCommand();
}
