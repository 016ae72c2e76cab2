// Animated GIF output (giflib). Frames are quantised to one 255-colour
// palette shared by the whole animation: the most frequent exact colours
// (the renderer draws with few flat colours; anti-aliased edges take the
// nearest entry). After the first frame only the rectangle that changed is
// stored, its unchanged pixels transparent, which keeps a static map cheap. Deterministic: the same frames give
// the same bytes.
#pragma once

#include <filesystem>
#include <vector>

#include "render/scene_renderer.h"
#include "scenarios/result.h"

namespace tarmac {

// Writes `frames` (all the same size) shown `delay_cs` hundredths of a second
// each, looping forever.
Result<void> WriteGif(const std::vector<RgbImage>& frames, int delay_cs, const std::filesystem::path& path);

// The scenario from its first to its last step as an animation: one frame
// every `stride` steps, played at real time, with the view fixed on the
// whole scenario (unless options.view_half_width_m follows the ego).
Result<void> RenderSceneGif(const v1::Scenario& scenario, const RenderOptions& options, int stride,
                            const std::filesystem::path& path);

}  // namespace tarmac
