#include "tools/serve_command.h"

#include <fmt/format.h>
#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <memory>
#include <thread>

#include "tools/cli_util.h"
#include "tools/dashboard_api.h"
#include "tools/dashboard_server.h"
#include "web/web_assets.h"

namespace tarmac {
namespace {

struct ServeOptions {
  std::string db = "tarmac.db";
  std::string host = "127.0.0.1";
  int port = 8080;
  bool log = false;
};

int RunServe(const ServeOptions& o) {
  Result<std::unique_ptr<DashboardApi>> api = DashboardApi::Open(o.db);
  if (!api.ok()) {
    fmt::print(stderr, "tarmac serve: {}\n", api.error().message);
    return kExitInputError;
  }
  // SIGINT and SIGTERM stop the server cleanly: blocked here (and so in every
  // server thread), taken by one waiting thread.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  DashboardServer server(api->get(), o.log);
  Result<int> port = server.Bind(o.host, o.port);
  if (!port.ok()) {
    fmt::print(stderr, "tarmac serve: {}\n", port.error().message);
    return kExitInputError;
  }
  const std::string shown_host = o.host.find(':') != std::string::npos ? "[" + o.host + "]" : o.host;
  fmt::print("tarmac serve: http://{}:{}/ ({}, read-only; Ctrl-C stops)\n", shown_host, *port, o.db);
  if (!WebAssetsBuilt()) {
    fmt::print(stderr, "tarmac serve: this build has no front end (npm ci was not run before building); "
                       "the API works, the pages say how to build them\n");
  }
  std::fflush(stdout);
  std::thread waiter([&] {
    int sig = 0;
    sigwait(&stop_signals, &sig);
    server.Stop();
  });
  const bool ok = server.Run();
  // Wake the waiter if the server ended by itself.
  pthread_kill(waiter.native_handle(), SIGTERM);
  waiter.join();
  if (!ok) {
    fmt::print(stderr, "tarmac serve: the server stopped with an error\n");
    return kExitInputError;
  }
  return kExitOk;
}

}  // namespace

void AddServeCommand(CLI::App* app) {
  auto o = std::make_shared<ServeOptions>();
  CLI::App* cmd = app->add_subcommand(
      "serve", "Dashboard: a web application over a results database (runs, trends, compare, replay, live)");
  cmd->add_option("--db", o->db, "Results database (opened read-only)")->capture_default_str();
  cmd->add_option("--host", o->host, "Address to listen on (other than loopback: reachable from the network)")
      ->capture_default_str();
  cmd->add_option("--port", o->port, "Port (0: any free port, printed at start)")->capture_default_str();
  cmd->add_flag("--log", o->log, "Print every request to stderr");
  cmd->callback([o] { SetCommand([o] { return RunServe(*o); }); });
}

}  // namespace tarmac
