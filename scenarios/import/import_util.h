// Shared helpers for importers: the ImportError they throw, and the geometry
// and bookkeeping every importer needs (centrelines from lane bounds, angle
// wrapping, finishing a scenario into its normal form).
#pragma once

#include <fmt/format.h>

#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

#include "tarmac/v1/scenario.pb.h"

namespace tarmac {

// Thrown by importers for malformed input; the message names the position
// (byte offset, element path, record index) and the reason, but not the file:
// ParseScenarios prefixes it.
class ImportError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

template <typename... Args>
[[noreturn]] void ThrowImportError(fmt::format_string<Args...> format, Args&&... args) {
  throw ImportError(fmt::format(format, std::forward<Args>(args)...));
}

// Angle wrapped to (-pi, pi] [rad].
double WrapAngle(double angle);

// A centreline from a lane's left and right bounds: both are resampled by
// normalised arc length at the union of their vertex fractions, and the
// midpoints taken. Bounds of equal point count whose vertices pair up (the
// CommonRoad convention) give exactly the pairwise midpoints.
v1::Polyline CenterlineFromBounds(const v1::Polyline& left, const v1::Polyline& right);

// Appends a point to a polyline.
inline void AddPoint(v1::Polyline* line, double x, double y) {
  line->add_x(x);
  line->add_y(y);
}

// Sizes every per-step array of `track` to `num_steps`, all invalid and zero.
void InitTrack(int num_steps, v1::Track* track);

// Puts an imported scenario into normal form, the same for every importer:
// headings wrapped, values at invalid steps zeroed, the ego's box copied from
// its track, ids checked unique. Throws ImportError on non-finite numbers or
// inconsistent array sizes, naming the track or lane and the step.
void FinishScenario(v1::Scenario* scenario);

// Parses a decimal number (as written in XML/CSV text). Throws ImportError
// naming `what` and the text when it is not a finite number.
double ParseFiniteDouble(std::string_view text, std::string_view what);
long long ParseInteger(std::string_view text, std::string_view what);

}  // namespace tarmac
