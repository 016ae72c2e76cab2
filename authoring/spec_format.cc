#include "authoring/spec_format.h"

#include "authoring/compiler.h"
#include "scenarios/import/import_util.h"

namespace tarmac {

std::vector<v1::Scenario> ImportSpec(std::string_view bytes, const ImportContext& ctx) {
  SpecLocations loc(ctx.source_file);
  Result<v1::ScenarioSpec> spec = ParseSpec(bytes, &loc);
  if (!spec.ok()) throw ImportError(spec.error().message);
  Result<v1::Scenario> scenario = CompileSpec(*spec, &loc);
  if (!scenario.ok()) throw ImportError(scenario.error().message);
  std::vector<v1::Scenario> out;
  out.push_back(std::move(*scenario));
  return out;
}

void RegisterSpecFormat() { RegisterSpecImporter(&ImportSpec); }

}  // namespace tarmac
