// Semantic checks of a scenario: everything `tarmac scenario validate` reports.
// Reading a file already rejects what cannot be represented (non-finite
// numbers, wrong array sizes); this finds what is representable but wrong.
#pragma once

#include <string>
#include <vector>

#include "tarmac/v1/scenario.pb.h"

namespace tarmac {

enum class Severity { kError, kWarning };

struct Problem {
  Severity severity = Severity::kError;
  std::string where;  // e.g. "track '42' step 17", "lane '3' successor_ids[0]"
  std::string what;   // e.g. "references lane '99', which does not exist"
};

struct ValidateOptions {
  // A logged object moving faster than this between two valid steps is
  // reported as a jump (a warning) [m/s]. 100 m/s = 360 km/h.
  double max_plausible_speed_mps = 100.0;
};

// Every problem found, errors and warnings, in a fixed order.
std::vector<Problem> ValidateScenario(const v1::Scenario& scenario,
                                      const ValidateOptions& options = {});

// Number of problems with severity kError.
int CountErrors(const std::vector<Problem>& problems);

}  // namespace tarmac
