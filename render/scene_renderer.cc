#include "render/scene_renderer.h"

#include <cairo.h>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <vector>

namespace tarmac {
namespace {

struct Rgb {
  double r, g, b;
};

constexpr Rgb kBackground{0.97, 0.97, 0.95};
constexpr Rgb kLaneSurface{0.84, 0.84, 0.84};
constexpr Rgb kLaneCenter{0.70, 0.70, 0.70};
constexpr Rgb kRoadEdge{0.15, 0.15, 0.15};
constexpr Rgb kWhiteLine{1.0, 1.0, 1.0};
constexpr Rgb kYellowLine{0.95, 0.75, 0.10};
constexpr Rgb kCrosswalk{0.96, 0.96, 0.96};
constexpr Rgb kStopLine{0.80, 0.10, 0.10};
constexpr Rgb kEgo{0.85, 0.10, 0.10};
constexpr Rgb kGoal{0.10, 0.60, 0.20};

Rgb TrackColor(v1::TrackType type) {
  switch (type) {
    case v1::TRACK_TYPE_VEHICLE: return {0.20, 0.40, 0.80};
    case v1::TRACK_TYPE_PEDESTRIAN: return {0.95, 0.55, 0.10};
    case v1::TRACK_TYPE_CYCLIST: return {0.20, 0.65, 0.30};
    case v1::TRACK_TYPE_STATIC: return {0.45, 0.45, 0.45};
    default: return {0.55, 0.30, 0.65};
  }
}

Rgb SignalColor(v1::SignalState s) {
  switch (s) {
    case v1::SIGNAL_STATE_STOP:
    case v1::SIGNAL_STATE_ARROW_STOP:
    case v1::SIGNAL_STATE_FLASHING_STOP: return {0.90, 0.10, 0.10};
    case v1::SIGNAL_STATE_CAUTION:
    case v1::SIGNAL_STATE_ARROW_CAUTION:
    case v1::SIGNAL_STATE_FLASHING_CAUTION: return {0.95, 0.80, 0.05};
    case v1::SIGNAL_STATE_GO:
    case v1::SIGNAL_STATE_ARROW_GO: return {0.10, 0.75, 0.20};
    default: return {0.50, 0.50, 0.50};
  }
}

void SetColor(cairo_t* cr, Rgb c, double alpha = 1.0) { cairo_set_source_rgba(cr, c.r, c.g, c.b, alpha); }

void PathOf(cairo_t* cr, const v1::Polyline& p, bool close) {
  const int n = std::min(p.x_size(), p.y_size());
  for (int i = 0; i < n; ++i) {
    if (i == 0) {
      cairo_move_to(cr, p.x(i), p.y(i));
    } else {
      cairo_line_to(cr, p.x(i), p.y(i));
    }
  }
  if (close && n > 2) cairo_close_path(cr);
}

void BoxPath(cairo_t* cr, double x, double y, double heading, double length, double width) {
  const double c = std::cos(heading), s = std::sin(heading);
  const double hl = 0.5 * length, hw = 0.5 * width;
  const double corners[4][2] = {{hl, hw}, {-hl, hw}, {-hl, -hw}, {hl, -hw}};
  for (int i = 0; i < 4; ++i) {
    const double px = x + c * corners[i][0] - s * corners[i][1];
    const double py = y + s * corners[i][0] + c * corners[i][1];
    if (i == 0) {
      cairo_move_to(cr, px, py);
    } else {
      cairo_line_to(cr, px, py);
    }
  }
  cairo_close_path(cr);
}

struct View {
  double cx = 0.0, cy = 0.0;
  double scale = 1.0;  // pixels per metre
};

struct Bounds {
  double x0 = std::numeric_limits<double>::infinity(), y0 = x0;
  double x1 = -std::numeric_limits<double>::infinity(), y1 = x1;
  void Add(double x, double y) {
    x0 = std::min(x0, x);
    y0 = std::min(y0, y);
    x1 = std::max(x1, x);
    y1 = std::max(y1, y);
  }
  bool empty() const { return x0 > x1; }
};

class Renderer {
 public:
  Renderer(const v1::Scenario& s, int step, const RenderOptions& o, const EgoPose& ego)
      : s_(s), step_(step), o_(o), ego_(ego) {
    ResolveEgo();
  }

