// The JSON API behind `tarmac serve` (docs/dashboard.md lists every endpoint,
// its parameters and errors). Separate from HTTP so that tests can call it
// directly; tools/dashboard_server.h puts it on a socket.
//
// Contract:
//  - The database is opened read-only (SQLITE_OPEN_READONLY) and never
//    written; other processes may write it meanwhile (WAL): every answer
//    reflects the committed state at the time it is asked.
//  - No SQL is built from request text: every statement is a constant string
//    and request values reach SQLite only as bound parameters.
//  - A malformed request (a bad or missing parameter, an unknown path) gets a
//    4xx answer with {"error": "..."} naming the parameter and value; an
//    unknown run or scenario gets 404. Nothing a request holds can crash it.
//  - Fast on a large store (100 runs x 1,000 scenarios: every answer well
//    under 100 ms): per-run summaries are computed once and kept, and
//    recomputed only for runs that gained rows (rowids are only appended);
//    comparisons of unchanged runs and scenario maps are cached.
//  - Thread-safe: Get may be called from many threads at once (one SQLite
//    connection per concurrent request, from a pool).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "scenarios/result.h"

namespace tarmac {

struct ApiReply {
  int status = 200;       // HTTP status
  std::string body;       // JSON text
};

class DashboardApi {
 public:
  // Opens `db` read-only and computes every run's summary. Fails (naming the
  // file) if it is missing or not a results database this build reads.
  static Result<std::unique_ptr<DashboardApi>> Open(const std::filesystem::path& db);
  ~DashboardApi();
  DashboardApi(const DashboardApi&) = delete;
  DashboardApi& operator=(const DashboardApi&) = delete;

  // Answers GET `path` (e.g. "/api/runs/3/results") with the decoded query
  // parameters. Never throws.
  ApiReply Get(const std::string& path, const std::multimap<std::string, std::string>& params);

  const std::filesystem::path& db_path() const;

  struct Impl;

 private:
  explicit DashboardApi(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The JSON of an error answer: {"error": message}.
std::string ApiErrorBody(const std::string& message);

}  // namespace tarmac
