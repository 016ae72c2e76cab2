// policies/learned/train.h and training_data.h: training is seeded and
// deterministic on the CPU (same seed and threads, same weights), stopping
// and resuming gives the same checkpoint as not stopping, the validation
// split is by scenario, and mismatched resumes are refused.
#include <catch2/catch.hpp>

#include <filesystem>
#include <set>

#include "policies/learned/checkpoint.h"
#include "policies/learned/train.h"
#include "policies/learned/training_data.h"
#include "policies/registry.h"
#include "tests/support/test_data.h"

namespace tarmac {
namespace {

std::vector<std::string> SuiteFiles() {
  std::vector<std::string> out;
  for (const char* f : {"suites/default/commonroad/USA_Lanker-1_1_T-1.xml", "suites/default/commonroad/USA_US101-3_1_T-1.xml",
                        "suites/default/generated/cut-in-1-000.pb", "suites/default/generated/cut-in-1-001.pb"}) {
    out.push_back((testing::SourceDir() / f).string());
  }
  return out;
}

std::string Temp(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("tarmac_train_test_" + name)).string();
}

TrainOptions Tiny(const std::string& model, const std::string& out) {
  TrainOptions o;
  o.model = model;
  o.data = SuiteFiles();
  o.data_hash = "sha256:test";
  o.out = out;
  o.epochs = 2;
  o.batch = 8;
  o.max_batches = 3;
  o.threads = 2;
  o.dim = 32;
  o.heads = 2;
  o.encoder_layers = 1;
  o.decoder_layers = 1;
  o.feedforward = 64;
  o.modes = 3;
  o.val_fraction = 0.25;
  return o;
}

std::vector<torch::Tensor> Weights(const std::string& path) {
  Result<learned::LoadedCheckpoint> c = learned::LoadCheckpoint(path, "");
  REQUIRE(c.ok());
  std::vector<torch::Tensor> out;
  for (const auto& p : c->model.module()->named_parameters()) out.push_back(p.value());
  return out;
}

bool SameWeights(const std::string& a, const std::string& b) {
  const std::vector<torch::Tensor> wa = Weights(a), wb = Weights(b);
  if (wa.size() != wb.size()) return false;
  for (size_t i = 0; i < wa.size(); ++i) {
    if (!torch::equal(wa[i], wb[i])) return false;
  }
  return true;
}

TEST_CASE("the validation split is by scenario and the same for the same seed", "[learned][train]") {
  Result<std::unique_ptr<TrainingData>> a = TrainingData::Load(SuiteFiles(), 5, 0.25, 1);
  Result<std::unique_ptr<TrainingData>> b = TrainingData::Load(SuiteFiles(), 5, 0.25, 1);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK((*a)->val_scenarios() == 1);
  CHECK((*a)->train_scenarios() == 3);
  std::set<int> train, val;
  for (const SampleRef& r : (*a)->train()) train.insert(r.scenario);
  for (const SampleRef& r : (*a)->val()) val.insert(r.scenario);
  CHECK(train.size() == 3);
  CHECK(val.size() == 1);
  for (int s : val) CHECK(train.count(s) == 0);
  REQUIRE((*a)->train().size() == (*b)->train().size());
  for (size_t i = 0; i < (*a)->train().size(); ++i) {
    CHECK((*a)->train()[i].scenario == (*b)->train()[i].scenario);
    CHECK((*a)->train()[i].step == (*b)->train()[i].step);
    CHECK((*a)->train()[i].track == (*b)->train()[i].track);
  }
  Result<std::unique_ptr<TrainingData>> bad = TrainingData::Load(SuiteFiles(), 5, 1.5, 1);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message == "--val-fraction 1.5 must be in [0, 1)");
}