  // Paints the scene onto `surface` (ARGB32, the options' size).
  void Paint(cairo_surface_t* surface) {
    std::unique_ptr<cairo_t, decltype(&cairo_destroy)> cr(cairo_create(surface), &cairo_destroy);
    cr_ = cr.get();
    labels_.clear();
    SetColor(cr_, kBackground);
    cairo_paint(cr_);
    ComputeView();

    cairo_save(cr_);
    cairo_translate(cr_, 0.5 * o_.width_px, 0.5 * o_.height_px);
    cairo_scale(cr_, view_.scale, -view_.scale);
    cairo_translate(cr_, -view_.cx, -view_.cy);
    cairo_set_line_join(cr_, CAIRO_LINE_JOIN_ROUND);
    cairo_set_line_cap(cr_, CAIRO_LINE_CAP_ROUND);
    DrawMap();
    DrawGoal();
    DrawTracks();
    DrawEgo();
    cairo_restore(cr_);

    DrawOverlay();
    cairo_surface_flush(surface);
    cr_ = nullptr;
  }

 private:
  double Px(double pixels) const { return pixels / view_.scale; }  // pixels -> metres

  void ResolveEgo() {
    if (ego_.valid) return;
    const std::string& id = s_.ego().track_id();
    for (const v1::Track& t : s_.tracks()) {
      if (t.id() == id && step_ < t.valid_size() && t.valid(step_)) {
        ego_ = {true, t.x(step_), t.y(step_), t.heading(step_)};
        ego_track_ = &t;
      }
    }
    if (id.empty() && s_.ego().has_initial_state()) {
      const v1::EgoInitialState& init = s_.ego().initial_state();
      ego_ = {true, init.x(), init.y(), init.heading()};
      ego_is_start_only_ = init.step() != step_;
    }
  }

  void ComputeView() {
    Bounds b;
    if (ego_.valid) b.Add(ego_.x, ego_.y);
    if (o_.view_half_width_m > 0.0 && ego_.valid) {
      view_.cx = ego_.x;
      view_.cy = ego_.y;
      view_.scale = 0.5 * o_.width_px / o_.view_half_width_m;
      return;
    }
    for (const v1::Track& t : s_.tracks()) {
      if (o_.fit_whole_scenario) {
        for (int k = 0; k < t.valid_size(); ++k) {
          if (t.valid(k)) b.Add(t.x(k), t.y(k));
        }
      } else if (step_ < t.valid_size() && t.valid(step_)) {
        b.Add(t.x(step_), t.y(step_));
      }
    }
    for (const v1::GoalRegion& g : s_.goal().regions()) {
      for (const v1::GoalShape& shape : g.shapes()) {
        if (shape.has_rectangle()) b.Add(shape.rectangle().center_x(), shape.rectangle().center_y());
        if (shape.has_circle()) b.Add(shape.circle().center_x(), shape.circle().center_y());
      }
    }
    if (b.empty()) {  // nothing at this step: fit the map
      for (const v1::Lane& l : s_.map().lanes()) {
        for (int i = 0; i < l.centerline().x_size(); ++i) b.Add(l.centerline().x(i), l.centerline().y(i));
      }
    }
    if (b.empty()) b.Add(0, 0);
    constexpr double kMargin = 15.0;
    const double half_w = std::max(30.0, 0.5 * (b.x1 - b.x0) + kMargin);
    const double half_h = std::max(30.0, 0.5 * (b.y1 - b.y0) + kMargin);
    view_.cx = 0.5 * (b.x0 + b.x1);
    view_.cy = 0.5 * (b.y0 + b.y1);
    view_.scale = std::min(0.5 * o_.width_px / half_w, 0.5 * o_.height_px / half_h);
  }

