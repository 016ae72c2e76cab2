// The HTTP side of `tarmac serve`: the JSON API (tools/dashboard_api.h) under
// /api/ and the embedded front end (web/web_assets.h) at / and /assets/.
//
// Safety contract (docs/dashboard.md):
//  - Listens on 127.0.0.1 unless given another host.
//  - Serves only its own embedded assets, looked up by exact name: no path
//    reaches the file system, so there is nothing to traverse to.
//  - GET and HEAD only (405 otherwise). While listening on a loopback
//    address it answers only requests whose Host header names a loopback
//    address or localhost (403 otherwise), so a web page elsewhere cannot
//    read the API through DNS rebinding.
//  - A malformed request gets a 4xx; an exception in a handler becomes a 500
//    answer, never a crash. Answers carry nosniff, no-referrer, frame-deny
//    and a same-origin Content-Security-Policy.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <string>

#include "scenarios/result.h"
#include "tools/dashboard_api.h"

namespace httplib {
class Server;
}

namespace tarmac {

class DashboardServer {
 public:
  explicit DashboardServer(DashboardApi* api, bool log_requests = false);
  ~DashboardServer();
  DashboardServer(const DashboardServer&) = delete;
  DashboardServer& operator=(const DashboardServer&) = delete;

  // Binds host:port (port 0: any free port). Returns the port bound; the
  // error says why not (address in use, no such address).
  Result<int> Bind(const std::string& host, int port);
  // Serves until Stop() (from any thread). Returns false if it failed.
  bool Run();
  void Stop();

  int port() const { return port_; }

 private:
  struct Packed {
    std::string etag;  // of the asset's bytes
    std::string gzip;  // the asset gzipped, if served so
  };
  DashboardApi* api_;
  std::map<std::string, Packed> packed_;  // by asset name
  std::unique_ptr<httplib::Server> server_;
  std::string host_;
  int port_ = 0;
  bool loopback_ = true;
  bool log_requests_ = false;
};

// True for 127.0.0.0/8, ::1 and "localhost".
bool IsLoopbackHost(const std::string& host);

}  // namespace tarmac
