// `tarmac report --db FILE --run A [--baseline B] -o report.html`: one
// self-contained HTML file (no server, no network, no script needed to read
// it: mail clients show it as it is) with the run's summary, the comparison
// with a baseline (the same numbers and verdict as `tarmac compare`), and
// pictures of the worst scenarios (render/scene_renderer.h, drawn at their
// worst moment from the stored trace, as PNG data URIs).
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "scenarios/result.h"

namespace tarmac {

void AddReportCommand(CLI::App* app);

struct ReportOptions {
  std::string db = "tarmac.db";
  std::string run;            // id, name, or FILE.db:RUN
  std::string baseline;       // empty: no comparison
  std::string output = "report.html";
  int thumbnails = 12;        // pictures of the worst scenarios
  int thumbnail_width = 360;  // [px]
  int thumbnail_height = 270; // [px]
  bool strict = false;        // as tarmac compare --strict
};

struct ReportSummary {
  std::string output;
  size_t bytes = 0;
  int thumbnails = 0;             // pictures drawn
  int scenarios = 0;
  bool compared = false;
  bool regression = false;        // with a baseline: tarmac compare's verdict
};

// Writes the report; the error names the database, run or file.
Result<ReportSummary> WriteReport(const ReportOptions& options);

}  // namespace tarmac
