// `constant-velocity`: keeps the ego's current speed and heading, in a straight
// line. The floor every planner should beat.
#pragma once

#include "sim/planner.h"

namespace tarmac {

class ConstantVelocityPlanner final : public Planner {
 public:
  std::string name() const override { return "constant-velocity"; }
  void Plan(std::span<const PlanRequest> requests, std::span<Trajectory> plans,
            std::span<std::string> errors, ThreadPool* pool) override;
};

}  // namespace tarmac
