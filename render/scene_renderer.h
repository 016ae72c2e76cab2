// Draws a scenario at one time step to a PNG: lanes, road edges and lines,
// crosswalks, stop lines, traffic-light states, agents as oriented boxes
// coloured by type with a short history trail, the ego highlighted, the goal.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "scenarios/result.h"
#include "tarmac/v1/scenario.pb.h"

namespace tarmac {

struct RenderOptions {
  int width_px = 1200;
  int height_px = 900;
  // View: centred on the ego (or the agents' centroid) with this half-width
  // [m]; <= 0 fits every agent and the goal.
  double view_half_width_m = 0.0;
  double trail_s = 2.0;        // history trail length [s]
  bool show_ids = false;       // draw track ids beside the boxes
  bool show_legend = true;
  // With view_half_width_m <= 0: fit every state of the whole scenario, not
  // just this step's (a fixed view for animations).
  bool fit_whole_scenario = false;
};

// 8-bit RGB pixels, row-major, no padding.
struct RgbImage {
  int width = 0, height = 0;
  std::vector<uint8_t> rgb;
};

// An ego pose to draw when the ego is not a logged track (or to override it).
struct EgoPose {
  bool valid = false;
  double x = 0.0, y = 0.0, heading = 0.0;
};

// Renders `scenario` at `step` into a PNG file. `ego` overrides the logged
// ego's pose; without it the logged ego (or the initial state at its step) is
// drawn.
Result<void> RenderScenePng(const v1::Scenario& scenario, int step, const RenderOptions& options,
                            const std::filesystem::path& path, const EgoPose& ego = {});

// The same drawing as RenderScenePng, as pixels (for animations).
Result<RgbImage> RenderSceneRgb(const v1::Scenario& scenario, int step, const RenderOptions& options,
                                const EgoPose& ego = {});

}  // namespace tarmac
