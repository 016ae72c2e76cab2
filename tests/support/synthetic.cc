#include "tests/support/synthetic.h"

#include "scenarios/import/import_util.h"

namespace tarmac::testing {

v1::Scenario StraightRoad(double length, int lanes, double limit, int steps, double x_ego,
                          double ego_speed) {
  v1::Scenario s;
  s.set_id("straight");
  s.mutable_time()->set_dt_s(0.1);
  s.mutable_time()->set_num_steps(steps);
  for (int i = 0; i < lanes; ++i) {
    v1::Lane* lane = s.mutable_map()->add_lanes();
    lane->set_id("lane" + std::to_string(i));
    lane->set_type(v1::LANE_TYPE_VEHICLE);
    lane->set_speed_limit_mps(limit);
    const double y = 3.5 * i;
    for (double x = 0.0; x <= length; x += 10.0) {
      AddPoint(lane->mutable_centerline(), x, y);
      AddPoint(lane->mutable_left_boundary(), x, y + 1.75);
      AddPoint(lane->mutable_right_boundary(), x, y - 1.75);
    }
    if (i > 0) {
      v1::LaneNeighbor* n = lane->add_right_neighbors();
      n->set_lane_id("lane" + std::to_string(i - 1));
      n->set_same_direction(true);
    }
    if (i + 1 < lanes) {
      v1::LaneNeighbor* n = lane->add_left_neighbors();
      n->set_lane_id("lane" + std::to_string(i + 1));
      n->set_same_direction(true);
    }
  }
  AddStraightTrack(&s, "ego", v1::TRACK_TYPE_VEHICLE, x_ego, 0.0, ego_speed, 5.0, 2.0);
  s.mutable_ego()->set_track_id("ego");
  s.mutable_ego()->set_length_m(5.0);
  s.mutable_ego()->set_width_m(2.0);
  return s;
}

v1::Track* AddStraightTrack(v1::Scenario* s, const std::string& id, v1::TrackType type, double x0,
                            double y0, double speed, double length, double width) {
  v1::Track* t = s->add_tracks();
  t->set_id(id);
  t->set_type(type);
  t->set_length_m(length);
  t->set_width_m(width);
  const int n = s->time().num_steps();
  InitTrack(n, t);
  for (int k = 0; k < n; ++k) {
    t->set_x(k, x0 + speed * k * s->time().dt_s());
    t->set_y(k, y0);
    t->set_vx(k, speed);
    t->set_valid(k, true);
  }
  return t;
}

}  // namespace tarmac::testing
