// policies/learned/torch_planner.h and the registry's learned planner names:
// transformer, diffusion and TorchScript planners load, check their outputs
// against the contract, and drive real scenarios of the embedded suite in
// closed loop — with the same result on every run and, on the CPU, for any
// thread count and batch split (docs/learned-planners.md, "determinism").
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>

#include "agents/idm_agents.h"
#include "agents/log_agents.h"
#include "policies/features/model_io.h"
#include "policies/learned/checkpoint.h"
#include "policies/learned/models.h"
#include "policies/learned/torch_planner.h"
#include "policies/registry.h"
#include "scenarios/scenario_io.h"
#include "sim/runner.h"
#include "sim/thread_pool.h"
#include "tests/policies/small_model_config.h"
#include "store/results_store.h"
#include "tests/support/shell.h"
#include "tests/support/test_data.h"

namespace tarmac::learned {
namespace {

namespace io = model_io;

std::vector<std::shared_ptr<const ScenarioModel>> SuiteModels() {
  std::vector<std::shared_ptr<const ScenarioModel>> out;
  ModelOptions options;
  options.horizon_steps = 30;  // 3 s: enough to exercise the loop, quick under a big model
  for (const char* f : {"suites/default/commonroad/USA_Lanker-1_1_T-1.xml", "suites/default/generated/cut-in-1-000.pb",
                        "suites/default/commonroad/USA_US101-3_1_T-1.xml"}) {
    Result<std::vector<v1::Scenario>> s = ReadScenarios(testing::SourceDir() / f);
    REQUIRE(s.ok());
    Result<std::shared_ptr<const ScenarioModel>> m = ScenarioModel::Build(std::move(s->front()), options);
    REQUIRE(m.ok());
    out.push_back(*m);
  }
  return out;
}

std::string SmallCheckpoint(const std::string& kind) {
  const ModelConfig c = test_models::SmallModelConfig(kind, /*sample_steps=*/3);
  torch::manual_seed(11);
  AnyModel m = MakeModel(c);
  CheckpointInfo info;
  info.config = c;
  const std::string path = (std::filesystem::temp_directory_path() / ("tarmac_planner_test_" + kind + ".ckpt")).string();
  REQUIRE(SaveCheckpoint(path, info, *m.module()).ok());
  return path;
}

std::vector<uint64_t> Hashes(Planner* planner, const std::vector<std::shared_ptr<const ScenarioModel>>& models,
                             int threads, int batch) {
  ThreadPool pool(threads);
  SimConfig config;
  config.batch = batch;
  IdmAgents agents;
  const std::vector<RolloutResult> results = RunRollouts(models, planner, agents, config, &pool);
  std::vector<uint64_t> out;
  for (const RolloutResult& r : results) {
    INFO(r.scenario_id << ": " << r.error);
    CHECK(r.ok);
    CHECK(r.steps == 30);
    out.push_back(r.state_hash);
  }
  return out;
}

TEST_CASE("the transformer planner drives real scenarios, the same for any thread count or batch",
          "[learned][planner]") {
  const std::string ckpt = SmallCheckpoint("transformer");
  Result<std::unique_ptr<Planner>> planner = MakePlanner("transformer:" + ckpt, {1, "cpu", 0});
  REQUIRE(planner.ok());
  CHECK((*planner)->wants_history());
  CHECK((*planner)->name() == "transformer:" + ckpt);
  const auto models = SuiteModels();
  const std::vector<uint64_t> one = Hashes(planner->get(), models, 1, 0);
  CHECK(Hashes(planner->get(), models, 2, 0) == one);  // requests split over 2 threads
  CHECK(Hashes(planner->get(), models, 2, 1) == one);  // one scenario at a time
  CHECK(Hashes(planner->get(), models, 1, 2) == one);  // batches of 2 and 1
  // Asking for 2 torch threads changes nothing on the CPU (each forward pass
  // runs on one; the run's pool supplies the parallelism).
  Result<std::unique_ptr<Planner>> two = MakePlanner("transformer:" + ckpt, {2, "cpu", 0});
  REQUIRE(two.ok());
  CHECK(Hashes(two->get(), models, 2, 0) == one);
}

TEST_CASE("the diffusion planner drives real scenarios, its noise from (seed, scenario, actor) only",
          "[learned][planner]") {
  const std::string ckpt = SmallCheckpoint("diffusion");
  Result<std::unique_ptr<Planner>> planner = MakePlanner("diffusion:" + ckpt, {1, "cpu", 42});
  REQUIRE(planner.ok());
  const auto models = SuiteModels();
  const std::vector<uint64_t> one = Hashes(planner->get(), models, 1, 0);
  CHECK(Hashes(planner->get(), models, 2, 0) == one);
  CHECK(Hashes(planner->get(), models, 2, 1) == one);
  Result<std::unique_ptr<Planner>> again = MakePlanner("diffusion:" + ckpt, {1, "cpu", 42});
  REQUIRE(again.ok());
  CHECK(Hashes(again->get(), models, 1, 0) == one);
  // The noise of one request comes from (seed, scenario id, actor) alone: the
  // same at every step of a rollout.
  const auto m = models[0];
  SimState state;
  state.step = m->start_step();
  PlanRequest a{m.get(), &state, kEgoActor, nullptr};
  const uint64_t seed = DiffusionTorchPlanner::NoiseSeed(42, a);
  CHECK(DiffusionTorchPlanner::NoiseSeed(42, a) == seed);
  CHECK(DiffusionTorchPlanner::NoiseSeed(43, a) != seed);
  state.step += 1;
  CHECK(DiffusionTorchPlanner::NoiseSeed(42, a) == seed);
  PlanRequest b{m.get(), &state, kEgoActor + 1, nullptr};
  CHECK(DiffusionTorchPlanner::NoiseSeed(42, b) != seed);
  Result<std::unique_ptr<Planner>> other_seed = MakePlanner("diffusion:" + ckpt, {1, "cpu", 43});
  REQUIRE(other_seed.ok());
  CHECK(Hashes(other_seed->get(), models, 1, 0) != one);
}

TEST_CASE("diffusion guidance moves the samples down the cost's gradient", "[learned][planner]") {
  const std::string ckpt = SmallCheckpoint("diffusion");
  Result<LoadedCheckpoint> m = LoadCheckpoint(ckpt, "diffusion");
  REQUIRE(m.ok());
  DiffusionPlanner model = m->model.diffusion;
  model->eval();
  torch::NoGradGuard no_grad;
  const torch::Tensor obs = torch::zeros({2, static_cast<int64_t>(io::kObservationFloats)});
  const torch::Tensor noise = torch::randn({2, io::kFutureSteps, 3}, at::detail::createCPUGenerator(1));
  // Cost: squared distance of every pose's y from +5 m.
  const GuidanceCost left = [](const torch::Tensor& poses, const torch::Tensor&) {
    return (poses.select(-1, 1) - 5.0).pow(2).mean(-1);
  };
  const torch::Tensor plain = model->Sample(obs, noise);
  const torch::Tensor guided = model->Sample(obs, noise, left, 0.02);
  const double plain_cost = (plain.select(-1, 1) - 5.0).pow(2).mean().item<double>();
  const double guided_cost = (guided.select(-1, 1) - 5.0).pow(2).mean().item<double>();
  INFO(plain_cost << " vs " << guided_cost);
  CHECK(guided_cost < plain_cost);
}

TEST_CASE("a guided diffusion planner drives real scenarios (autograd outside inference mode)", "[learned][planner]") {
  const std::string ckpt = SmallCheckpoint("diffusion");
  Result<std::unique_ptr<TorchPlanner>> planner = LoadTorchPlanner("diffusion", ckpt, {1, "cpu", 42});
  REQUIRE(planner.ok());
  auto* diffusion = dynamic_cast<DiffusionTorchPlanner*>(planner->get());
  REQUIRE(diffusion != nullptr);
  const auto models = SuiteModels();
  const std::vector<uint64_t> plain = Hashes(diffusion, models, 1, 0);
  diffusion->SetGuidance([](const torch::Tensor& poses, const torch::Tensor&) { return poses.select(-1, 1).pow(2).mean(-1); },
                         0.05);
  const std::vector<uint64_t> guided = Hashes(diffusion, models, 1, 0);
  CHECK(guided != plain);
}

// The fixtures are scripted at build time by python3-torch. Without it the
// TorchScript tests skip with a message, except in CI (TARMAC_REQUIRE_DATA=1,
// which also installs python3-torch), where that is a failure.
bool HaveTorchScriptFixtures() {
  if (TARMAC_HAVE_TORCHSCRIPT_FIXTURES) return true;
  const char* require = std::getenv("TARMAC_REQUIRE_DATA");
  if (require != nullptr && std::string(require) == "1") {
    FAIL("no TorchScript fixtures: python3-torch was missing when the build was configured "
         "(apt-get install python3-torch, then reconfigure)");
  }
  WARN("SKIPPED: no TorchScript fixtures (python3-torch missing at configure time)");
  return false;
}

TEST_CASE("choosing candidates by plan cost drives real scenarios reproducibly", "[learned][planner][costs]") {
  const auto models = SuiteModels();
  for (const char* kind : {"transformer", "diffusion"}) {
    INFO(kind);
    const std::string name = std::string(kind) + ":" + SmallCheckpoint(kind);
    Result<std::unique_ptr<Planner>> costed = MakePlanner(name, {1, "cpu", 42, 1.0});
    REQUIRE(costed.ok());
    const std::vector<uint64_t> one = Hashes(costed->get(), models, 1, 0);
    CHECK(Hashes(costed->get(), models, 2, 1) == one);
    Result<std::unique_ptr<Planner>> again = MakePlanner(name, {2, "cpu", 42, 1.0});
    REQUIRE(again.ok());
    CHECK(Hashes(again->get(), models, 2, 0) == one);
    Result<std::unique_ptr<Planner>> negative = MakePlanner(name, {1, "cpu", 42, -1.0});
    REQUIRE_FALSE(negative.ok());
    CHECK(negative.error().message.find("--plan-cost-weight -1") != std::string::npos);
  }
}

TEST_CASE("tarmac run's default planner is the shipped transformer with plan costs, its checkpoint recorded",
          "[learned][planner][cli]") {
  const std::filesystem::path dir = testing::FreshTempDir("tarmac_default_planner_test");
  const std::string scenario = (testing::SourceDir() / "suites/default/commonroad/USA_Lanker-1_1_T-1.xml").string();
  const std::string db = (dir / "r.db").string();
  const testing::ShellRun sha = testing::RunShell("sha256sum " + (testing::SourceDir() / "models/transformer.ckpt").string());
  REQUIRE(sha.code == 0);
  const std::string shipped = sha.out.substr(0, 64);
  // The default, then the same planner named with the plan costs off.
  REQUIRE(testing::RunTarmac("run --scenarios " + scenario + " --horizon 20 --threads 1 --db " + db).code == 0);
  REQUIRE(testing::RunTarmac("run --planner transformer --plan-cost-weight 0 --scenarios " + scenario +
                             " --horizon 20 --threads 1 --db " + db).code == 0);
  Result<std::unique_ptr<ResultsStore>> store = ResultsStore::Open(db, /*read_only=*/true);
  REQUIRE(store.ok());
  for (int64_t id : {1, 2}) {
    Result<RunInfo> run = (*store)->GetRun(id);
    REQUIRE(run.ok());
    CHECK(run->planner == "transformer");
    CHECK(run->checkpoint_sha256 == shipped);
    const nlohmann::json config = nlohmann::json::parse(run->config_json);
    CHECK(config.at("checkpoint_sha256") == shipped);
    CHECK(config.value("plan_cost_weight", 0.0) == (id == 1 ? 1.0 : 0.0));
    Result<std::vector<ResultRow>> rows = (*store)->Results(id);
    REQUIRE(rows.ok());
    REQUIRE(rows->size() == 1);
    CHECK(rows->front().status == ScenarioStatus::kOk);
  }
  // Resuming with other weights behind the same planner name is refused.
  const std::filesystem::path ckpt = dir / "m.ckpt";
  std::filesystem::copy_file(SmallCheckpoint("transformer"), ckpt);
  const std::string args = "run --planner transformer:" + ckpt.string() + " --scenarios " + scenario +
                           " --horizon 20 --threads 1 --db " + db;
  REQUIRE(testing::RunTarmac(args).code == 0);
  std::filesystem::copy_file(testing::SourceDir() / "models/transformer.ckpt", ckpt,
                             std::filesystem::copy_options::overwrite_existing);
  const testing::ShellRun other = testing::RunTarmac(args + " --resume 3");
  CHECK(other.code == 2);
  CHECK(other.err.find("checkpoint_sha256") != std::string::npos);
}

TEST_CASE("a TorchScript module following the contract drives a real scenario", "[learned][planner][torchscript]") {
  if (!HaveTorchScriptFixtures()) return;
  const auto models = SuiteModels();
  for (const char* name : {"modes.pt", "single.pt"}) {
    const std::string path = std::string(TARMAC_TORCHSCRIPT_DIR) + "/" + name;
    Result<std::unique_ptr<Planner>> planner = MakePlanner("torchscript:" + path, {2, "cpu", 0});
    INFO(name << ": " << (planner.ok() ? "" : planner.error().message));
    REQUIRE(planner.ok());
    // Both fixtures drive constant velocity as their best mode: the same rollouts.
    static std::vector<uint64_t> first;
    const std::vector<uint64_t> h = Hashes(planner->get(), models, 2, 0);
    if (first.empty()) first = h;
    CHECK(h == first);
  }
}

TEST_CASE("a TorchScript module with the wrong output shape is refused at load", "[learned][planner][torchscript]") {
  if (!HaveTorchScriptFixtures()) return;
  const std::string path = std::string(TARMAC_TORCHSCRIPT_DIR) + "/bad_shape.pt";
  Result<std::unique_ptr<Planner>> planner = MakePlanner("torchscript:" + path, {1, "cpu", 0});
  REQUIRE_FALSE(planner.ok());
  CHECK(planner.error().message ==
        "torchscript " + path +
            ": forward returned Tensor[1, 80, 2]; the contract (docs/model-io.md) wants Tensor[1, 80, 3] or "
            "(Tensor[1, N, 80, 3], Tensor[1, N]) with 1 <= N <= 6");
}

TEST_CASE("learned planner names give clear errors", "[learned][planner]") {
  Result<std::unique_ptr<Planner>> empty = MakePlanner("transformer:");
  REQUIRE_FALSE(empty.ok());
  CHECK(empty.error().message == "--planner 'transformer:': no file after 'transformer:'");
  Result<std::unique_ptr<Planner>> missing = MakePlanner("diffusion:/nonexistent/x.ckpt");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().message == "checkpoint /nonexistent/x.ckpt: cannot open the file");
  Result<std::unique_ptr<Planner>> script = MakePlanner("torchscript:/nonexistent/x.pt");
  REQUIRE_FALSE(script.ok());
  CHECK(script.error().message.rfind("torchscript /nonexistent/x.pt: cannot load the module", 0) == 0);
  const std::string ckpt = SmallCheckpoint("transformer");
  Result<std::unique_ptr<Planner>> device = MakePlanner("transformer:" + ckpt, {1, "tpu", 0});
  REQUIRE_FALSE(device.ok());
  CHECK(device.error().message == "--device 'tpu' is not cpu or cuda");
  if (!torch::cuda::is_available()) {
    Result<std::unique_ptr<Planner>> cuda = MakePlanner("transformer:" + ckpt, {1, "cuda", 0});
    REQUIRE_FALSE(cuda.ok());
    CHECK(cuda.error().message.rfind("--device cuda: CUDA is not available", 0) == 0);
  }
}

}  // namespace
}  // namespace tarmac::learned
