// WOMD importer and exporter. No WOMD file may be shipped, so the records are
// written here byte by byte with a tiny protobuf wire encoder, using the field
// numbers of the published waymo.open_dataset scenario.proto / map.proto
// (not the tarmac.womd mirror), and framed as TFRecord by hand.
#include "scenarios/import/womd.h"

#include <fmt/format.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>
#include <map>
#include <numbers>
#include <set>

#include "scenarios/import/commonroad.h"
#include "scenarios/import/crc32c.h"
#include "scenarios/import/import_util.h"
#include "scenarios/scenario_io.h"
#include "scenarios/validate.h"
#include "tests/support/test_data.h"

namespace tarmac {
namespace {

// ---- a minimal protobuf wire encoder -------------------------------------------

enum WireType { kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kFixed32 = 5 };

class Wire {
 public:
  Wire& Varint(uint64_t v) {
    while (v >= 0x80) {
      out_.push_back(static_cast<char>((v & 0x7F) | 0x80));
      v >>= 7;
    }
    out_.push_back(static_cast<char>(v));
    return *this;
  }
  Wire& Tag(int field, WireType type) {
    return Varint((static_cast<uint64_t>(field) << 3) | static_cast<uint64_t>(type));
  }
  // int32/int64/enum/bool; negative numbers as 10-byte two's complement.
  Wire& Int(int field, int64_t v) { return Tag(field, kVarint).Varint(static_cast<uint64_t>(v)); }
  Wire& Double(int field, double v) {
    Tag(field, kFixed64);
    uint64_t bits = 0;
    std::memcpy(&bits, &v, 8);
    return Raw(bits, 8);
  }
  Wire& Float(int field, float v) {
    Tag(field, kFixed32);
    uint32_t bits = 0;
    std::memcpy(&bits, &v, 4);
    return Raw(bits, 4);
  }
  Wire& Bytes(int field, std::string_view bytes) {
    Tag(field, kLengthDelimited).Varint(bytes.size());
    out_.append(bytes);
    return *this;
  }
  Wire& Message(int field, const Wire& m) { return Bytes(field, m.str()); }
  Wire& PackedDoubles(int field, const std::vector<double>& values) {
    Wire body;
    for (double v : values) {
      uint64_t bits = 0;
      std::memcpy(&bits, &v, 8);
      body.Raw(bits, 8);
    }
    return Bytes(field, body.str());
  }
  Wire& PackedInts(int field, const std::vector<int64_t>& values) {
    Wire body;
    for (int64_t v : values) body.Varint(static_cast<uint64_t>(v));
    return Bytes(field, body.str());
  }
  Wire& UnpackedInts(int field, const std::vector<int64_t>& values) {
    for (int64_t v : values) Int(field, v);
    return *this;
  }
  const std::string& str() const { return out_; }

