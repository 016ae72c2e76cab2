// The dashboard's front end, embedded into the tarmac binary at build time
// (web/CMakeLists.txt bundles web/src with esbuild and compiles the files
// into web_assets_data.cc), so `tarmac serve` needs no files at run time.
//
// Contract: assets are looked up by exact name ("index.html", "app.js",
// "app.css"); there is no file system behind them, so no request path can
// reach anything else.
#pragma once

#include <span>
#include <string_view>

namespace tarmac {

struct WebAsset {
  std::string_view name;          // "index.html", "app.js", ...
  std::string_view content_type;  // "text/html; charset=utf-8", ...
  std::string_view data;
};

// Every embedded asset.
std::span<const WebAsset> WebAssets();

// The asset of that exact name, or nullptr.
const WebAsset* FindWebAsset(std::string_view name);

// False when the build had no esbuild (npm ci not run): the assets are then a
// page saying how to build the front end.
bool WebAssetsBuilt();

}  // namespace tarmac