TEST_CASE("transformer training is deterministic, and resuming equals not stopping", "[learned][train]") {
  const TrainOptions a = Tiny("transformer", Temp("a.ckpt"));
  TrainOptions b = a;
  b.out = Temp("b.ckpt");
  b.loss_csv = Temp("b.csv");
  Result<TrainSummary> ra = TrainModel(a, {});
  REQUIRE(ra.ok());
  CHECK(ra->epochs_run == 2);
  CHECK(std::isfinite(ra->train_loss));
  CHECK(ra->val_samples > 0);
  int epochs_reported = 0;
  REQUIRE(TrainModel(b, [&](const TrainProgress& p) { epochs_reported += p.epoch_done ? 1 : 0; }).ok());
  CHECK(epochs_reported == 2);
  CHECK(SameWeights(a.out, b.out));
  CHECK(testing::ReadFileBytes(a.out) == testing::ReadFileBytes(b.out));  // the same file (the header records no time)
  // The loss curve: a header and one row per epoch.
  const std::string csv = testing::ReadFileBytes(b.loss_csv);
  CHECK(csv.rfind("epoch,step,train_loss,val_loss,val_ade_m,val_fde_m\n1,3,", 0) == 0);
  CHECK(std::count(csv.begin(), csv.end(), '\n') == 3);
  // Stop after one epoch, resume: the same bytes.
  TrainOptions c = a;
  c.out = Temp("c.ckpt");
  c.stop_after = 1;
  REQUIRE(TrainModel(c, {}).ok());
  CHECK_FALSE(SameWeights(a.out, c.out));
  c.stop_after = 0;
  c.resume = c.out;
  Result<TrainSummary> rc = TrainModel(c, {});
  REQUIRE(rc.ok());
  CHECK(rc->epochs_run == 1);
  CHECK(testing::ReadFileBytes(a.out) == testing::ReadFileBytes(c.out));
  // A different seed trains different weights.
  TrainOptions d = a;
  d.out = Temp("d.ckpt");
  d.seed = 2;
  REQUIRE(TrainModel(d, {}).ok());
  CHECK_FALSE(SameWeights(a.out, d.out));
}

TEST_CASE("resuming with other options or data is refused", "[learned][train]") {
  TrainOptions a = Tiny("transformer", Temp("r.ckpt"));
  a.stop_after = 1;
  REQUIRE(TrainModel(a, {}).ok());
  TrainOptions b = a;
  b.resume = a.out;
  b.out = Temp("r2.ckpt");
  b.batch = 4;
  Result<TrainSummary> r = TrainModel(b, {});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message == "--resume " + a.out + ": it was trained with batch = 8, this command has 4");
  b = a;
  b.resume = a.out;
  b.data_hash = "sha256:other";
  r = TrainModel(b, {});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message == "--resume " + a.out + ": trained on data sha256:test, this command's data is sha256:other");
  b = a;
  b.resume = a.out;
  b.model = "diffusion";
  r = TrainModel(b, {});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message == "checkpoint " + a.out + ": holds a transformer model, not a diffusion model");
}

TEST_CASE("diffusion training runs and its checkpoint drives as a planner", "[learned][train]") {
  TrainOptions a = Tiny("diffusion", Temp("diff.ckpt"));
  Result<TrainSummary> r = TrainModel(a, {});
  REQUIRE(r.ok());
  CHECK(std::isfinite(r->train_loss));
  CHECK(std::isfinite(r->val_ade));
  TrainOptions b = a;
  b.out = Temp("diff2.ckpt");
  REQUIRE(TrainModel(b, {}).ok());
  CHECK(testing::ReadFileBytes(a.out) == testing::ReadFileBytes(b.out));
  Result<std::unique_ptr<Planner>> p = MakePlanner("diffusion:" + a.out, {1, "cpu", 0});
  REQUIRE(p.ok());
}

TEST_CASE("bad training options are refused by name", "[learned][train]") {
  TrainOptions o = Tiny("transformer", Temp("bad.ckpt"));
  o.model = "rnn";
  CHECK(TrainModel(o, {}).error().message == "--model 'rnn' is not transformer or diffusion");
  o = Tiny("transformer", Temp("bad.ckpt"));
  o.epochs = 0;
  CHECK(TrainModel(o, {}).error().message == "--epochs 0 must be at least 1");
  o = Tiny("transformer", Temp("bad.ckpt"));
  o.augment.probability = 1.5;
  CHECK(TrainModel(o, {}).error().message == "--augment-probability 1.5 must be in [0, 1]");
  o = Tiny("transformer", Temp("bad.ckpt"));
  o.heads = 5;
  CHECK(TrainModel(o, {}).error().message == "hyper-parameters: heads 5 does not divide dim 32");
  o = Tiny("transformer", Temp("bad.ckpt"));
  o.data = {"/nonexistent/file.pb"};
  Result<TrainSummary> r = TrainModel(o, {});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find("/nonexistent/file.pb") != std::string::npos);
}

}  // namespace
}  // namespace tarmac
