#include "web/web_assets.h"

#include <algorithm>

namespace tarmac {

const WebAsset* FindWebAsset(std::string_view name) {
  const std::span<const WebAsset> all = WebAssets();
  const auto it = std::find_if(all.begin(), all.end(), [&](const WebAsset& a) { return a.name == name; });
  return it == all.end() ? nullptr : &*it;
}

}  // namespace tarmac