  void DrawMap() {
    const v1::Map& m = s_.map();
    for (const v1::AreaFeature& a : m.areas()) {
      if (a.type() != v1::AREA_TYPE_DRIVABLE) continue;
      PathOf(cr_, a.polygon(), true);
      SetColor(cr_, kLaneSurface);
      cairo_fill(cr_);
    }
    for (const v1::Lane& l : m.lanes()) {
      if (l.left_boundary().x_size() >= 2 && l.right_boundary().x_size() >= 2) {
        PathOf(cr_, l.left_boundary(), false);
        const v1::Polyline& r = l.right_boundary();
        for (int i = r.x_size() - 1; i >= 0; --i) cairo_line_to(cr_, r.x(i), r.y(i));
        cairo_close_path(cr_);
        SetColor(cr_, kLaneSurface);
        cairo_fill_preserve(cr_);
        cairo_set_line_width(cr_, Px(0.8));
        cairo_stroke(cr_);  // closes hairline gaps between adjacent lanes
      } else {
        PathOf(cr_, l.centerline(), false);
        SetColor(cr_, kLaneSurface);
        cairo_set_line_width(cr_, 3.5);
        cairo_stroke(cr_);
      }
    }
    for (const v1::AreaFeature& a : m.areas()) {
      if (a.type() == v1::AREA_TYPE_DRIVABLE) continue;
      PathOf(cr_, a.polygon(), true);
      SetColor(cr_, a.type() == v1::AREA_TYPE_SPEED_BUMP ? Rgb{0.95, 0.65, 0.30} : Rgb{0.88, 0.86, 0.80}, 0.7);
      cairo_fill(cr_);
    }
    for (const v1::Crosswalk& c : m.crosswalks()) {
      PathOf(cr_, c.polygon(), true);
      SetColor(cr_, kCrosswalk);
      cairo_fill_preserve(cr_);
      SetColor(cr_, {0.55, 0.55, 0.55});
      cairo_set_line_width(cr_, Px(1.0));
      cairo_stroke(cr_);
    }
    // Lane boundary markings from the lanes themselves.
    const double dash[] = {3.0, 3.0};
    for (const v1::Lane& l : m.lanes()) {
      for (int side = 0; side < 2; ++side) {
        const v1::Polyline& b = side == 0 ? l.left_boundary() : l.right_boundary();
        const std::string& marking = side == 0 ? l.left_marking() : l.right_marking();
        if (b.x_size() < 2) continue;
        PathOf(cr_, b, false);
        SetColor(cr_, kWhiteLine);
        cairo_set_line_width(cr_, marking.find("broad") != std::string::npos ? 0.3 : 0.15);
        cairo_set_dash(cr_, dash, marking.find("dashed") != std::string::npos ? 2 : 0, 0.0);
        cairo_stroke(cr_);
      }
    }
    cairo_set_dash(cr_, nullptr, 0, 0.0);
    for (const v1::RoadLine& rl : m.road_lines()) {
      const v1::RoadLineType t = rl.type();
      const bool yellow = t == v1::ROAD_LINE_TYPE_BROKEN_SINGLE_YELLOW ||
                          t == v1::ROAD_LINE_TYPE_BROKEN_DOUBLE_YELLOW ||
                          t == v1::ROAD_LINE_TYPE_SOLID_SINGLE_YELLOW ||
                          t == v1::ROAD_LINE_TYPE_SOLID_DOUBLE_YELLOW ||
                          t == v1::ROAD_LINE_TYPE_PASSING_DOUBLE_YELLOW;
      const bool broken = t == v1::ROAD_LINE_TYPE_BROKEN_SINGLE_WHITE ||
                          t == v1::ROAD_LINE_TYPE_BROKEN_SINGLE_YELLOW ||
                          t == v1::ROAD_LINE_TYPE_BROKEN_DOUBLE_YELLOW;
      if (t == v1::ROAD_LINE_TYPE_VIRTUAL) continue;
      PathOf(cr_, rl.polyline(), false);
      SetColor(cr_, yellow ? kYellowLine : Rgb{0.55, 0.55, 0.55});
      cairo_set_line_width(cr_, 0.2);
      cairo_set_dash(cr_, dash, broken ? 2 : 0, 0.0);
      cairo_stroke(cr_);
    }
    cairo_set_dash(cr_, nullptr, 0, 0.0);
    for (const v1::Lane& l : m.lanes()) {
      PathOf(cr_, l.centerline(), false);
      SetColor(cr_, kLaneCenter);
      cairo_set_line_width(cr_, Px(1.0));
      cairo_stroke(cr_);
    }
    for (const v1::RoadEdge& e : m.road_edges()) {
      PathOf(cr_, e.polyline(), false);
      SetColor(cr_, kRoadEdge);
      cairo_set_line_width(cr_, std::max(0.25, Px(1.5)));
      cairo_stroke(cr_);
    }
    for (const v1::StopLine& sl : m.stop_lines()) {
      PathOf(cr_, sl.polyline(), false);
      SetColor(cr_, kStopLine);
      cairo_set_line_width(cr_, 0.5);
      cairo_stroke(cr_);
    }
    for (const v1::StopSign& ss : m.stop_signs()) {
      cairo_arc(cr_, ss.x(), ss.y(), 1.0, 0, 2 * M_PI);
      SetColor(cr_, kStopLine);
      cairo_fill(cr_);
    }
    for (const v1::TrafficLight& tl : s_.traffic_lights()) {
      if (!tl.has_stop_point()) continue;
      const v1::SignalState state =
          step_ < tl.states_size() ? tl.states(step_) : v1::SIGNAL_STATE_UNKNOWN;
      cairo_arc(cr_, tl.stop_x(), tl.stop_y(), 1.2, 0, 2 * M_PI);
      SetColor(cr_, SignalColor(state));
      cairo_fill_preserve(cr_);
      SetColor(cr_, {0.1, 0.1, 0.1});
      cairo_set_line_width(cr_, Px(1.0));
      cairo_stroke(cr_);
    }
  }