 private:
  Wire& Raw(uint64_t bits, int bytes) {
    for (int i = 0; i < bytes; ++i) out_.push_back(static_cast<char>((bits >> (8 * i)) & 0xFF));
    return *this;
  }
  std::string out_;
};

// TFRecord framing by hand: u64 length, masked CRC of it, data, masked CRC.
std::string Frame(const std::string& data) {
  auto le = [](uint64_t v, int n) {
    std::string s;
    for (int i = 0; i < n; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
    return s;
  };
  const std::string length = le(data.size(), 8);
  return length + le(MaskCrc32c(Crc32c(length)), 4) + data + le(MaskCrc32c(Crc32c(data)), 4);
}

// waymo.open_dataset field numbers, from the published .proto files.
namespace f {
// Scenario
constexpr int kTimestamps = 1, kTracks = 2, kObjectsOfInterest = 4, kScenarioId = 5,
              kSdcTrackIndex = 6, kDynamicMapStates = 7, kMapFeatures = 8, kCurrentTimeIndex = 10,
              kTracksToPredict = 11;
// Track, ObjectState
constexpr int kTrackId = 1, kObjectType = 2, kStates = 3;
constexpr int kCenterX = 2, kCenterY = 3, kCenterZ = 4, kLength = 5, kWidth = 6, kHeight = 7,
              kHeading = 8, kVelocityX = 9, kVelocityY = 10, kValid = 11;
// RequiredPrediction
constexpr int kTrackIndex = 1, kDifficulty = 2;
// DynamicMapState, TrafficSignalLaneState
constexpr int kLaneStates = 1, kSignalLane = 1, kSignalState = 2, kStopPoint = 3;
// MapFeature and its oneof
constexpr int kFeatureId = 1, kLane = 3, kRoadLine = 4, kRoadEdge = 5, kStopSign = 7,
              kCrosswalk = 8, kSpeedBump = 9, kDriveway = 10;
// MapPoint
constexpr int kX = 1, kY = 2, kZ = 3;
// LaneCenter
constexpr int kSpeedLimitMph = 1, kLaneType = 2, kInterpolating = 3, kPolyline = 8, kEntryLanes = 9,
              kExitLanes = 10, kLeftNeighbors = 11, kRightNeighbors = 12, kLeftBoundaries = 13,
              kRightBoundaries = 14;
// BoundarySegment, LaneNeighbor
constexpr int kLaneStartIndex = 1, kLaneEndIndex = 2, kBoundaryFeatureId = 3, kBoundaryType = 4;
constexpr int kNeighborFeatureId = 1, kSelfStart = 2, kSelfEnd = 3, kNeighborStart = 4,
              kNeighborEnd = 5;
// RoadLine / RoadEdge (type, polyline), StopSign (lane, position), polygons
constexpr int kLineType = 1, kLinePolyline = 2, kSignLane = 1, kSignPosition = 2, kPolygon = 1;
}  // namespace f

Wire Point(double x, double y, double z = 0.0) {
  Wire p;
  p.Double(f::kX, x).Double(f::kY, y);
  if (z != 0.0) p.Double(f::kZ, z);
  return p;
}

Wire Points(int field, std::initializer_list<std::pair<double, double>> points, Wire w = {}) {
  for (const auto& [x, y] : points) w.Message(field, Point(x, y));
  return w;
}

struct State {
  bool valid;
  double x = 0, y = 0;
  float length = 0, width = 0, height = 0, heading = 0, vx = 0, vy = 0;
};

Wire ObjectState(const State& s) {
  Wire w;
  if (!s.valid) return w.Int(f::kValid, 0);  // an invalid state: only valid = false
  w.Double(f::kCenterX, s.x).Double(f::kCenterY, s.y).Double(f::kCenterZ, 1.0);
  w.Float(f::kLength, s.length).Float(f::kWidth, s.width).Float(f::kHeight, s.height);
  w.Float(f::kHeading, s.heading).Float(f::kVelocityX, s.vx).Float(f::kVelocityY, s.vy);
  return w.Int(f::kValid, 1);
}

Wire Track(int id, int type, std::initializer_list<State> states) {
  Wire w;
  w.Int(f::kTrackId, id).Int(f::kObjectType, type);
  for (const State& s : states) w.Message(f::kStates, ObjectState(s));
  return w;
}

Wire Segment(int start, int end, int64_t feature, int type) {
  Wire w;
  return w.Int(f::kLaneStartIndex, start)
      .Int(f::kLaneEndIndex, end)
      .Int(f::kBoundaryFeatureId, feature)
      .Int(f::kBoundaryType, type);
}

Wire Neighbor(int64_t feature) {
  Wire w;
  return w.Int(f::kNeighborFeatureId, feature)
      .Int(f::kSelfStart, 0)
      .Int(f::kSelfEnd, 1)
      .Int(f::kNeighborStart, 0)
      .Int(f::kNeighborEnd, 1);
}

Wire Feature(int64_t id, int kind, const Wire& body) {
  Wire w;
  return w.Int(f::kFeatureId, id).Message(kind, body);
}

Wire Signal(int64_t lane, int state, bool stop_point, double sx = 0, double sy = 0) {
  Wire w;
  w.Int(f::kSignalLane, lane).Int(f::kSignalState, state);
  if (stop_point) w.Message(f::kStopPoint, Point(sx, sy, 0.25));
  return w;
}

// The test scenario: 3 steps, 3 tracks, three lanes, every map feature kind,
// traffic signals. `packed` chooses the encoding of the repeated scalars that
// are written both ways (timestamps, entry/exit lanes, objects of interest,
// stop-sign lanes); in the unpacked variant the timestamps are split into an
// unpacked element followed by a packed run, which parsers must also merge.
std::string HandScenario(bool packed, const std::string& id = "hand-1", int sdc = 0) {
  Wire s;
  s.Bytes(f::kScenarioId, id);
  if (packed) {
    s.PackedDoubles(f::kTimestamps, {5.0, 5.1, 5.2});
  } else {
    s.Double(f::kTimestamps, 5.0).PackedDoubles(f::kTimestamps, {5.1}).Double(f::kTimestamps, 5.2);
  }
  s.Int(f::kCurrentTimeIndex, 1);
  // Track 17: a vehicle valid at steps 0 and 1; its box changes, the one at
  // the current step (1) counts.
  s.Message(f::kTracks, Track(17, 1,
                              {{true, 10.5, -3.25, 4.5f, 2.0f, 1.5f, 0.5f, 3.0f, 1.5f},
                               {true, 10.75, -3.0, 4.75f, 2.25f, 1.625f, -0.25f, 0.3f, -1.0f},
                               {false}}));
  // Track 3: a pedestrian seen only at step 2 (box from that first valid state).
  s.Message(
      f::kTracks,
      Track(3, 2, {{false}, {false}, {true, -1.0, 2.0, 0.5f, 0.625f, 1.75f, 3.0f, 0.0f, 1.25f}}));
  // Track 42: a cyclist, valid throughout; heading just below -pi in float.
  s.Message(f::kTracks, Track(42, 3,
                              {{true, 0.0, 0.0, 1.75f, 0.5f, 1.0f, 1.0f, 2.0f, 0.0f},
                               {true, 0.2, 0.0, 1.75f, 0.5f, 1.0f, 1.0f, 2.0f, 0.0f},
                               {true, 0.4, 0.0, 1.75f, 0.5f, 1.0f, 1.0f, 2.0f, 0.0f}}));
  s.Int(f::kSdcTrackIndex, sdc);
  Wire tp1, tp2;
  s.Message(f::kTracksToPredict, tp1.Int(f::kTrackIndex, 2).Int(f::kDifficulty, 1));
  s.Message(f::kTracksToPredict, tp2.Int(f::kTrackIndex, 1));
  if (packed) {
    s.PackedInts(f::kObjectsOfInterest, {17, 42});
  } else {
    s.UnpackedInts(f::kObjectsOfInterest, {17, 42});
  }

  // Lane 100: surface street, 25 mph, interpolating, three points along +x.
  Wire lane = Points(f::kPolyline, {{0, 0}, {10, 0}, {20, 0}});
  lane.Double(f::kSpeedLimitMph, 25.0).Int(f::kLaneType, 2).Int(f::kInterpolating, 1);
  if (packed) {
    lane.PackedInts(f::kEntryLanes, {99, -5}).PackedInts(f::kExitLanes, {101, 102});
  } else {
    lane.UnpackedInts(f::kEntryLanes, {99, -5}).UnpackedInts(f::kExitLanes, {101, 102});
  }
  lane.Message(f::kLeftNeighbors, Neighbor(101));
  lane.Message(f::kRightNeighbors, Neighbor(102)).Message(f::kRightNeighbors, Neighbor(102));
  // Left: road line 200 beside points 0..1, then road edge 201 (drawn the
  // other way) beside points 1..2. Right: only points 0..1 covered -> empty.
  lane.Message(f::kLeftBoundaries, Segment(1, 2, 201, 0));
  lane.Message(f::kLeftBoundaries, Segment(0, 1, 200, 1));
  lane.Message(f::kRightBoundaries, Segment(0, 1, 202, 7));
  s.Message(f::kMapFeatures, Feature(100, f::kLane, lane));
  Wire lane101 = Points(f::kPolyline, {{0, 3.5}, {20, 3.5}});
  s.Message(f::kMapFeatures, Feature(101, f::kLane, lane101.Int(f::kLaneType, 1)));
  Wire lane102 = Points(f::kPolyline, {{0, -3.5}, {20, -3.5}});
  s.Message(f::kMapFeatures, Feature(102, f::kLane, lane102.Int(f::kLaneType, 3)));
  Wire line200;
  line200.Int(f::kLineType, 1);
  s.Message(f::kMapFeatures,
            Feature(200, f::kRoadLine, Points(f::kLinePolyline, {{-5, 2}, {12, 2}}, line200)));
  Wire edge201;
  edge201.Int(f::kLineType, 2);
  s.Message(
      f::kMapFeatures,
      Feature(201, f::kRoadEdge, Points(f::kLinePolyline, {{30, 2}, {15, 2}, {5, 2}}, edge201)));
  Wire line202;
  line202.Int(f::kLineType, 7);
  s.Message(f::kMapFeatures,
            Feature(202, f::kRoadLine, Points(f::kLinePolyline, {{0, -2}, {20, -2}}, line202)));
  Wire sign;
  if (packed) {
    sign.PackedInts(f::kSignLane, {100, 101});
  } else {
    sign.UnpackedInts(f::kSignLane, {100, 101});
  }
  sign.Message(f::kSignPosition, Point(21.0, -2.5, 0.3));
  s.Message(f::kMapFeatures, Feature(300, f::kStopSign, sign));
  s.Message(f::kMapFeatures, Feature(400, f::kCrosswalk,
                                     Points(f::kPolygon, {{22, -4}, {25, -4}, {25, 4}, {22, 4}})));
  s.Message(f::kMapFeatures,
            Feature(500, f::kSpeedBump, Points(f::kPolygon, {{5, -1}, {6, -1}, {6, 1}})));
  s.Message(f::kMapFeatures,
            Feature(600, f::kDriveway, Points(f::kPolygon, {{8, -5}, {9, -5}, {9, -8}, {8, -8}})));
  Wire empty_feature;
  s.Message(f::kMapFeatures, empty_feature.Int(f::kFeatureId, 700));

  // Signals: lane 100 stop/caution/arrow-go with a stop point; lane 101 go,
  // absent at step 1, flashing stop with its first stop point at step 2.
  Wire d0, d1, d2;
  d0.Message(f::kLaneStates, Signal(100, 4, true, 20.0, 0.5))
      .Message(f::kLaneStates, Signal(101, 6, false));
  d1.Message(f::kLaneStates, Signal(100, 5, true, 20.0, 0.5));
  d2.Message(f::kLaneStates, Signal(100, 3, false))
      .Message(f::kLaneStates, Signal(101, 7, true, 20.0, 4.0));
  s.Message(f::kDynamicMapStates, d0)
      .Message(f::kDynamicMapStates, d1)
      .Message(f::kDynamicMapStates, d2);
  return s.str();
}

std::vector<v1::Scenario> Import(const std::string& bytes,
                                 const std::string& name = "hand.tfrecord") {
  Result<std::vector<v1::Scenario>> r = ParseScenarios(bytes, name, Format::kWomd);
  if (!r.ok()) FAIL(r.error().message);
  return std::move(*r);
}

std::string ImportError(const std::string& bytes) {
  Result<std::vector<v1::Scenario>> r = ParseScenarios(bytes, "x.tfrecord", Format::kWomd);
  REQUIRE_FALSE(r.ok());
  return r.error().message;
}

std::string Note(const v1::Scenario& s, const std::string& key) {
  for (const v1::KeyValue& kv : s.provenance().notes()) {
    if (kv.key() == key) return kv.value();
  }
  return "<none>";
}

std::vector<std::string> Strings(const google::protobuf::RepeatedPtrField<std::string>& r) {
  return {r.begin(), r.end()};
}

std::vector<std::pair<double, double>> PointsOf(const v1::Polyline& p) {
  std::vector<std::pair<double, double>> out;
  for (int i = 0; i < p.x_size(); ++i) out.emplace_back(p.x(i), p.y(i));
  return out;
}

using P = std::vector<std::pair<double, double>>;

void CheckHandScenario(const v1::Scenario& s) {
  CHECK(s.time().num_steps() == 3);
  CHECK(s.time().dt_s() == 0.1);  // (5.2 - 5.0) / 2 snapped to whole microseconds
  CHECK(s.time().current_step() == 1);
  CHECK(s.provenance().dataset() == "Waymo Open Motion Dataset");
  CHECK(s.provenance().license() == "Waymo Dataset License Agreement for Non-Commercial Use");
  CHECK(s.provenance().source_format() == "womd-tfrecord");
  CHECK(Note(s, "objects_of_interest") == "17,42");
  CHECK(Note(s, "tracks_to_predict_difficulty") == "42:LEVEL_1");
  CHECK(Note(s, "map_features_ignored") == "1 map features with no data");

  REQUIRE(s.tracks_size() == 3);
  const v1::Track& car = s.tracks(0);
  CHECK(car.id() == "17");
  CHECK(car.type() == v1::TRACK_TYPE_VEHICLE);
  CHECK(car.source_type() == "TYPE_VEHICLE");
  CHECK(car.length_m() == 4.75);  // the box at the current step
  CHECK(car.width_m() == 2.25);
  CHECK(car.height_m() == 1.625);
  CHECK(std::vector<bool>(car.valid().begin(), car.valid().end()) ==
        std::vector<bool>{true, true, false});
  CHECK(car.x(0) == 10.5);
  CHECK(car.y(0) == -3.25);
  CHECK(car.heading(0) == 0.5);
  CHECK(car.vx(0) == 3.0);
  CHECK(car.vy(0) == 1.5);
  CHECK(car.x(1) == 10.75);
  CHECK(car.heading(1) == -0.25);
  CHECK(car.vx(1) == static_cast<double>(0.3f));  // stored as float
  CHECK(car.vy(1) == -1.0);
  CHECK(car.x(2) == 0.0);  // invalid: zero
  const v1::Track& ped = s.tracks(1);
  CHECK(ped.id() == "3");
  CHECK(ped.type() == v1::TRACK_TYPE_PEDESTRIAN);
  CHECK(ped.length_m() == 0.5);  // current step invalid: first valid state's box
  CHECK(ped.width_m() == 0.625);
  CHECK(ped.height_m() == 1.75);
  CHECK_FALSE(ped.valid(1));
  CHECK(ped.valid(2));
  CHECK(ped.x(2) == -1.0);
  CHECK(ped.heading(2) == 3.0);
  CHECK(ped.vy(2) == 1.25);
  const v1::Track& bike = s.tracks(2);
  CHECK(bike.id() == "42");
  CHECK(bike.type() == v1::TRACK_TYPE_CYCLIST);
  CHECK(bike.x(2) == 0.4);

  CHECK(s.ego().track_id() == "17");
  CHECK(s.ego().length_m() == 4.75);
  CHECK(Strings(s.tracks_to_predict()) == std::vector<std::string>{"42", "3"});

  const v1::Map& m = s.map();
  REQUIRE(m.lanes_size() == 3);
  const v1::Lane& lane = m.lanes(0);
  CHECK(lane.id() == "100");
  CHECK(lane.type() == v1::LANE_TYPE_VEHICLE);
  CHECK(lane.source_type() == "surface_street,interpolating");
  CHECK(lane.speed_limit_mps() == Approx(11.176).epsilon(1e-12));  // 25 mph
  CHECK(PointsOf(lane.centerline()) == P{{0, 0}, {10, 0}, {20, 0}});
  CHECK(Strings(lane.predecessor_ids()) == std::vector<std::string>{"99", "-5"});
  CHECK(Strings(lane.successor_ids()) == std::vector<std::string>{"101", "102"});
  REQUIRE(lane.left_neighbors_size() == 1);
  CHECK(lane.left_neighbors(0).lane_id() == "101");
  CHECK(lane.left_neighbors(0).same_direction());
  REQUIRE(lane.right_neighbors_size() == 1);  // listed twice, merged
  CHECK(lane.right_neighbors(0).lane_id() == "102");
  // Line 200 beside points 0..1 -> (0,2)..(10,2); edge 201 beside 1..2 ->
  // (10,2), its vertex (15,2), (20,2).
  CHECK(PointsOf(lane.left_boundary()) == P{{0, 2}, {10, 2}, {15, 2}, {20, 2}});
  CHECK(lane.left_marking() == "TYPE_BROKEN_SINGLE_WHITE,TYPE_ROAD_EDGE_MEDIAN");
  CHECK(lane.right_boundary().x_size() == 0);  // point 2 not covered
  CHECK(lane.right_marking().empty());
  CHECK(Note(s, "lane_boundaries") ==
        "rebuilt from road lines/edges; 1 of the boundaries of 1 lanes with boundary segments left "
        "empty (segments leave a gap or reference a missing feature)");
  CHECK(m.lanes(1).type() == v1::LANE_TYPE_VEHICLE);
  CHECK(m.lanes(1).source_type() == "freeway");
  CHECK(m.lanes(1).speed_limit_mps() == 0.0);
  CHECK(m.lanes(2).type() == v1::LANE_TYPE_BIKE);
  CHECK(m.lanes(2).source_type() == "bike_lane");

  REQUIRE(m.road_lines_size() == 2);
  CHECK(m.road_lines(0).id() == "200");
  CHECK(m.road_lines(0).type() == v1::ROAD_LINE_TYPE_BROKEN_SINGLE_WHITE);
  CHECK(PointsOf(m.road_lines(0).polyline()) == P{{-5, 2}, {12, 2}});
  CHECK(m.road_lines(1).type() == v1::ROAD_LINE_TYPE_SOLID_DOUBLE_YELLOW);
  REQUIRE(m.road_edges_size() == 1);
  CHECK(m.road_edges(0).id() == "201");
  CHECK(m.road_edges(0).type() == v1::ROAD_EDGE_TYPE_MEDIAN);
  CHECK(PointsOf(m.road_edges(0).polyline()) == P{{30, 2}, {15, 2}, {5, 2}});
  REQUIRE(m.stop_signs_size() == 1);
  CHECK(m.stop_signs(0).id() == "300");
  CHECK(m.stop_signs(0).x() == 21.0);
  CHECK(m.stop_signs(0).y() == -2.5);
  CHECK(Strings(m.stop_signs(0).lane_ids()) == std::vector<std::string>{"100", "101"});
  REQUIRE(m.crosswalks_size() == 1);
  CHECK(m.crosswalks(0).id() == "400");
  CHECK(PointsOf(m.crosswalks(0).polygon()) == P{{22, -4}, {25, -4}, {25, 4}, {22, 4}});
  REQUIRE(m.areas_size() == 2);
  CHECK(m.areas(0).id() == "500");
  CHECK(m.areas(0).type() == v1::AREA_TYPE_SPEED_BUMP);
  CHECK(m.areas(0).polygon().x_size() == 3);
  CHECK(m.areas(1).id() == "600");
  CHECK(m.areas(1).type() == v1::AREA_TYPE_DRIVEWAY);
  CHECK(PointsOf(m.areas(1).polygon()) == P{{8, -5}, {9, -5}, {9, -8}, {8, -8}});

  REQUIRE(s.traffic_lights_size() == 2);
  const v1::TrafficLight& l100 = s.traffic_lights(0);
  CHECK(l100.id() == "100");
  CHECK(Strings(l100.lane_ids()) == std::vector<std::string>{"100"});
  CHECK(l100.states(0) == v1::SIGNAL_STATE_STOP);
  CHECK(l100.states(1) == v1::SIGNAL_STATE_CAUTION);
  CHECK(l100.states(2) == v1::SIGNAL_STATE_ARROW_GO);
  CHECK(l100.has_stop_point());
  CHECK(l100.stop_x() == 20.0);
  CHECK(l100.stop_y() == 0.5);
  const v1::TrafficLight& l101 = s.traffic_lights(1);
  CHECK(l101.id() == "101");
  CHECK(l101.states(0) == v1::SIGNAL_STATE_GO);
  CHECK(l101.states(1) == v1::SIGNAL_STATE_UNKNOWN);  // not listed at step 1
  CHECK(l101.states(2) == v1::SIGNAL_STATE_FLASHING_STOP);
  CHECK(l101.stop_y() == 4.0);

  // The import is a valid scenario apart from the references to lanes 99
  // and -5, which lie outside this small map.
  for (const Problem& p : ValidateScenario(s)) {
    if (p.severity != Severity::kError) continue;
    CHECK_THAT(p.what,
               Catch::Contains("references lane '99'") || Catch::Contains("references lane '-5'"));
  }
}

TEST_CASE("WOMD: a hand-encoded Scenario imports field by field, packed or not", "[womd]") {
  const std::string file = Frame(HandScenario(true)) + Frame(HandScenario(false, "hand-2"));
  const std::vector<v1::Scenario> scenarios = Import(file);
  REQUIRE(scenarios.size() == 2);
  CHECK(scenarios[0].id() == "hand-1");
  CHECK(scenarios[0].provenance().source_id() == "hand-1");
  CHECK(scenarios[0].provenance().source_record() == 0);
  CHECK(scenarios[1].id() == "hand-2");
  CHECK(scenarios[1].provenance().source_record() == 1);
  for (const v1::Scenario& s : scenarios) {
    INFO("scenario " << s.id());
    CheckHandScenario(s);
  }
  // Packed and unpacked encodings give the same scenario.
  v1::Scenario a = scenarios[0], b = scenarios[1];
  b.set_id(a.id());
  *b.mutable_provenance() = a.provenance();
  CHECK(SerializeBinary(a) == SerializeBinary(b));
}

TEST_CASE("WOMD: export, re-import keeps what WOMD can hold", "[womd]") {
  const v1::Scenario original = Import(Frame(HandScenario(true))).front();
  std::vector<std::string> notes;
  Result<std::string> bytes = ExportWomdBytes(original, &notes);
  REQUIRE(bytes.ok());
  const v1::Scenario back = Import(Frame(*bytes)).front();
  CHECK(back.id() == original.id());
  CHECK(back.time().SerializeAsString() == original.time().SerializeAsString());
  // Tracks come back bit for bit (their floats were floats to begin with).
  REQUIRE(back.tracks_size() == original.tracks_size());
  for (int i = 0; i < back.tracks_size(); ++i) {
    CHECK(back.tracks(i).SerializeAsString() == original.tracks(i).SerializeAsString());
  }
  CHECK(back.ego().track_id() == "17");
  CHECK(Strings(back.tracks_to_predict()) == Strings(original.tracks_to_predict()));
  CHECK(Note(back, "objects_of_interest") == "17,42");
  for (int i = 0; i < 2; ++i) {
    CHECK(back.traffic_lights(i).SerializeAsString() ==
          original.traffic_lights(i).SerializeAsString());
  }
  REQUIRE(back.map().lanes_size() == 3);
  // Lanes 99 and -5 are not in the map: those references are dropped.
  CHECK(Strings(back.map().lanes(0).predecessor_ids()).empty());
  CHECK(Strings(back.map().lanes(0).successor_ids()) == std::vector<std::string>{"101", "102"});
  CHECK(std::find(notes.begin(), notes.end(), "2 lane references to unknown lanes dropped") !=
        notes.end());
  for (int i = 0; i < 3; ++i) {
    const v1::Lane& a = original.map().lanes(i);
    const v1::Lane& b = back.map().lanes(i);
    CHECK(b.id() == a.id());
    CHECK(b.type() == a.type());
    CHECK(b.source_type() == a.source_type());
    CHECK(b.speed_limit_mps() == Approx(a.speed_limit_mps()).epsilon(1e-15));
    CHECK(PointsOf(b.centerline()) == PointsOf(a.centerline()));
    CHECK(PointsOf(b.left_boundary()) == PointsOf(a.left_boundary()));
    CHECK(b.left_neighbors_size() == a.left_neighbors_size());
  }
  // The rebuilt boundary had no feature of its own: a road line was added.
  CHECK(back.map().road_lines_size() == original.map().road_lines_size() + 1);
  CHECK(back.map().road_edges(0).SerializeAsString() ==
        original.map().road_edges(0).SerializeAsString());
  CHECK(back.map().stop_signs(0).SerializeAsString() ==
        original.map().stop_signs(0).SerializeAsString());
  CHECK(back.map().crosswalks(0).SerializeAsString() ==
        original.map().crosswalks(0).SerializeAsString());
  CHECK(back.map().areas_size() == 2);
  CHECK(back.map().areas(1).SerializeAsString() == original.map().areas(1).SerializeAsString());
}

// Reads the top-level fields of a protobuf message: field -> (wire type, payloads).
struct Field {
  int wire_type;
  std::string payload;  // varint value as decimal, or raw bytes for fixed / length-delimited
};

std::multimap<int, Field> DecodeTop(std::string_view b) {
  std::multimap<int, Field> out;
  size_t i = 0;
  auto varint = [&]() {
    uint64_t v = 0;
    for (int shift = 0; i < b.size(); shift += 7) {
      const auto c = static_cast<unsigned char>(b[i++]);
      v |= static_cast<uint64_t>(c & 0x7F) << shift;
      if ((c & 0x80) == 0) break;
    }
    return v;
  };
  while (i < b.size()) {
    const uint64_t tag = varint();
    const int field = static_cast<int>(tag >> 3);
    const int type = static_cast<int>(tag & 7);
    Field fld{type, {}};
    if (type == kVarint) {
      fld.payload = std::to_string(varint());
    } else if (type == kFixed64 || type == kFixed32) {
      const size_t n = type == kFixed64 ? 8 : 4;
      fld.payload = std::string(b.substr(i, n));
      i += n;
    } else {
      REQUIRE(type == kLengthDelimited);
      const auto n = static_cast<size_t>(varint());
      fld.payload = std::string(b.substr(i, n));
      i += n;
    }
    out.emplace(field, fld);
  }
  return out;
}

double DoubleOf(const std::string& raw) {
  double v = 0;
  REQUIRE(raw.size() == 8);
  std::memcpy(&v, raw.data(), 8);  // little-endian host (x86-64, as everywhere tarmac runs)
  return v;
}

TEST_CASE("WOMD: exported bytes use the published field numbers", "[womd]") {
  v1::Scenario s;
  s.set_id("wire");
  s.mutable_time()->set_dt_s(0.5);
  s.mutable_time()->set_num_steps(2);
  s.mutable_time()->set_current_step(1);
  v1::Track* t = s.add_tracks();
  t->set_id("7");
  t->set_type(v1::TRACK_TYPE_PEDESTRIAN);
  t->set_length_m(0.5);
  t->set_width_m(0.5);
  InitTrack(2, t);
  t->set_x(1, 12.5);
  t->set_valid(1, true);
  s.mutable_ego()->set_track_id("7");
  Result<std::string> bytes = ExportWomdBytes(s);
  REQUIRE(bytes.ok());
  const std::multimap<int, Field> top = DecodeTop(*bytes);
  REQUIRE(top.count(5) == 1);
  CHECK(top.find(5)->second.payload == "wire");  // scenario_id
  REQUIRE(top.count(1) == 2);                    // timestamps_seconds, one fixed64 each
  CHECK(top.find(1)->second.wire_type == kFixed64);
  CHECK(DoubleOf(std::next(top.find(1))->second.payload) == 0.5);
  CHECK(top.find(10)->second.payload == "1");  // current_time_index
  CHECK(top.find(6)->second.payload == "0");   // sdc_track_index
  CHECK(top.count(2) == 1);                    // tracks
  CHECK(top.count(7) == 2);                    // dynamic_map_states, one per step
  const std::multimap<int, Field> track = DecodeTop(top.find(2)->second.payload);
  CHECK(track.find(1)->second.payload == "7");  // id
  CHECK(track.find(2)->second.payload == "2");  // TYPE_PEDESTRIAN
  REQUIRE(track.count(3) == 2);                 // states
  const std::multimap<int, Field> state = DecodeTop(std::next(track.find(3))->second.payload);
  CHECK(DoubleOf(state.find(2)->second.payload) == 12.5);  // center_x, fixed64
  CHECK(state.find(5)->second.wire_type == kFixed32);      // length, float
  CHECK(state.find(11)->second.payload == "1");            // valid
  CHECK(DecodeTop(track.find(3)->second.payload).find(11)->second.payload == "0");
}

// ---- real data: every CommonRoad scenario through one WOMD file and back ---------

bool SameAngle(double a, double b, double tolerance) {
  const double d = std::remainder(a - b, 2.0 * std::numbers::pi);
  return std::abs(d) <= tolerance;
}

double AsFloat(double v) { return static_cast<double>(static_cast<float>(v)); }

// Closest point of a polyline to (x, y) as (segment index + fraction, x, y).
struct Closest {
  double param, x, y;
};
Closest ClosestPoint(const v1::Polyline& line, double x, double y) {
  Closest best{0, line.x(0), line.y(0)};
  double best_d = std::numeric_limits<double>::infinity();
  for (int i = 1; i < line.x_size(); ++i) {
    const double ax = line.x(i - 1), ay = line.y(i - 1);
    const double dx = line.x(i) - ax, dy = line.y(i) - ay;
    const double len2 = dx * dx + dy * dy;
    const double t = len2 > 0 ? std::clamp(((x - ax) * dx + (y - ay) * dy) / len2, 0.0, 1.0) : 0.0;
    const double d = std::hypot(x - ax - t * dx, y - ay - t * dy);
    if (d < best_d) {
      best_d = d;
      best = {i - 1 + t, ax + t * dx, ay + t * dy};
    }
  }
  return best;
}

// A boundary that went out as a road line with the original polyline and a
// BoundarySegment over the whole lane comes back as WOMD's segments define
// it: from the point of the original closest to the centreline's start to the
// one closest to its end, through every original vertex between them.
void CheckBoundary(const v1::Polyline& original, const v1::Polyline& center,
                   const v1::Polyline& back) {
  if (original.x_size() < 2) {
    CHECK(back.x_size() == 0);
    return;
  }
  const int last = center.x_size() - 1;
  const Closest a = ClosestPoint(original, center.x(0), center.y(0));
  const Closest b = ClosestPoint(original, center.x(last), center.y(last));
  REQUIRE(a.param <= b.param);  // CommonRoad bounds run along their lanelet
  P expected{{a.x, a.y}};
  for (int v = 0; v < original.x_size(); ++v) {
    if (v > a.param && v < b.param) expected.emplace_back(original.x(v), original.y(v));
  }
  expected.emplace_back(b.x, b.y);
  expected.erase(std::unique(expected.begin(), expected.end()), expected.end());
  const P got = PointsOf(back);
  REQUIRE(got.size() == expected.size());
  for (size_t i = 0; i < got.size(); ++i) {
    CHECK(got[i].first == Approx(expected[i].first).margin(1e-9));
    CHECK(got[i].second == Approx(expected[i].second).margin(1e-9));
  }
}

std::vector<double> KeyOf(const v1::Polyline& p) {
  std::vector<double> key(p.x().begin(), p.x().end());
  key.insert(key.end(), p.y().begin(), p.y().end());
  return key;
}

std::string MarkingType(const std::string& marking) {
  if (marking.find("dashed") != std::string::npos) return "TYPE_BROKEN_SINGLE_WHITE";
  if (marking.find("solid") != std::string::npos) return "TYPE_SOLID_SINGLE_WHITE";
  return "TYPE_UNKNOWN";
}

void CompareRoundTrip(const v1::Scenario& a, const v1::Scenario& b) {
  CHECK(b.id() == a.id());
  CHECK(b.time().num_steps() == a.time().num_steps());
  CHECK(b.time().dt_s() == a.time().dt_s());
  CHECK(b.time().current_step() == a.time().current_step());
  // The true origin and licence travel in field 1000 and come back.
  CHECK(b.provenance().dataset() == a.provenance().dataset());
  CHECK(b.provenance().license() == a.provenance().license());

  // Tracks: the same, in order, plus the added sdc track. x, y are doubles
  // in WOMD and come back exactly; boxes, headings, velocities are floats.
  REQUIRE(b.tracks_size() == a.tracks_size() + 1);
  for (int i = 0; i < a.tracks_size(); ++i) {
    const v1::Track& ta = a.tracks(i);
    const v1::Track& tb = b.tracks(i);
    INFO("track " << ta.id());
    CHECK(tb.id() == ta.id());
    CHECK(tb.type() == (ta.type() == v1::TRACK_TYPE_STATIC ? v1::TRACK_TYPE_OTHER : ta.type()));
    CHECK(tb.length_m() == AsFloat(ta.length_m()));
    CHECK(tb.width_m() == AsFloat(ta.width_m()));
    for (int k = 0; k < a.time().num_steps(); ++k) {
      REQUIRE(tb.valid(k) == ta.valid(k));
      if (!ta.valid(k)) continue;
      CHECK(tb.x(k) == ta.x(k));
      CHECK(tb.y(k) == ta.y(k));
      CHECK(SameAngle(tb.heading(k), ta.heading(k), 4e-7));
      CHECK(tb.vx(k) == AsFloat(ta.vx(k)));
      CHECK(tb.vy(k) == AsFloat(ta.vy(k)));
    }
  }

  // Ego: CommonRoad's planning-problem start became a logged sdc track.
  REQUIRE(a.ego().has_initial_state());
  const v1::EgoInitialState& init = a.ego().initial_state();
  const v1::Track& sdc = b.tracks(b.tracks_size() - 1);
  CHECK(b.ego().track_id() == sdc.id());
  for (const v1::Track& t : a.tracks()) CHECK(t.id() != sdc.id());
  CHECK(sdc.type() == v1::TRACK_TYPE_VEHICLE);
  CHECK(b.ego().length_m() == AsFloat(kCommonRoadEgoLength));
  CHECK(b.ego().width_m() == AsFloat(kCommonRoadEgoWidth));
  for (int k = 0; k < b.time().num_steps(); ++k) CHECK(sdc.valid(k) == (k == init.step()));
  CHECK(sdc.x(init.step()) == init.x());
  CHECK(sdc.y(init.step()) == init.y());
  CHECK(SameAngle(sdc.heading(init.step()), init.heading(), 4e-7));
  const double direction = init.heading() + init.slip_angle();
  CHECK(sdc.vx(init.step()) == AsFloat(init.speed() * std::cos(direction)));
  CHECK(sdc.vy(init.step()) == AsFloat(init.speed() * std::sin(direction)));
  CHECK(b.goal().regions_size() == 0);  // WOMD has no goal

  // Lanes: same order, ids, geometry and topology; only same-direction
  // neighbours survive (WOMD lists no others).
  REQUIRE(b.map().lanes_size() == a.map().lanes_size());
  std::map<std::vector<double>, std::string> first_marking;
  for (const v1::Lane& l : a.map().lanes()) {
    first_marking.emplace(KeyOf(l.left_boundary()), MarkingType(l.left_marking()));
    first_marking.emplace(KeyOf(l.right_boundary()), MarkingType(l.right_marking()));
  }
  for (int i = 0; i < a.map().lanes_size(); ++i) {
    const v1::Lane& la = a.map().lanes(i);
    const v1::Lane& lb = b.map().lanes(i);
    INFO("lane " << la.id());
    CHECK(lb.id() == la.id());
    CHECK(lb.type() == la.type());
    CHECK(PointsOf(lb.centerline()) == PointsOf(la.centerline()));
    CHECK(lb.speed_limit_mps() == Approx(la.speed_limit_mps()).epsilon(1e-14));
    CHECK(Strings(lb.predecessor_ids()) == Strings(la.predecessor_ids()));
    CHECK(Strings(lb.successor_ids()) == Strings(la.successor_ids()));
    for (int side = 0; side < 2; ++side) {
      const auto& na = side == 0 ? la.left_neighbors() : la.right_neighbors();
      const auto& nb = side == 0 ? lb.left_neighbors() : lb.right_neighbors();
      std::vector<std::string> expected, got;
      for (const v1::LaneNeighbor& n : na) {
        if (n.same_direction()) expected.push_back(n.lane_id());
      }
      for (const v1::LaneNeighbor& n : nb) got.push_back(n.lane_id());
      CHECK(got == expected);
    }
    CheckBoundary(la.left_boundary(), la.centerline(), lb.left_boundary());
    CheckBoundary(la.right_boundary(), la.centerline(), lb.right_boundary());
    // Lanes that share a bound share one road line, typed from the marking
    // of the first lane (in order, left before right) that has it.
    CHECK(lb.left_marking() == first_marking[KeyOf(la.left_boundary())]);
    CHECK(lb.right_marking() == first_marking[KeyOf(la.right_boundary())]);
  }
  CHECK(b.map().stop_lines_size() == 0);  // dropped; the lights keep their stop points
  CHECK(b.map().stop_signs_size() == a.map().stop_signs_size());

  // Traffic lights: one per controlled lane, with the light's states (OFF
  // has no WOMD state: unknown) and stop point. WOMD holds one state per
  // lane: of several lights on one lane, the first is kept.
  std::map<std::string, const v1::TrafficLight*> by_lane;
  for (const v1::TrafficLight& l : b.traffic_lights()) {
    REQUIRE(l.lane_ids_size() == 1);
    CHECK(l.id() == l.lane_ids(0));
    by_lane[l.lane_ids(0)] = &l;
  }
  std::set<std::string> controlled;
  for (const v1::TrafficLight& la : a.traffic_lights()) {
    for (const std::string& lane : la.lane_ids()) {
      INFO("light " << la.id() << " lane " << lane);
      if (!controlled.insert(lane).second) continue;
      REQUIRE(by_lane.count(lane) == 1);
      const v1::TrafficLight& lb = *by_lane[lane];
      REQUIRE(lb.states_size() == la.states_size());
      for (int k = 0; k < la.states_size(); ++k) {
        const v1::SignalState expected =
            la.states(k) == v1::SIGNAL_STATE_OFF ? v1::SIGNAL_STATE_UNKNOWN : la.states(k);
        CHECK(lb.states(k) == expected);
      }
      CHECK(lb.has_stop_point() == la.has_stop_point());
      CHECK(lb.stop_x() == la.stop_x());
      CHECK(lb.stop_y() == la.stop_y());
    }
  }
  CHECK(by_lane.size() == controlled.size());
}

TEST_CASE("WOMD: all 25 CommonRoad scenarios through one TFRecord file and back", "[womd][data]") {
  TARMAC_NEEDS_SHARED_DATA();
  std::vector<std::filesystem::path> files;
  for (const auto& e :
       std::filesystem::recursive_directory_iterator(testing::DataPath("commonroad-ngsim"))) {
    if (e.path().extension() == ".xml") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  REQUIRE(files.size() == 25);
  std::vector<v1::Scenario> originals;
  for (const auto& path : files) {
    Result<std::vector<v1::Scenario>> r = ReadScenarios(path);
    if (!r.ok()) FAIL(r.error().message);
    originals.push_back(r->front());
  }
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / "tarmac_womd_test";
  std::filesystem::create_directories(dir);
  const std::filesystem::path path = dir / "commonroad.tfrecord";
  std::vector<std::string> notes;
  const Result<void> written = WriteWomdTfRecord(originals, path, &notes);
  if (!written.ok()) FAIL(written.error().message);
  // Each scenario's ego became an added sdc track, and says so.
  CHECK(std::count_if(notes.begin(), notes.end(), [](const std::string& n) {
          return n.find("ego has no logged track: added sdc track") != std::string::npos;
        }) == 25);

  Result<std::vector<v1::Scenario>> back = ReadScenarios(path);
  if (!back.ok()) FAIL(back.error().message);
  REQUIRE(back->size() == originals.size());
  for (size_t i = 0; i < originals.size(); ++i) {
    INFO("scenario " << originals[i].id());
    CHECK((*back)[i].provenance().source_record() == static_cast<int>(i));
    CHECK((*back)[i].provenance().source_format() == "womd-tfrecord");
    CompareRoundTrip(originals[i], (*back)[i]);
    // What came back is a valid scenario.
    for (const Problem& p : ValidateScenario((*back)[i])) {
      if (p.severity == Severity::kError) FAIL_CHECK(p.where << ": " << p.what);
    }
  }
  // Exporting is deterministic.
  Result<std::string> once = ExportWomdBytes(originals[0]);
  Result<std::string> twice = ExportWomdBytes(originals[0]);
  REQUIRE(once.ok());
  REQUIRE(twice.ok());
  CHECK(*once == *twice);
}

// ---- corruption -------------------------------------------------------------------

TEST_CASE("WOMD: corrupt files give specific errors with record index and byte offset", "[womd]") {
  const std::string first = Frame(HandScenario(true));
  const std::string second = Frame(HandScenario(false, "hand-2"));
  const std::string file = first + second;
  const size_t at = first.size();  // byte offset of record 1
  const std::string record1 = fmt::format("x.tfrecord: record 1 at byte {}: ", at);

  SECTION("a flipped bit in the length CRC") {
    std::string bad = file;
    bad[at + 9] = static_cast<char>(bad[at + 9] ^ 0x10);
    CHECK_THAT(ImportError(bad), Catch::StartsWith(record1 + "length CRC mismatch (stored 0x"));
  }
  SECTION("a flipped bit in the data CRC") {
    std::string bad = file;
    bad[bad.size() - 2] = static_cast<char>(bad[bad.size() - 2] ^ 0x01);
    CHECK_THAT(ImportError(bad), Catch::StartsWith(record1 + "data CRC mismatch (stored 0x"));
  }
  SECTION("a flipped bit in the data") {
    std::string bad = file;
    bad[at + 40] = static_cast<char>(bad[at + 40] ^ 0x01);
    CHECK_THAT(ImportError(bad), Catch::StartsWith(record1 + "data CRC mismatch"));
  }
  SECTION("a truncated file") {
    CHECK(ImportError(file.substr(0, file.size() - 100)) ==
          fmt::format("{}length {} exceeds the {} bytes left after the header (corrupt length or "
                      "truncated file)",
                      record1, second.size() - 16, second.size() - 112));
    CHECK_THAT(ImportError(file.substr(0, at + 3)),
               Catch::StartsWith(record1 + "truncated header: 3 of 12"));
  }
  SECTION("a record length larger than the file") {
    std::string huge =
        Frame(std::string(1000, '\0')).substr(0, 12);  // valid header of a 1000-byte record
    CHECK(ImportError(file + huge + "abc") ==
          fmt::format(
              "x.tfrecord: record 2 at byte {}: length 1000 exceeds the 3 bytes left after the "
              "header (corrupt length or truncated file)",
              file.size()));
  }
  SECTION("a valid frame around bytes that are no protobuf") {
    // 0x0F: field 1 with wire type 7, which does not exist.
    CHECK(ImportError(file + Frame("\x0f\x01\x02")) ==
          fmt::format("x.tfrecord: record 2 at byte {}: the 3 data bytes are not a valid WOMD "
                      "Scenario protobuf",
                      file.size()));
    // A length-delimited field longer than the message.
    CHECK_THAT(ImportError(Frame("\x2a\x7f"
                                 "abc")),
               Catch::Contains("record 0 at byte 0: the 5 data bytes are not a valid WOMD"));
  }
  SECTION("an sdc_track_index outside the tracks") {
    CHECK(ImportError(first + Frame(HandScenario(true, "bad-sdc", 3))) ==
          fmt::format(
              "x.tfrecord: record 1 at byte {} (scenario 'bad-sdc'): sdc_track_index 3 outside "
              "[0, 3) (the scenario has 3 tracks)",
              at));
    CHECK_THAT(
        ImportError(Frame(HandScenario(true, "neg", -1))),
        Catch::EndsWith("record 0 at byte 0 (scenario 'neg'): sdc_track_index -1 outside [0, 3) "
                        "(the scenario has 3 tracks)"));
  }
  SECTION("timestamps that are not uniform or do not increase") {
    Wire w;
    w.Bytes(f::kScenarioId, "t").PackedDoubles(f::kTimestamps, {0.0, 0.1, 0.2, 0.5});
    CHECK_THAT(
        ImportError(Frame(w.str())),
        Catch::Contains("record 0 at byte 0 (scenario 't'): timestamps_seconds[3]: step 0.3 s from "
                        "[2] deviates from the median step 0.1 s"));
    Wire v;
    v.Bytes(f::kScenarioId, "t").PackedDoubles(f::kTimestamps, {0.0, 0.1, 0.1});
    CHECK_THAT(ImportError(Frame(v.str())),
               Catch::EndsWith("timestamps_seconds[2] = 0.1 s does not increase on [1] = 0.1 s"));
    Wire none;
    none.Bytes(f::kScenarioId, "t");
    CHECK_THAT(ImportError(Frame(none.str())),
               Catch::EndsWith("no timestamps_seconds: the scenario has no time steps"));
  }
  SECTION("a track with the wrong number of states") {
    Wire w;
    w.Bytes(f::kScenarioId, "s").PackedDoubles(f::kTimestamps, {0.0, 0.1});
    w.Message(f::kTracks, Track(5, 1, {{true, 1, 2, 4, 2, 1, 0, 0, 0}}));
    CHECK_THAT(ImportError(Frame(w.str())),
               Catch::EndsWith("tracks[0] (id 5): 1 states, expected 2 (one per timestamp)"));
  }
  SECTION("more dynamic map states than timestamps, a bad current index, a bad prediction index") {
    Wire w;
    w.Bytes(f::kScenarioId, "d").PackedDoubles(f::kTimestamps, {0.0});
    Wire d;
    w.Message(f::kDynamicMapStates, d).Message(f::kDynamicMapStates, d);
    CHECK_THAT(ImportError(Frame(w.str())),
               Catch::EndsWith(
                   "2 dynamic_map_states but 1 timestamps; expected at most one per timestamp"));
    Wire c;
    c.PackedDoubles(f::kTimestamps, {0.0}).Int(f::kCurrentTimeIndex, 1);
    CHECK_THAT(ImportError(Frame(c.str())), Catch::EndsWith("current_time_index 1 outside [0, 1)"));
    Wire p;
    Wire tp;
    p.PackedDoubles(f::kTimestamps, {0.0}).Message(f::kTracksToPredict, tp.Int(f::kTrackIndex, 0));
    CHECK_THAT(
        ImportError(Frame(p.str())),
        Catch::EndsWith(
            "tracks_to_predict[0].track_index 0 outside [0, 0) (the scenario has 0 tracks)"));
  }
  SECTION("an empty file") {
    CHECK(ImportError("") == "x.tfrecord: empty file: no TFRecord records");
  }
}

TEST_CASE("WOMD: every bit flip and every cut of a record is handled without a crash", "[womd]") {
  const std::string data = HandScenario(true);
  int accepted = 0, rejected = 0;
  // Flip each bit of the protobuf and re-frame it with correct CRCs, so that
  // the damage reaches the protobuf parser and the converter.
  for (size_t i = 0; i < data.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string bad = data;
      bad[i] = static_cast<char>(bad[i] ^ (1 << bit));
      Result<std::vector<v1::Scenario>> r =
          ParseScenarios(Frame(bad), "flip.tfrecord", Format::kWomd);
      (r.ok() ? accepted : rejected) += 1;
      if (!r.ok())
        CHECK_THAT(r.error().message, Catch::StartsWith("flip.tfrecord: record 0 at byte 0"));
    }
  }
  CHECK(accepted > 0);
  CHECK(rejected > 0);
  // Every cut of the framed file fails cleanly (none is a valid file).
  const std::string file = Frame(data);
  for (size_t cut = 1; cut < file.size(); ++cut) {
    Result<std::vector<v1::Scenario>> r =
        ParseScenarios(file.substr(0, cut), "cut.tfrecord", Format::kWomd);
    CHECK_FALSE(r.ok());
  }
}

TEST_CASE("WOMD: the format table and detection route .tfrecord files here", "[womd]") {
  CHECK(ImporterFor(Format::kWomd) == &ImportWomd);
  CHECK(DetectFormat("training.tfrecord-00000-of-01000", "") == Format::kWomd);
}

}  // namespace
}  // namespace tarmac
