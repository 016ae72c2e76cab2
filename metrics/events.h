// Per-step events that metrics record: what happened, when, with whom.
#pragma once

#include <string>
#include <vector>

namespace tarmac {

struct MetricEvent {
  int step = 0;
  std::string kind;      // "collision", "off_road", "against_traffic", "red_light", "goal_reached"
  std::string agent_id;  // the other party, for collisions
  std::string agent_type;  // "vehicle", "pedestrian", ...
  std::string detail;    // collision class and fault ("active_front, at fault"), light id, ...
  double value = 0.0;    // a magnitude: metres off road, ego speed at contact, ...
};

using MetricEvents = std::vector<MetricEvent>;

}  // namespace tarmac