  void DrawGoal() {
    const double dash[] = {1.0, 0.7};
    for (const v1::GoalRegion& g : s_.goal().regions()) {
      for (const v1::GoalShape& shape : g.shapes()) {
        if (shape.has_rectangle()) {
          const v1::Rectangle& r = shape.rectangle();
          BoxPath(cr_, r.center_x(), r.center_y(), r.orientation(), r.length(), r.width());
        } else if (shape.has_circle()) {
          cairo_new_sub_path(cr_);
          cairo_arc(cr_, shape.circle().center_x(), shape.circle().center_y(),
                    std::max(shape.circle().radius(), 0.5), 0, 2 * M_PI);
        } else if (shape.has_polygon()) {
          PathOf(cr_, shape.polygon(), true);
        }
        SetColor(cr_, kGoal, 0.18);
        cairo_fill_preserve(cr_);
        SetColor(cr_, kGoal);
        cairo_set_line_width(cr_, Px(2.0));
        cairo_set_dash(cr_, dash, 2, 0.0);
        cairo_stroke(cr_);
        cairo_set_dash(cr_, nullptr, 0, 0.0);
      }
      for (const std::string& id : g.lane_ids()) {
        for (const v1::Lane& l : s_.map().lanes()) {
          if (l.id() != id) continue;
          PathOf(cr_, l.centerline(), false);
          SetColor(cr_, kGoal, 0.35);
          cairo_set_line_width(cr_, 2.5);
          cairo_stroke(cr_);
        }
      }
    }
  }

  void DrawTrail(const v1::Track& t, Rgb color) {
    const int trail = static_cast<int>(std::lround(o_.trail_s / s_.time().dt_s()));
    bool started = false;
    for (int k = std::max(0, step_ - trail); k <= step_ && k < t.valid_size(); ++k) {
      if (!t.valid(k)) {
        started = false;
        continue;
      }
      if (started) {
        cairo_line_to(cr_, t.x(k), t.y(k));
      } else {
        cairo_move_to(cr_, t.x(k), t.y(k));
        started = true;
      }
    }
    SetColor(cr_, color, 0.45);
    cairo_set_line_width(cr_, std::max(0.3, Px(2.0)));
    cairo_stroke(cr_);
  }

  void DrawBox(double x, double y, double heading, double length, double width, Rgb color,
               double outline_px) {
    BoxPath(cr_, x, y, heading, std::max(length, Px(4)), std::max(width, Px(4)));
    SetColor(cr_, color, 0.9);
    cairo_fill_preserve(cr_);
    SetColor(cr_, {0.05, 0.05, 0.05});
    cairo_set_line_width(cr_, Px(outline_px));
    cairo_stroke(cr_);
    // Heading mark: a line from the centre to the front edge.
    cairo_move_to(cr_, x, y);
    cairo_line_to(cr_, x + 0.5 * length * std::cos(heading), y + 0.5 * length * std::sin(heading));
    SetColor(cr_, {1, 1, 1}, 0.9);
    cairo_set_line_width(cr_, Px(1.5));
    cairo_stroke(cr_);
  }

