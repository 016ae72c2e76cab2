// The learned planners' entry points in a build without LibTorch
// (TARMAC_WITH_TORCH=OFF, or AUTO without it): each says so.
#include <fmt/format.h>

#include "policies/learned/learned_planners.h"
#include "policies/learned/train.h"

namespace tarmac {
namespace {
constexpr const char* kNoTorch =
    "tarmac was built without LibTorch (install libtorch-dev and reconfigure with -DTARMAC_WITH_TORCH=ON; "
    "docs/learned-planners.md)";
}  // namespace

bool HaveTorch() { return false; }
std::string TorchDescription() { return "built without LibTorch"; }

Result<std::unique_ptr<Planner>> MakeLearnedPlanner(const std::string& kind, const std::string& path,
                                                    const LearnedRuntime&) {
  return Error{fmt::format("planner '{}:{}': {}", kind, path, kNoTorch)};
}

Result<TrainSummary> TrainModel(const TrainOptions& options, const std::function<void(const TrainProgress&)>&) {
  return Error{fmt::format("--model {}: {}", options.model, kNoTorch)};
}

}  // namespace tarmac
