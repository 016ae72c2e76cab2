// Makes .spec files (ScenarioSpec text) readable wherever scenarios are read:
// ReadScenarios compiles them on the fly, so `tarmac run`, `simulate`,
// `scenario info|validate|render|convert` accept an authored spec like any
// recorded scenario. Call once at start-up (the tarmac executable and the
// test runner do).
#pragma once

#include <string_view>
#include <vector>

#include "scenarios/import/format.h"

namespace tarmac {

// The ImportFn for Format::kTarmacSpec: parses and compiles; errors (thrown
// as ImportError) read "file:line:col: field.path: reason".
std::vector<v1::Scenario> ImportSpec(std::string_view bytes, const ImportContext& ctx);

void RegisterSpecFormat();

}  // namespace tarmac
