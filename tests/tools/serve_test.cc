// `tarmac serve`: the dashboard's JSON API on a synthetic store whose every
// value is known (tests/support/synthetic_store.h), the same verdict as
// `tarmac compare`, a run showing up live while it writes, and the safety
// rules over real HTTP: 4xx for malformed requests, no path traversal, GET
// only, loopback Host only, the database never written.
#include <arpa/inet.h>
#include <catch2/catch.hpp>
#include <netinet/in.h>
#include <nlohmann/json.hpp>
#include <sys/socket.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>
#include <tuple>

#include "metrics/events.h"
#include "store/results_store.h"
#include "store/schema.h"
#include "tests/support/shell.h"
#include "tests/support/synthetic_store.h"
#include "tools/dashboard_api.h"
#include "tools/dashboard_server.h"
#include "tools/sha256.h"
#include "web/web_assets.h"

namespace tarmac {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;
using testing::SyntheticAtFault;
using testing::SyntheticFailed;
using testing::SyntheticScore;

constexpr int kRuns = 12;
constexpr int kScenarios = 300;
constexpr int kTraced = 4;

// One synthetic store per test binary run (made once, read-only after).
const fs::path& StorePath() {
  static const fs::path path = [] {
    const fs::path dir = fs::temp_directory_path() / ("tarmac_serve_test_" + std::to_string(getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    testing::SyntheticStoreOptions o;
    o.runs = kRuns;
    o.scenarios = kScenarios;
    o.traced = kTraced;
    o.files_dir = dir / "scenarios";
    const Result<void> r = testing::MakeSyntheticStore(dir / "store.db", o);
    if (!r.ok()) FAIL(r.error().message);
    return dir / "store.db";
  }();
  return path;
}

json Get(DashboardApi& api, const std::string& path, std::multimap<std::string, std::string> params = {},
         int expect = 200) {
  const ApiReply r = api.Get(path, params);
  INFO(path << " -> " << r.status << " " << r.body.substr(0, 300));
  CHECK(r.status == expect);
  return json::parse(r.body);
}

TEST_CASE("Dashboard API: runs, one run and its results, on known values", "[serve]") {
  Result<std::unique_ptr<DashboardApi>> api = DashboardApi::Open(StorePath());
  REQUIRE(api.ok());
  const json runs = Get(**api, "/api/runs");
  REQUIRE(runs["runs"].size() == kRuns);
  CHECK(runs["planners"] == json::array({"idm", "pdm"}));
  for (const json& r : runs["runs"]) {
    const int id = r["id"].get<int>();
    int ok = 0, failed = 0, at_fault = 0;
    double sum = 0.0;
    for (int s = 0; s < kScenarios; ++s) {
      if (SyntheticFailed(id, s)) {
        ++failed;
        continue;
      }
      ++ok;
      sum += SyntheticScore(id, s);
      at_fault += SyntheticAtFault(id, s) ? 1 : 0;
    }
    INFO("run " << id);
    CHECK(r["scenarios"] == kScenarios);
    CHECK(r["ok"] == ok);
    CHECK(r["failed"] == failed);
    CHECK(r["at_fault"] == at_fault);
    CHECK(r["mean_score"].get<double>() == Approx(sum / ok).epsilon(1e-12));
    CHECK(r["state"] == "finished");
    CHECK(r["planner"] == (id % 2 == 1 ? "pdm" : "idm"));
  }
  // Filters: planner, search text.
  CHECK(Get(**api, "/api/runs", {{"planner", "pdm"}})["runs"].size() == (kRuns + 1) / 2);
  CHECK(Get(**api, "/api/runs", {{"q", "NIGHTLY-007"}})["runs"].size() == 1);

  const json run = Get(**api, "/api/runs/3");
  CHECK(run["name"] == "nightly-003");
  CHECK(run["config"]["synthetic"] == true);
  // Metric means over ok scenarios with a value.
  const std::vector<std::string>& names = MetricColumnNames();
  for (size_t k = 0; k < names.size(); ++k) {
    if (names[k].find("collisions") != std::string::npos) continue;
    double sum = 0.0;
    int n = 0;
    for (int s = 0; s < kScenarios; ++s) {
      if (SyntheticFailed(3, s) || testing::SyntheticMetricIsNull(s, names[k])) continue;
      sum += testing::SyntheticMetric(3, s, static_cast<int>(k));
      ++n;
    }
    INFO(names[k]);
    CHECK(run["metric_means"][names[k]].get<double>() == Approx(sum / n).epsilon(1e-12));
  }

  const json results = Get(**api, "/api/runs/3/results");
  REQUIRE(results["rows"].size() == kScenarios);
  const json& row = results["rows"][10];
  CHECK(row["scenario_id"] == "syn-00010");
  CHECK(row["score"].get<double>() == Approx(SyntheticScore(3, 10)));
  const json failed = Get(**api, "/api/runs/3/results", {{"status", "failed"}});
  for (const json& r : failed["rows"]) CHECK(SyntheticFailed(3, std::stoi(r["scenario_id"].get<std::string>().substr(4))));
  CHECK(Get(**api, "/api/runs/3/results", {{"q", "syn-0001"}})["rows"].size() == 10);

  const json sc = Get(**api, "/api/runs/3/scenario", {{"id", "syn-00047"}});  // 3 + 47 = 50: at fault
  REQUIRE(sc["events"].size() == 1);
  CHECK(sc["events"][0]["kind"] == "collision");
  CHECK(sc["events"][0]["step"] == 42);
  CHECK(sc["metrics"]["at_fault_collisions"] == 1.0);
}

TEST_CASE("Dashboard API: trends give one point per run, oldest first", "[serve]") {
  Result<std::unique_ptr<DashboardApi>> api = DashboardApi::Open(StorePath());
  REQUIRE(api.ok());
  const json t = Get(**api, "/api/trends");
  REQUIRE(t["runs"].size() == kRuns);
  CHECK(t["metrics"][0] == "score");
  CHECK(t["metrics"].size() == MetricColumnNames().size() + 1);
  std::string last;
  for (const json& p : t["runs"]) {
    CHECK(p["started_at"].get<std::string>() > last);
    last = p["started_at"];
    CHECK(p["values"].size() == t["metrics"].size());
  }
  const json runs = Get(**api, "/api/runs");
  CHECK(t["runs"][4]["values"][0] == runs["runs"][4]["mean_score"]);
  CHECK(Get(**api, "/api/trends", {{"planner", "idm"}})["runs"].size() == kRuns / 2);
  CHECK(Get(**api, "/api/trends", {{"suite", "bbbb"}})["runs"].empty());
}

TEST_CASE("Dashboard API: compare gives tarmac compare's numbers and verdict", "[serve]") {
  Result<std::unique_ptr<DashboardApi>> api = DashboardApi::Open(StorePath());
  REQUIRE(api.ok());
  for (const bool strict : {false, true}) {
    const json web = Get(**api, "/api/compare", {{"base", "11"}, {"cand", "12"}, {"strict", strict ? "1" : "0"}});
    const testing::ShellRun cli =
        testing::RunTarmac("compare 11 12 --json --db " + StorePath().string() + (strict ? " --strict" : ""), {},
                           testing::Stderr::kMerged);
    REQUIRE((cli.code == 0 || cli.code == 1));
    const json j = json::parse(cli.out);
    CHECK(cli.code == (j["regression"].get<bool>() ? 1 : 0));
    CHECK(web["regression"] == j["regression"]);
    CHECK(web["reason"] == j["reason"]);
    CHECK(web["metrics"] == j["metrics"]);  // bit for bit: same seed, same resamples
    CHECK(web["worse"] == j["worse"]);
    CHECK(web["new_at_fault_collisions"] == j["new_at_fault_collisions"]);
    CHECK(web["common_scenarios"] == kScenarios);
  }
  // The new at-fault collisions are exactly the scenarios the formulas say.
  const json web = Get(**api, "/api/compare", {{"base", "11"}, {"cand", "12"}});
  std::set<std::string> expected, listed;
  for (int s = 0; s < kScenarios; ++s) {
    if (SyntheticAtFault(12, s) && !SyntheticAtFault(11, s) && !SyntheticFailed(11, s)) {
      expected.insert(testing::SyntheticScenarioId(s));
    }
  }
  REQUIRE(web["scenarios"].size() == kScenarios);
  for (const json& r : web["scenarios"]) {
    if (r["new_at_fault_collision"].get<bool>()) listed.insert(r["scenario"].get<std::string>());
    CHECK(r["delta"].get<double>() == Approx(r["cand_score"].get<double>() - r["base_score"].get<double>()));
  }
  CHECK(listed == expected);
  CHECK(web["new_at_fault_collisions"] == expected.size());
  // New at-fault collisions and newly failed scenarios come first in the
  // worse list, each collision with its event.
  const size_t first = expected.size() + web["newly_failed"].get<size_t>();
  REQUIRE(web["worse"].size() > first);
  for (size_t i = 0; i < web["worse"].size(); ++i) {
    const json& w = web["worse"][i];
    CHECK((w["new_at_fault_collision"].get<bool>() || w["newly_failed"].get<bool>()) == (i < first));
    if (w["new_at_fault_collision"].get<bool>()) {
      CHECK(w["detail"].get<std::string>().find("step 42 with vehicle 'agent-7'") != std::string::npos);
    }
  }
  // A second answer comes from the cache and is the same.
  CHECK(Get(**api, "/api/compare", {{"base", "11"}, {"cand", "12"}}) == web);
}

TEST_CASE("Dashboard API: traces decode to the stored rollout, the map comes from the scenario file", "[serve]") {
  Result<std::unique_ptr<DashboardApi>> api = DashboardApi::Open(StorePath());
  REQUIRE(api.ok());
  const std::string traced = testing::SyntheticScenarioId(kScenarios - 1);
  const std::string run = "/api/runs/" + std::to_string(kRuns);
  const json t = Get(**api, run + "/trace", {{"id", traced}});
  REQUIRE(t["num_steps"] == 150);
  CHECK(t["dt"] == 0.1);
  CHECK(t["ego"]["x"][37].get<double>() == Approx(37.0));  // 10 m/s for 3.7 s
  CHECK(t["ego"]["speed"][0] == 10.0);
  REQUIRE(t["agents"].size() == 12);
  CHECK(t["agents"][5]["k0"] == 5);  // agent i appears at step i
  CHECK(t["agents"][5]["x"][0].get<double>() == Approx(20.0 + 15.0 + 0.8 * 5).margin(0.01));
  CHECK(t["agents"][5]["y"][0].get<double>() == Approx(3.5));
  REQUIRE(t["plans"].size() == 150);
  CHECK(t["plans"][3].size() == 16);  // 8 poses, x and y

  const json scene = Get(**api, run + "/scene", {{"id", traced}});
  CHECK(scene["available"] == true);
  CHECK(scene["map"]["lanes"].size() == 3);
  CHECK(scene["map"]["road_edges"].size() == 2);
  CHECK(scene["ego"]["length"] == 4.8);
  // A row whose file has moved: said so, and the trace still replays.
  const json moved = Get(**api, run + "/scene", {{"id", "syn-00001"}});
  CHECK(moved["available"] == false);
  CHECK(moved["reason"].get<std::string>().find("not there any more") != std::string::npos);
  CHECK(Get(**api, run + "/trace", {{"id", "syn-00001"}}, 404)["error"].get<std::string>().find("no trace") !=
        std::string::npos);
}

TEST_CASE("Dashboard API: malformed requests get a 4xx naming the problem, never a crash", "[serve]") {
  Result<std::unique_ptr<DashboardApi>> api = DashboardApi::Open(StorePath());
  REQUIRE(api.ok());
  using P = std::multimap<std::string, std::string>;
  const std::vector<std::tuple<std::string, P, int, std::string>> cases = {
      {"/api/runs/abc", {}, 400, "'abc' is not a run id"},
      {"/api/runs/-1", {}, 400, "not a run id"},
      {"/api/runs/99999999999999999999999", {}, 400, "not a run id"},
      {"/api/runs/1e3", {}, 400, "not a run id"},
      {"/api/runs/999", {}, 404, "no run 999"},
      {"/api/runs/0/results", {}, 404, "no run 0"},
      {"/api/runs/1/results", {{"status", "bogus"}}, 400, "give ok or failed"},
      {"/api/runs/1/results", {{"q", std::string(600, 'x')}}, 400, "600 characters"},
      {"/api/runs/1/trace", {}, 400, "'id' is required"},
      {"/api/runs/1/trace", {{"id", "a"}, {"id", "b"}}, 400, "given 2 times"},
      {"/api/runs/1/scenario", {{"id", "x' OR '1'='1"}}, 404, "has no scenario"},
      {"/api/runs/1/scenario", {{"id", "'; DROP TABLE runs; --"}}, 404, "has no scenario"},
      {"/api/runs/1/scene", {{"id", "../../../etc/passwd"}}, 404, "has no scenario"},
      {"/api/runs/1/scenario", {{"id", std::string("\xff\xfe\x00zz", 5)}}, 404, "has no scenario"},
      {"/api/compare", {}, 400, "are required"},
      {"/api/compare", {{"base", "1"}, {"cand", "x"}}, 400, "'cand'"},
      {"/api/compare", {{"base", "1"}, {"cand", "2"}, {"strict", "maybe"}}, 400, "'strict'"},
      {"/api/compare", {{"base", "1"}, {"cand", "404"}}, 404, "no run 404"},
      {"/api/nothing", {}, 404, "no API endpoint"},
      {"/api/runs/1/results/extra", {}, 404, "no API endpoint"},
      {"/api/runs/1/nope", {}, 404, "no API endpoint"},
  };
  for (const auto& [path, params, status, message] : cases) {
    const ApiReply r = (*api)->Get(path, params);
    INFO(path << " -> " << r.status << " " << r.body);
    CHECK(r.status == status);
    const json j = json::parse(r.body);
    CHECK(j["error"].get<std::string>().find(message) != std::string::npos);
  }
  // Injection attempts changed nothing.
  CHECK(Get(**api, "/api/runs")["runs"].size() == kRuns);
}

// ---- over HTTP --------------------------------------------------------------------

// Sends raw bytes to 127.0.0.1:port and returns the whole answer.
std::string RawRequest(int port, const std::string& request) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  size_t sent = 0;
  while (sent < request.size()) {
    const ssize_t n = send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<size_t>(n);
  }
  // No half-close: the server would take it for a dropped client. A
  // malformed request may leave the connection open: give up after 1 s.
  timeval timeout{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  std::string out;
  char buf[65536];
  while (true) {
    const ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return out;
}

int StatusOf(const std::string& answer) {
  if (answer.rfind("HTTP/1.1 ", 0) != 0 || answer.size() < 12) return -1;
  return std::stoi(answer.substr(9, 3));
}

std::string BodyOf(const std::string& answer) {
  const size_t p = answer.find("\r\n\r\n");
  return p == std::string::npos ? "" : answer.substr(p + 4);
}

std::string GetRequest(const std::string& target, const std::string& host = "127.0.0.1") {
  return "GET " + target + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n";
}

class RunningServer {
 public:
  explicit RunningServer(const fs::path& db) {
    Result<std::unique_ptr<DashboardApi>> api = DashboardApi::Open(db);
    REQUIRE(api.ok());
    api_ = std::move(*api);
    server_ = std::make_unique<DashboardServer>(api_.get());
    Result<int> port = server_->Bind("127.0.0.1", 0);
    REQUIRE(port.ok());
    port_ = *port;
    thread_ = std::thread([this] { server_->Run(); });
  }
  ~RunningServer() {
    server_->Stop();
    thread_.join();
  }
  int port() const { return port_; }
  json Json(const std::string& target, int expect = 200) {
    const std::string a = RawRequest(port_, GetRequest(target));
    INFO(target << " -> " << a.substr(0, 300));
    CHECK(StatusOf(a) == expect);
    return json::parse(BodyOf(a));
  }

 private:
  std::unique_ptr<DashboardApi> api_;
  std::unique_ptr<DashboardServer> server_;
  std::thread thread_;
  int port_ = 0;
};

TEST_CASE("Dashboard server: only its own assets, GET only, loopback Host only, database untouched", "[serve]") {
  const Result<std::string> before = Sha256File(StorePath());
  REQUIRE(before.ok());
  {
    RunningServer server(StorePath());
    const int port = server.port();
    // The front end: exactly the embedded files.
    std::string a = RawRequest(port, GetRequest("/"));
    CHECK(StatusOf(a) == 200);
    CHECK(a.find("Content-Type: text/html") != std::string::npos);
    CHECK(a.find("Content-Security-Policy: default-src 'self'") != std::string::npos);
    CHECK(a.find("X-Content-Type-Options: nosniff") != std::string::npos);
    CHECK(BodyOf(a) == std::string(FindWebAsset("index.html")->data));
    a = RawRequest(port, GetRequest("/assets/app.js"));
    CHECK(StatusOf(a) == 200);
    CHECK(BodyOf(a) == std::string(FindWebAsset("app.js")->data));
    // Gzipped on request; revalidated by entity tag.
    a = RawRequest(port, "GET /assets/app.js HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n");
    CHECK(a.find("Content-Encoding: gzip") != std::string::npos);
    CHECK(BodyOf(a).size() < FindWebAsset("app.js")->data.size());
    const size_t etag_at = a.find("ETag: ");
    REQUIRE(etag_at != std::string::npos);
    const std::string etag = a.substr(etag_at + 6, a.find("\r\n", etag_at) - etag_at - 6);
    a = RawRequest(port, "GET /assets/app.js HTTP/1.1\r\nHost: 127.0.0.1\r\nIf-None-Match: " + etag +
                             "\r\nConnection: close\r\n\r\n");
    CHECK(StatusOf(a) == 304);
    // Nothing else: no traversal, however spelt.
    for (const std::string target :
         {"/../../../../etc/passwd", "/assets/../../../../etc/passwd", "/assets/%2e%2e/%2e%2e/etc/passwd",
          "/assets/..%2f..%2f..%2fetc%2fpasswd", "/etc/passwd", "/assets/", "/assets//etc/passwd",
          "/index.html/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/assets/app.js%00.html",
          "/CMakeCache.txt", "/tools/serve_command.cc", "//etc/passwd"}) {
      a = RawRequest(port, GetRequest(target));
      INFO(target << " -> " << a.substr(0, 200));
      CHECK((StatusOf(a) == 404 || StatusOf(a) == 400));
      CHECK(a.find("root:") == std::string::npos);
    }
    // GET and HEAD only.
    a = RawRequest(port, "POST /api/runs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}");
    CHECK(StatusOf(a) == 405);
    CHECK(a.find("Allow: GET, HEAD") != std::string::npos);
    CHECK(StatusOf(RawRequest(port, "DELETE /api/runs/1 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")) == 405);
    CHECK(StatusOf(RawRequest(port, "HEAD /api/runs HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")) == 200);
    // DNS rebinding: a foreign Host is refused; loopback names are fine.
    CHECK(StatusOf(RawRequest(port, GetRequest("/api/runs", "evil.example:8080"))) == 403);
    CHECK(StatusOf(RawRequest(port, GetRequest("/api/runs", "localhost:" + std::to_string(port)))) == 200);
    CHECK(StatusOf(RawRequest(port, GetRequest("/api/runs", "[::1]:" + std::to_string(port)))) == 200);
    // Malformed HTTP: 4xx, and the server carries on.
    for (const std::string& bad : std::vector<std::string>{
             std::string("BLAH\r\n\r\n"), std::string("GET\r\n\r\n"), std::string("GET / HTTP/9.9\r\n\r\n"),
          "GET /" + std::string(20000, 'a') + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
          std::string("GET /api/runs HTTP/1.1\r\nHost: 127.0.0.1\r\nX: ") + std::string(20000, 'b') + "\r\n\r\n",
          std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11), std::string("GET /api/runs?%zz=%%% HTTP/1.1\r\n\r\n")}) {
      a = RawRequest(port, bad);
      INFO(bad.substr(0, 60) << " -> " << a.substr(0, 120));
      const int status = StatusOf(a);
      CHECK(((status >= 400 && status < 500) || a.empty() || status == 200));
    }
    // Over HTTP the API answers as in-process, with JSON errors.
    CHECK(server.Json("/api/runs/abc", 400)["error"].get<std::string>().find("not a run id") != std::string::npos);
    CHECK(server.Json("/api/runs?q=%27%3B%20DROP%20TABLE%20runs%3B--")["runs"].empty());
    CHECK(server.Json("/api/runs")["runs"].size() == kRuns);
    CHECK(server.Json("/api/info")["read_only"] == true);
  }
  const Result<std::string> after = Sha256File(StorePath());
  REQUIRE(after.ok());
  CHECK(*after == *before);  // opened read-only: not a byte changed
}

TEST_CASE("Dashboard API: a run in progress shows up and updates while it writes", "[serve]") {
  const fs::path dir = fs::temp_directory_path() / ("tarmac_serve_live_" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const fs::path db = dir / "live.db";
  Result<std::unique_ptr<ResultsStore>> writer = ResultsStore::Open(db);
  REQUIRE(writer.ok());
  RunInfo info;
  info.name = "first";
  info.planner = "log";
  info.agents = "log";
  info.config_json = "{}";
  info.suite_sha256 = std::string(64, 'c');
  info.git_rev = "test";
  info.num_scenarios = 3;
  info.started_at = "2025-03-01T12:00:00Z";
  Result<int64_t> first = (*writer)->CreateRun(info);
  REQUIRE(first.ok());
  REQUIRE((*writer)->FinishRun(*first, "2025-03-01T12:01:00Z").ok());

  Result<std::unique_ptr<DashboardApi>> api = DashboardApi::Open(db);
  REQUIRE(api.ok());
  const std::string v0 = Get(**api, "/api/status")["version"];
  CHECK(Get(**api, "/api/runs")["runs"].size() == 1);

  info.name = "second";
  Result<int64_t> second = (*writer)->CreateRun(info);
  REQUIRE(second.ok());
  json s = Get(**api, "/api/status");
  CHECK(s["version"] != v0);
  CHECK(s["live"] == json::array({*second}));
  for (int i = 0; i < 3; ++i) {
    ScenarioRecord rec;
    rec.scenario_id = "s" + std::to_string(i);
    rec.scenario_file = "none.xml";
    rec.score = 0.5 * i;
    REQUIRE((*writer)->WriteResult(*second, rec).ok());
    const json run = Get(**api, "/api/runs/" + std::to_string(*second));
    CHECK(run["scenarios"] == i + 1);
    CHECK(run["state"] == "live");
    CHECK(run["mean_score"].get<double>() == Approx(0.25 * i));
    CHECK(Get(**api, "/api/runs/" + std::to_string(*second) + "/results")["rows"].size() == static_cast<size_t>(i + 1));
  }
  REQUIRE((*writer)->FinishRun(*second, "2025-03-01T12:05:00Z").ok());
  CHECK(Get(**api, "/api/runs/" + std::to_string(*second))["state"] == "finished");
  CHECK(Get(**api, "/api/status")["live"].empty());
  // The first run kept its summary throughout.
  CHECK(Get(**api, "/api/runs/" + std::to_string(*first))["state"] == "finished");
}

TEST_CASE("tarmac serve: help, loopback by default, bad database and port are input errors", "[serve][cli]") {
  testing::ShellRun help = testing::RunTarmac("serve --help", {}, testing::Stderr::kMerged);
  CHECK(help.code == 0);
  CHECK(help.out.find("127.0.0.1") != std::string::npos);
  CHECK(help.out.find("read-only") != std::string::npos);
  CHECK(testing::RunTarmac("serve --db /nonexistent/x.db --port 0").code == 2);
  const fs::path junk = fs::temp_directory_path() / ("tarmac_serve_junk_" + std::to_string(getpid()) + ".db");
  std::ofstream(junk) << "not a database";
  testing::ShellRun bad = testing::RunTarmac("serve --db " + junk.string() + " --port 0", {}, testing::Stderr::kMerged);
  CHECK(bad.code == 2);
  CHECK(bad.out.find(junk.string()) != std::string::npos);
  CHECK(testing::RunTarmac("serve --db " + StorePath().string() + " --port 70000").code == 2);
  CHECK(testing::RunTarmac("serve --db " + StorePath().string() + " --host 203.0.113.9 --port 0").code == 2);
  CHECK(IsLoopbackHost("127.0.0.1"));
  CHECK(IsLoopbackHost("127.8.9.10"));
  CHECK(IsLoopbackHost("LOCALHOST"));
  CHECK(IsLoopbackHost("::1"));
  CHECK_FALSE(IsLoopbackHost("0.0.0.0"));
  CHECK_FALSE(IsLoopbackHost("128.0.0.1"));
  CHECK_FALSE(IsLoopbackHost("localhost.evil.example"));
}

}  // namespace
}  // namespace tarmac
