// `log`: the expert. Returns the logged ego's future poses (the one planner
// allowed to read the future of the log); past the log's end it continues at
// the last logged velocity. Needs a logged ego.
#pragma once

#include "sim/planner.h"

namespace tarmac {

class LogPlanner final : public Planner {
 public:
  std::string name() const override { return "log"; }
  void Plan(std::span<const PlanRequest> requests, std::span<Trajectory> plans,
            std::span<std::string> errors, ThreadPool* pool) override;
};

}  // namespace tarmac