  void DrawTracks() {
    for (const v1::Track& t : s_.tracks()) {
      if (&t == ego_track_ || step_ >= t.valid_size() || !t.valid(step_)) continue;
      const Rgb color = TrackColor(t.type());
      DrawTrail(t, color);
      DrawBox(t.x(step_), t.y(step_), t.heading(step_), t.length_m(), t.width_m(), color, 1.0);
    }
    if (!o_.show_ids) return;
    for (const v1::Track& t : s_.tracks()) {
      if (step_ >= t.valid_size() || !t.valid(step_)) continue;
      labels_.push_back({t.x(step_), t.y(step_), t.id()});
    }
  }

  void DrawEgo() {
    if (!ego_.valid) return;
    if (ego_track_ != nullptr) DrawTrail(*ego_track_, kEgo);
    if (ego_is_start_only_) {
      // No logged ego at this step: show where it starts, faded and dashed.
      const double dash[] = {Px(5), Px(4)};
      BoxPath(cr_, ego_.x, ego_.y, ego_.heading, s_.ego().length_m(), s_.ego().width_m());
      SetColor(cr_, kEgo, 0.35);
      cairo_fill_preserve(cr_);
      SetColor(cr_, kEgo);
      cairo_set_line_width(cr_, Px(2.0));
      cairo_set_dash(cr_, dash, 2, 0.0);
      cairo_stroke(cr_);
      cairo_set_dash(cr_, nullptr, 0, 0.0);
      labels_.push_back({ego_.x, ego_.y, "ego start"});
      return;
    }
    DrawBox(ego_.x, ego_.y, ego_.heading, s_.ego().length_m(), s_.ego().width_m(), kEgo, 2.5);
  }

  void DeviceText(double x, double y, const std::string& text, double size, Rgb color) {
    cairo_select_font_face(cr_, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr_, size);
    cairo_move_to(cr_, x, y);
    SetColor(cr_, color);
    cairo_show_text(cr_, text.c_str());
  }

  void DrawOverlay() {
    for (const Label& l : labels_) {
      const double px = 0.5 * o_.width_px + (l.x - view_.cx) * view_.scale;
      const double py = 0.5 * o_.height_px - (l.y - view_.cy) * view_.scale;
      DeviceText(px + 6, py - 6, l.text, 10, {0.1, 0.1, 0.1});
    }
    // Title.
    const double t = step_ * s_.time().dt_s();
    const double total = (s_.time().num_steps() - 1) * s_.time().dt_s();
    cairo_rectangle(cr_, 0, 0, o_.width_px, 30);
    SetColor(cr_, {1, 1, 1}, 0.85);
    cairo_fill(cr_);
    DeviceText(10, 20, fmt::format("{}   t = {:.1f} s / {:.1f} s (step {})   {} tracks   {}", s_.id(),
                                   t, total, step_, s_.tracks_size(), s_.provenance().source_format()),
               14, {0.1, 0.1, 0.1});
    // Scale bar: the largest of 5/10/20/50/100 m under 200 px.
    double bar = 5.0;
    for (double c : {10.0, 20.0, 50.0, 100.0}) {
      if (c * view_.scale <= 200.0) bar = c;
    }
    const double x0 = 15, y0 = o_.height_px - 20.0;
    cairo_move_to(cr_, x0, y0);
    cairo_line_to(cr_, x0 + bar * view_.scale, y0);
    SetColor(cr_, {0.1, 0.1, 0.1});
    cairo_set_line_width(cr_, 3);
    cairo_stroke(cr_);
    DeviceText(x0, y0 - 8, fmt::format("{:.0f} m", bar), 12, {0.1, 0.1, 0.1});
    if (!o_.show_legend) return;
    struct Key {
      const char* name;
      Rgb color;
    };
    const Key keys[] = {{"ego", kEgo},
                        {"vehicle", TrackColor(v1::TRACK_TYPE_VEHICLE)},
                        {"pedestrian", TrackColor(v1::TRACK_TYPE_PEDESTRIAN)},
                        {"cyclist", TrackColor(v1::TRACK_TYPE_CYCLIST)},
                        {"static", TrackColor(v1::TRACK_TYPE_STATIC)},
                        {"other", TrackColor(v1::TRACK_TYPE_OTHER)},
                        {"goal", kGoal}};
    double y = 50;
    const double lx = o_.width_px - 120.0;
    cairo_rectangle(cr_, lx - 10, y - 16, 120, 7 * 20 + 8);
    SetColor(cr_, {1, 1, 1}, 0.85);
    cairo_fill(cr_);
    for (const Key& k : keys) {
      cairo_rectangle(cr_, lx, y - 10, 14, 10);
      SetColor(cr_, k.color);
      cairo_fill(cr_);
      DeviceText(lx + 22, y, k.name, 12, {0.1, 0.1, 0.1});
      y += 20;
    }
  }

