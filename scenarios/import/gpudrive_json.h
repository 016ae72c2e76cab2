// Importer and writer for the scenario JSON of GPUDrive and nocturne: Waymo
// Open Motion Dataset (WOMD) scenarios converted to one JSON file each.
//
// Where the schema comes from (read, not copied):
//  - nocturne: facebookresearch/nocturne, scripts/json_generation/
//    waymo_scenario_construction.py (writer), cfgs/config.py (ERR_VAL = -1e4),
//    nocturne/cpp/src/scenario.cc (reader).
//  - GPUDrive: Emerge-Lab/gpudrive, data_utils/process_waymo_files.py (writer,
//    several versions), data_utils/datatypes.py (map_element_id values),
//    src/json_serialization.hpp (reader), src/init.hpp (MAX_POSITIONS = 91),
//    and a traffic-light example file under data/processed/tl/.
//
// The document, as those writers produce it:
//   { "name": "tfrecord-..._<n>.json",          file name (both tools)
//     "scenario_id": "2af8a17d6cee3f8",         GPUDrive only
//     "objects": [ {                            one per WOMD track, in track order
//        "position": [{"x","y"[,"z"]}, ...],    one per step, metres
//        "heading":  [h, ...],                  nocturne and early GPUDrive: DEGREES;
//                                               current GPUDrive: radians in [-pi, pi)
//        "velocity": [{"x","y"}, ...],          m/s, scenario frame
//        "valid":    [true, ...],
//        "width", "length"[, "height"],         box of the last valid state, metres
//        "goalPosition": {"x","y"[,"z"]},       last valid position
//        "type": "vehicle"|"pedestrian"|"cyclist"|"other"|"unset",
//        ["id": <WOMD track id>], ["mark_as_expert": bool] },   GPUDrive only
//       ... ],
//     "roads": [ { "geometry": [{"x","y"[,"z"]}, ...],
//                  "type": "lane"|"road_line"|"road_edge"|"stop_sign"|"crosswalk"|
//                          "speed_bump"|"driveway" (null when the WOMD feature is empty),
//                  ["id": <WOMD feature id>, "map_element_id": <int>] }, ... ],
//     "tl_states": { "<lane id>": { "state": ["stop", ...], "x": [...], "y": [...],
//                                   ["z": [...]], "time_index": [step, ...],
//                                   ["lane_id": [...]] }, ... },
//     "metadata": { "sdc_track_index": i, "tracks_to_predict":
//                   [{"track_index": i, "difficulty": d}], "objects_of_interest": [id] } }
// Steps at which an object is invalid hold the writer's ERR_VAL in position,
// heading and velocity: -10000 (nocturne, current GPUDrive) or 1e-4 (early
// GPUDrive). Only `valid` decides validity here.
//
// Mapping to tarmac.v1.Scenario:
//  - time: dt 0.1 s (WOMD is sampled at 10 Hz; the format has no time field);
//    num_steps = the objects' list length (91 for WOMD training/validation);
//    current_step = metadata.current_time_index if present (the WOMD proto's
//    name; this writer emits it), else 10 for 91- or 11-step files (WOMD: 1 s
//    of history, then "now"), else 0. Without objects, 91 steps are assumed.
//  - objects -> tracks: id = "id" (integer or string), else "obj<index>";
//    type vehicle/pedestrian/cyclist, anything else OTHER (source_type keeps
//    the string); box from length/width/height (height 0 when absent).
//  - heading units: metadata.heading_units ("radians"/"degrees") when present
//    (this writer's addition; GPUDrive ignores it). Otherwise detected: if
//    any heading at a valid step has |h| > 2*pi + 0.01, the file is in
//    degrees. Otherwise, at
//    valid steps with speed >= 1 m/s where reading h as degrees or as radians
//    differs by more than 0.1 rad, each sample votes for the reading closer to
//    the direction of the velocity vector; degrees win only on a strict
//    majority. No such sample: radians. Recorded as provenance notes
//    "heading_units" ("degrees"/"radians") and "heading_units_evidence".
//  - ego: the object at metadata.sdc_track_index; when absent (nocturne) or
//    negative: the first vehicle valid at the current step, else the first
//    object valid then (note "ego").
//  - goal: the ego's goalPosition as a circle of radius kGpuDriveGoalRadius.
//  - metadata.tracks_to_predict -> tracks_to_predict (by index);
//    objects_of_interest and mark_as_expert -> provenance notes.
//  - roads: lane -> Lane (centreline = geometry; type from map_element_id
//    1/2 vehicle, 3 bike, else unspecified); road_line -> RoadLine (type from
//    map_element_id 6..13, else unspecified); road_edge -> RoadEdge (15
//    boundary, 16 median); stop_sign -> StopSign at its first point;
//    crosswalk -> Crosswalk; speed_bump / driveway -> areas. Ids: "id", else
//    "road<index>". Other types (null, unknown strings) are skipped and
//    counted in note "skipped_roads". The format stores no lane connectivity:
//    lane B succeeds lane A when A's last centreline point lies within
//    kGpuDriveLaneJoinTolerance of B's first and their directions there differ
//    by less than 90 degrees (note "lane_connectivity").
//  - tl_states -> one traffic light per key (WOMD logs signals per lane), in
//    increasing numeric key order: id = the key, lane_ids = [key] when such a
//    lane exists (note "traffic_light_lanes" counts the others), stop point =
//    the first x/y, states[time_index[i]] = state[i], UNKNOWN elsewhere.
//  - provenance: dataset "Waymo Open Motion Dataset (GPUDrive/nocturne JSON)",
//    licence "Waymo Dataset License Agreement for Non-Commercial Use",
//    source_id = scenario_id, else name.
//
// Malformed input (JSON syntax, NaN/Infinity, truncation, wrong types,
// missing keys, per-step lists of different lengths, out-of-range indices)
// throws ImportError naming the JSON path, e.g. "objects[3].heading[12]", and
// the offending value.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "scenarios/import/format.h"
#include "scenarios/result.h"
#include "tarmac/v1/scenario.pb.h"

