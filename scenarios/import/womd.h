// Waymo Open Motion Dataset (WOMD): importer and exporter.
//
// A WOMD file is an uncompressed TFRecord file (tfrecord.h) whose records are
// each one serialized `waymo.open_dataset.Scenario` (mirrored as tarmac.womd
// in scenarios/proto/womd/scenario.proto). Every record becomes one tarmac
// scenario, in file order; any framing, protobuf or consistency error stops
// the import with "record N at byte B: <what>".
//
// Mapping, WOMD -> tarmac.v1 (import)
//  scenario_id               -> id and provenance.source_id ("womd-record-N" if empty)
//  record index              -> provenance.source_record
//  timestamps_seconds        -> time.num_steps = count; time.dt_s = mean step, snapped to
//                               whole microseconds when within 1 ns of them. The stamps
//                               must be finite and strictly increasing, and every step
//                               within 25 % of the median step, else an error naming the
//                               index.
//                               A single stamp gives dt 0.1 s (WOMD's 10 Hz), noted.
//  current_time_index        -> time.current_step (must lie in [0, num_steps))
//  tracks[i]                 -> tracks[i]: id = decimal WOMD id; object_type VEHICLE /
//                               PEDESTRIAN / CYCLIST / OTHER -> the same TrackType (UNSET ->
//                               UNSPECIFIED), source_type = the WOMD enum name; per step
//                               x, y = center_x, center_y, heading, vx, vy = velocity_x/_y,
//                               valid (center_z dropped). Each track needs exactly one
//                               state per timestamp. Box (length, width, height) = the
//                               state at current_time_index if valid, else the first valid
//                               state (0 x 0 if never valid; counted in a note).
//  sdc_track_index           -> ego.track_id (an index outside the tracks is an error;
//                               absent: no ego, noted)
//  tracks_to_predict[k]      -> tracks_to_predict ids (track_index checked like the sdc's);
//                               difficulties in note "tracks_to_predict_difficulty"
//  objects_of_interest       -> note "objects_of_interest" (comma-separated track ids)
//  map_features (id -> id as decimal string; z dropped):
//    lane (LaneCenter)       -> Lane: centerline = polyline; speed_limit_mps =
//                               speed_limit_mph * 0.44704; type FREEWAY and SURFACE_STREET ->
//                               VEHICLE, BIKE_LANE -> BIKE, UNDEFINED -> UNSPECIFIED, with
//                               source_type "freeway" / "surface_street" / "bike_lane" /
//                               "undefined" (+ ",interpolating" when interpolating);
//                               entry_lanes -> predecessor_ids; exit_lanes -> successor_ids;
//                               left/right_neighbors -> neighbours with same_direction = true
//                               (WOMD lists same-direction neighbours only; repeats merged).
//                               left/right_boundaries -> left/right_boundary: rebuilt from the
//                               referenced road_line / road_edge polylines. For each segment
//                               [lane_start_index, lane_end_index] the lane points at both
//                               ends are projected onto the boundary feature and the
//                               feature's vertices between the projections taken (in lane
//                               direction); segments are joined in index order. When the
//                               segments do not cover every lane point, or reference a
//                               missing feature or invalid indices, that boundary is left
//                               empty (note "lane_boundaries" counts these). Markings =
//                               the boundary type names, e.g. "TYPE_BROKEN_SINGLE_WHITE" or
//                               "TYPE_ROAD_EDGE_BOUNDARY", comma-joined when they change.
//    road_line               -> RoadLine; TYPE_X -> ROAD_LINE_TYPE_X, UNKNOWN -> UNSPECIFIED
//    road_edge               -> RoadEdge; BOUNDARY / MEDIAN / UNKNOWN -> BOUNDARY / MEDIAN /
//                               UNSPECIFIED
//    stop_sign               -> StopSign: lane ids, position x, y
//    crosswalk               -> Crosswalk polygon
//    speed_bump, driveway    -> AreaFeature SPEED_BUMP / DRIVEWAY polygon
//  dynamic_map_states[t]     -> one TrafficLight per controlled lane (id = the lane's id,
//    .lane_states               lane_ids = {lane}), in order of first appearance; states[t] =
//                               LANE_STATE_X -> SIGNAL_STATE_X (UNKNOWN at steps where the
//                               lane is not listed); stop point = the first stop_point given.
//                               At most one dynamic state per timestamp.
//  provenance                -> dataset "Waymo Open Motion Dataset", license "Waymo Dataset
//                               License Agreement for Non-Commercial Use"; a record written
//                               by tarmac's exporter carries the true dataset, licence and
//                               tags in field 1000 (tarmac_provenance), which win
//
// Mapping, tarmac.v1 -> WOMD (export; for Waymax and other WOMD readers)
//  The inverse of the above, with timestamps_seconds[t] = t * dt_s and one
//  dynamic_map_state per step. Ids that are decimal integers (int32 for
//  tracks, int64 for map features, unique across all feature kinds) are kept;
//  others get fresh numbers. What WOMD cannot hold is dropped and listed in
//  WomdExport::notes: the goal and route, stop lines (traffic lights keep
//  their stop points), opposite-direction neighbours, areas other than speed
//  bumps and driveways, SIGNAL_STATE_OFF (-> UNKNOWN), ROAD_LINE_TYPE_VIRTUAL
//  (-> UNKNOWN), lane types other than vehicle / bike, the ego's yaw rate and
//  acceleration, and the provenance's other fields (its dataset, licence and
//  tags travel in field 1000, tarmac_provenance, outside the published
//  schema; other readers skip it). A lane boundary
//  becomes a BoundarySegment over the whole lane that references a road line
//  or road edge with exactly that polyline (an existing one, else a new road
//  line whose type comes from the marking: a WOMD type name, else "dashed" ->
//  broken single white, "solid" -> solid single white, else unknown). Of
//  several traffic lights on one lane only the first is kept (WOMD holds one
//  state per lane and step).
//  An ego given only as an initial state (CommonRoad planning problems) becomes
//  an added vehicle track, valid at the initial state's step only, with the
//  ego's box and velocity = speed along heading + slip angle; sdc_track_index
//  points at it and a note says so. A re-import therefore yields a logged ego.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "scenarios/import/format.h"
#include "scenarios/result.h"
#include "tarmac/v1/scenario.pb.h"
#include "womd/scenario.pb.h"