  struct Label {
    double x, y;
    std::string text;
  };

  const v1::Scenario& s_;
  int step_;
  const RenderOptions& o_;
  EgoPose ego_;
  const v1::Track* ego_track_ = nullptr;
  bool ego_is_start_only_ = false;
  cairo_t* cr_ = nullptr;
  View view_;
  std::vector<Label> labels_;
};

using SurfacePtr = std::unique_ptr<cairo_surface_t, decltype(&cairo_surface_destroy)>;

Result<void> CheckArgs(const v1::Scenario& scenario, int step, const RenderOptions& options) {
  if (options.width_px < 16 || options.height_px < 16 || options.width_px > 16384 ||
      options.height_px > 16384) {
    return Error{fmt::format("image size {}x{} px outside [16, 16384]", options.width_px, options.height_px)};
  }
  if (step < 0 || step >= scenario.time().num_steps()) {
    return Error{fmt::format("step {} outside the scenario's [0, {})", step, scenario.time().num_steps())};
  }
  return {};
}

Result<SurfacePtr> PaintSurface(const v1::Scenario& scenario, int step, const RenderOptions& options,
                                const EgoPose& ego) {
  if (Result<void> ok = CheckArgs(scenario, step, options); !ok.ok()) return ok.error();
  SurfacePtr surface(cairo_image_surface_create(CAIRO_FORMAT_ARGB32, options.width_px, options.height_px),
                     &cairo_surface_destroy);
  if (cairo_surface_status(surface.get()) != CAIRO_STATUS_SUCCESS) {
    return Error{fmt::format("cannot create a {}x{} image", options.width_px, options.height_px)};
  }
  Renderer renderer(scenario, step, options, ego);
  renderer.Paint(surface.get());
  return surface;
}

}  // namespace

Result<void> RenderScenePng(const v1::Scenario& scenario, int step, const RenderOptions& options,
                            const std::filesystem::path& path, const EgoPose& ego) {
  Result<SurfacePtr> surface = PaintSurface(scenario, step, options, ego);
  if (!surface.ok()) return surface.error();
  const cairo_status_t status = cairo_surface_write_to_png(surface->get(), path.string().c_str());
  if (status != CAIRO_STATUS_SUCCESS) {
    return Error{fmt::format("{}: cannot write PNG: {}", path.string(), cairo_status_to_string(status))};
  }
  return {};
}

Result<RgbImage> RenderSceneRgb(const v1::Scenario& scenario, int step, const RenderOptions& options,
                                const EgoPose& ego) {
  Result<SurfacePtr> surface = PaintSurface(scenario, step, options, ego);
  if (!surface.ok()) return surface.error();
  RgbImage image;
  image.width = options.width_px;
  image.height = options.height_px;
  image.rgb.resize(static_cast<size_t>(image.width) * static_cast<size_t>(image.height) * 3);
  const unsigned char* data = cairo_image_surface_get_data(surface->get());
  const int stride = cairo_image_surface_get_stride(surface->get());
  size_t o = 0;
  for (int y = 0; y < image.height; ++y) {
    const auto* row = reinterpret_cast<const uint32_t*>(data + static_cast<ptrdiff_t>(y) * stride);
    for (int x = 0; x < image.width; ++x) {
      // The background is opaque, so premultiplied ARGB is plain RGB.
      const uint32_t p = row[x];
      image.rgb[o++] = static_cast<uint8_t>(p >> 16);
      image.rgb[o++] = static_cast<uint8_t>(p >> 8);
      image.rgb[o++] = static_cast<uint8_t>(p);
    }
  }
  return image;
}

}  // namespace tarmac
