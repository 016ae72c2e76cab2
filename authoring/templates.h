// The commented starting points `tarmac scenario new --template NAME` writes:
// one per scenario family, from authoring/templates/<name>.spec. Each builds
// as it is (a test checks).
#pragma once

#include <string>
#include <vector>

namespace tarmac {

struct SpecTemplate {
  const char* name;  // the family name, e.g. "cut-in"
  const char* text;  // the .spec text
};

// Sorted by name.
const std::vector<SpecTemplate>& SpecTemplates();

}  // namespace tarmac