namespace tarmac {

// Goal radius [m] around goalPosition: GPUDrive's dist_to_goal_threshold
// (gpudrive env config, "radius around goal considered as goal achieved";
// 2.0 m in current versions, 3-4 m in earlier ones).
inline constexpr double kGpuDriveGoalRadius = 2.0;
// Fill value the writer puts at invalid steps (nocturne / GPUDrive ERR_VAL).
inline constexpr double kGpuDriveInvalidValue = -10000.0;
// Distance [m] within which a lane's end and another's start count as joined.
inline constexpr double kGpuDriveLaneJoinTolerance = 0.05;

std::vector<v1::Scenario> ImportGpuDriveJson(std::string_view bytes, const ImportContext& ctx);

// Writes a scenario as GPUDrive JSON (current GPUDrive flavour: headings in
// radians, ERR_VAL -10000 at invalid steps, every key GPUDrive's loader
// requires). What does not fit the format:
//  - ids must be non-negative integers for GPUDrive: ids that are not are
//    replaced by fresh integers (tracks and roads separately);
//  - an ego given as an initial state (CommonRoad) becomes an extra "vehicle"
//    object, valid only at the initial state's step, with velocity = speed
//    along the heading; metadata.sdc_track_index points at it. A logged ego
//    is pointed at directly. The ego's goalPosition is the centre of the
//    first goal shape (or the end of the first goal lane), other objects'
//    their last valid position;
//  - lane boundaries, connectivity, speed limits, stop lines and drivable
//    areas are not written; static and other tracks become "other",
//    unspecified ones "unset";
//  - traffic lights are written per controlled lane (a light without lanes
//    is dropped; the first light wins a lane); OFF becomes "unknown";
//  - metadata.current_time_index carries current_step and
//    metadata.heading_units = "radians" removes any doubt about the units
//    (both are additions GPUDrive ignores). GPUDrive itself reads at most 91
//    steps (MAX_POSITIONS).
// Fails when dt is not 0.1 s (the format has no time base) or a value that
// must be written is not finite.
Result<std::string> WriteGpuDriveJson(const v1::Scenario& scenario);

}  // namespace tarmac