namespace tarmac {

// 1 mph = 1609.344 m / 3600 s, exactly.
inline constexpr double kMetresPerSecondPerMph = 0.44704;

// The importer for Format::kWomd: one scenario per TFRecord record.
std::vector<v1::Scenario> ImportWomd(std::string_view bytes, const ImportContext& ctx);

// One parsed WOMD Scenario to tarmac (no framing). Throws ImportError without
// a record prefix; `record_index` goes into provenance.source_record.
v1::Scenario WomdToTarmac(const womd::Scenario& source, int record_index);

struct WomdExport {
  womd::Scenario scenario;
  std::vector<std::string> notes;  // what was dropped, renumbered or synthesised
};

// A tarmac scenario (in normal form, e.g. as ReadScenarios returns it) as a
// WOMD Scenario. Errors for inconsistent input (array sizes, ego step).
Result<WomdExport> TarmacToWomd(const v1::Scenario& scenario);

// The same, serialized (deterministic bytes). Notes are appended to `notes`
// when it is not null.
Result<std::string> ExportWomdBytes(const v1::Scenario& scenario,
                                    std::vector<std::string>* notes = nullptr);

// Writes `scenarios` as one TFRecord file, one record each, in order. Notes
// are prefixed with "scenario '<id>': ".
Result<void> WriteWomdTfRecord(const std::vector<v1::Scenario>& scenarios,
                               const std::filesystem::path& path,
                               std::vector<std::string>* notes = nullptr);

}  // namespace tarmac
