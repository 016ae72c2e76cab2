// `tarmac serve --db FILE [--host 127.0.0.1] [--port 8080]`: the dashboard, a
// web application over a results database, which it opens read-only
// (docs/dashboard.md: the pages, the API, the safety rules).
#pragma once

#include <CLI/CLI.hpp>

namespace tarmac {

void AddServeCommand(CLI::App* app);

}  // namespace tarmac
