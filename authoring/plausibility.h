// Checks that make sense for authored scenarios (and not for recorded logs,
// whose annotation noise puts parked cars off the lanes and boxes slightly
// into each other): `tarmac scenario validate` runs them on scenarios whose
// source format is "tarmac-spec" and reports errors for
//   - two objects (the ego included) overlapping at the current step,
//   - a vehicle or cyclist more than 0.5 m outside the drivable area at the
//     current step,
//   - a goal that no lane sequence from the ego's lane reaches.
// (Triggers that never fire are caught when a spec is compiled: a compiled
// scenario records when each trigger fired.)
#pragma once

#include <vector>

#include "scenarios/validate.h"
#include "tarmac/v1/scenario.pb.h"

namespace tarmac {

std::vector<Problem> CheckAuthoredScenario(const v1::Scenario& scenario);

// True for scenarios compiled from a spec (and perturbations of them).
bool IsAuthored(const v1::Scenario& scenario);

}  // namespace tarmac
