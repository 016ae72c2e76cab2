// Importer for ScenarioNet / MetaDrive "ScenarioDescription" pickles (.pkl):
// the unified format ScenarioNet converts WOMD, nuScenes, nuPlan, Argoverse 2
// and Lyft logs into. The pickle is read with the restricted unpickler
// (import/pickle.h), so a file can never run code.
//
// Mapping (ScenarioDescription key -> tarmac.v1.Scenario):
//  - id -> id and provenance.source_id; length -> time.num_steps;
//    metadata.sample_rate [s] (or, without it, the mean step of metadata.ts)
//    -> time.dt_s; metadata.current_time_index (else 0) -> time.current_step;
//    metadata.sdc_id -> ego.track_id; metadata.map -> map.name;
//    metadata.dataset + version -> provenance.dataset (and licence).
//  - tracks[id]: type VEHICLE / PEDESTRIAN / CYCLIST -> vehicle / pedestrian /
//    cyclist; TRAFFIC_CONE, TRAFFIC_BARRIER, TRAFFIC_OBJECT and other static
//    object types -> static; anything else -> other. metadata.type (e.g.
//    "vehicle.car") -> source_type. state.position (T,2|3), heading (T,),
//    velocity (T,2), valid (T,) -> per-step x, y, heading, vx, vy, valid.
//    state.length / width / height, (T,) or (T,1): the box is the value at the
//    current step if the track is valid there, else at its first valid step;
//    if length or width is not positive there, the first valid step where
//    both are. If the ego's stored width exceeds its length (nuScenes files
//    store the ego's Renault Zoe as 1.73 m long, 4.08 m wide) the two are
//    swapped, with a provenance note.
//  - map_features[id]: LANE_* -> lanes (polyline columns x, y; a third column
//    is dropped: it is the lane heading in nuScenes files and z in WOMD ones;
//    which one is decided from the data and recorded in the notes); entry_lanes
//    / exit_lanes -> predecessors / successors; left_neighbor / right_neighbor
//    -> neighbours (same direction); speed_limit_mph / speed_limit_kmh -> m/s;
//    a lane polygon is split into left / right boundaries. ROAD_LINE_* -> road
//    lines; ROAD_EDGE_BOUNDARY / _MEDIAN / "UNKNOWN" -> road edges, and so do
//    nuScenes "boundary_*" entries (drivable-area outlines that ScenarioNet
//    types as solid white lines); CROSSWALK -> crosswalks; STOP_SIGN -> stop
//    signs; SPEED_BUMP / DRIVEWAY -> areas. Other kinds are counted in a note.
//  - dynamic_map_states[id] (TRAFFIC_LIGHT): lane, stop_point and per-step
//    state.object_state (LANE_STATE_* or TRAFFIC_LIGHT_*) -> traffic lights.
//  - References to lanes that are not in the file are dropped (and counted).
//  - nuScenes specifics (metadata.dataset == "nuscenes"): lanes without a
//    polygon (and LANE_SURFACE_UNSTRUCTURE lanes) are lane connectors and get
//    is_intersection; speed_limit_kmh is ignored there (ScenarioNet writes a
//    constant 100 km/h on connectors; nuScenes maps carry no limits).
//  - Every decision above that depends on the data is recorded as a
//    provenance note (key "map.*", "time.*", "ego.*", "tracks.*").
//  - Work and memory are bounded by 16 values per input byte (+1e6): a pickle
//    may reference one array or dict many times (memo), so each reference is
//    charged and an import that would expand beyond that is an error.
//
// Lane connectivity inference: when no lane in the file has entry_lanes or
// exit_lanes (nuScenes files), lane B is made a successor of lane A (and A a
// predecessor of B) when the end of A's centreline lies within
// kLaneJoinDistance of the start of B's and the directions of A's last and B's
// first segment differ by at most kLaneJoinAngle.
#pragma once

#include <numbers>
#include <string_view>
#include <vector>

#include "scenarios/import/format.h"
#include "tarmac/v1/scenario.pb.h"

namespace tarmac {

inline constexpr double kLaneJoinDistance = 0.5;                      // [m]
inline constexpr double kLaneJoinAngle = 30.0 * std::numbers::pi / 180.0;  // [rad]

std::vector<v1::Scenario> ImportScenarioNet(std::string_view bytes, const ImportContext& ctx);

}  // namespace tarmac
