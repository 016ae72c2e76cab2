// Importer for CommonRoad XML scenarios, schemas 2018b and 2020a.
//
// Lanelets become lanes (centreline = midpoints of the bounds), obstacles
// become tracks, the (first) planning problem becomes the ego's initial state
// and goal; traffic-light cycles are expanded into per-step states. The
// mapping, field by field, is in docs/importers.md.
#pragma once

#include <string_view>
#include <vector>

#include "scenarios/import/format.h"
#include "tarmac/v1/scenario.pb.h"

namespace tarmac {

// Ego box used for CommonRoad planning problems, which give no vehicle size:
// CommonRoad vehicle model 2 (BMW 320i), length 4.508 m, width 1.610 m
// (CommonRoad "Vehicle Models" documentation, vehicle parameters).
inline constexpr double kCommonRoadEgoLength = 4.508;
inline constexpr double kCommonRoadEgoWidth = 1.610;

std::vector<v1::Scenario> ImportCommonRoad(std::string_view bytes, const ImportContext& ctx);

}  // namespace tarmac
