// Small hand-built scenarios for unit tests of closed-form behaviour (real
// data is used everywhere else).
#pragma once

#include <string>

#include "tarmac/v1/scenario.pb.h"

namespace tarmac::testing {

// A straight eastbound road along y = 0, `lanes` lanes of 3.5 m (lane i's
// centre at y = 3.5 i), `length` metres long, speed limit `limit` m/s, and an
// ego track "ego" at (x_ego, 0) moving east at `ego_speed`, over `steps` steps of 0.1 s.
v1::Scenario StraightRoad(double length, int lanes, double limit, int steps, double x_ego,
                          double ego_speed);

// Adds a track moving in a straight line: (x0, y0) heading east at `speed`
// from step 0 on; valid throughout.
v1::Track* AddStraightTrack(v1::Scenario* s, const std::string& id, v1::TrackType type, double x0,
                            double y0, double speed, double length = 4.5, double width = 1.8);

}  // namespace tarmac::testing
