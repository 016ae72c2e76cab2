// policies/learned/train.h and training_data.h: training is seeded and
// deterministic on the CPU (same seed and threads, same weights), stopping
// and resuming gives the same checkpoint as not stopping, the validation
// split is by scenario, and mismatched resumes are refused. Data-parallel
// training (`tarmac train --nproc N`, run as a command) trains the same
// weights as one process, within float rounding.
#include <catch2/catch.hpp>

#include <filesystem>
#include <set>
#include <sstream>

#include "policies/learned/checkpoint.h"
#include "policies/learned/train.h"
#include "policies/learned/training_data.h"
#include "policies/registry.h"
#include "tests/support/shell.h"
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

TEST_CASE("the diffusion pose loss changes the training and is recorded for resuming", "[learned][train]") {
  TrainOptions a = Tiny("diffusion", Temp("pose_a.ckpt"));
  a.stop_after = 1;
  REQUIRE(TrainModel(a, {}).ok());
  TrainOptions b = a;
  b.out = Temp("pose_b.ckpt");
  b.pose_loss_weight = 1.0;
  const Result<TrainSummary> rb = TrainModel(b, {});
  REQUIRE(rb.ok());
  // The weighted poses' error adds to the loss and moves the weights elsewhere.
  const Result<learned::LoadedCheckpoint> ca = learned::LoadCheckpoint(a.out, "diffusion");
  REQUIRE(ca.ok());
  CHECK(rb->train_loss > ca->info.training["history"][0]["train_loss"].get<double>());
  CHECK_FALSE(SameWeights(a.out, b.out));
  // Resuming either with the other weight is refused by name.
  TrainOptions c = b;
  c.resume = b.out;
  c.out = Temp("pose_c.ckpt");
  c.pose_loss_weight = 0.0;
  Result<TrainSummary> r = TrainModel(c, {});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message == "--resume " + b.out + ": it was trained with pose_loss_weight = 1.0, this command has (none)");
  c = a;
  c.resume = a.out;
  c.out = Temp("pose_c.ckpt");
  c.pose_loss_weight = 2.0;
  r = TrainModel(c, {});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message == "--resume " + a.out + ": it was trained with pose_loss_weight = (none), this command has 2.0");
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
  o.ego_history = 22;
  CHECK(TrainModel(o, {}).error().message == "--ego-history 22 must be in [1, 21]");
  o = Tiny("diffusion", Temp("bad.ckpt"));
  o.pose_loss_weight = -1.0;
  CHECK(TrainModel(o, {}).error().message == "--pose-loss-weight -1 must be a finite number >= 0");
  o = Tiny("transformer", Temp("bad.ckpt"));
  o.pose_loss_weight = 1.0;
  CHECK(TrainModel(o, {}).error().message ==
        "--pose-loss-weight 1 is for the diffusion model (the transformer's loss is already in metres)");
  o = Tiny("transformer", Temp("bad.ckpt"));
  o.data = {"/nonexistent/file.pb"};
  Result<TrainSummary> r = TrainModel(o, {});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find("/nonexistent/file.pb") != std::string::npos);
}

// ---- data-parallel training (tarmac train --nproc) ---------------------------

// `tarmac train` arguments for the tiny model of Tiny() on SuiteFiles().
std::string TinyTrainArgs(const std::string& model, const std::filesystem::path& out, const std::filesystem::path& csv) {
  std::string args = "train --model " + model + " --out '" + out.string() + "' --loss-csv '" + csv.string() +
                     "' --epochs 2 --max-batches 3 --threads 1 --seed 1 --dim 32 --heads 2 --encoder-layers 1"
                     " --decoder-layers 1 --feedforward 64 --modes 3 --val-fraction 0.25";
  for (const std::string& f : SuiteFiles()) args += " --data '" + f + "'";
  return args;
}

// The loss CSV's numbers, row by row (header dropped).
std::vector<std::vector<double>> CsvNumbers(const std::filesystem::path& path) {
  std::istringstream in(testing::ReadFileBytes(path));
  std::string line;
  std::getline(in, line);
  std::vector<std::vector<double>> rows;
  while (std::getline(in, line)) {
    std::vector<double> row;
    std::istringstream cells(line);
    for (std::string cell; std::getline(cells, cell, ',');) row.push_back(std::stod(cell));
    rows.push_back(row);
  }
  return rows;
}

// Trains `model` with --nproc 1 and --nproc 2 on the same data, seed and
// global batch (7: the ranks get 3 and 4 rows, so the shares of the
// normalisers differ from one half) and compares the results. Not bitwise:
// a 3- or 4-row matrix product rounds differently from a 7-row one, and
// AdamW divides by the gradient's running RMS, so a parameter whose true
// gradient is about zero (attention key biases) or a sample whose nearest
// mode is a near tie moves by a good part of a step on rounding alone.
// Tolerances, after 6 AdamW steps of lr 3e-4 (no weight moves by more than
// about 1e-3): every weight within 3e-4 of the other run's (one step at the
// full lr; seen here: 7.5e-5 for the transformer, 1.5e-5 for diffusion), and
// the difference of the two runs' weights at most 1 % of the update's norm
// (seen: 0.06 %). Without the gradient allreduce: 1.8e-3 and 67 %. The loss
// CSV's numbers within 1e-4 relative (it has 6 significant digits).
void CheckNprocEquivalence(const std::string& model) {
  const std::filesystem::path dir = testing::FreshTempDir("tarmac_dp_" + model);
  const std::string one = TinyTrainArgs(model, dir / "one.ckpt", dir / "one.csv") + " --batch 7 --nproc 1";
  const std::string two = TinyTrainArgs(model, dir / "two.ckpt", dir / "two.csv") + " --batch 7 --nproc 2";
  const testing::ShellRun r1 = testing::RunTarmac(one);
  INFO(r1.err);
  REQUIRE(r1.code == 0);
  const testing::ShellRun r2 = testing::RunTarmac(two);
  INFO(r2.err);
  REQUIRE(r2.code == 0);
  CHECK(r2.err.find("2 ranks x 1 threads") != std::string::npos);
  CHECK(r2.out.find("2 epochs run") != std::string::npos);  // rank 0's summary, once
  CHECK(r2.out.find("2 epochs run") == r2.out.rfind("2 epochs run"));

  Result<learned::LoadedCheckpoint> a = learned::LoadCheckpoint((dir / "one.ckpt").string(), model);
  Result<learned::LoadedCheckpoint> b = learned::LoadCheckpoint((dir / "two.ckpt").string(), model);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(a->info.training.value("nproc", 0) == 1);
  CHECK(b->info.training.value("nproc", 0) == 2);
  CHECK(a->info.training["step"] == b->info.training["step"]);
  const auto pa = a->model.module()->named_parameters(), pb = b->model.module()->named_parameters();
  REQUIRE(pa.size() == pb.size());
  double worst = 0.0, moved = 0.0;
  std::string worst_name;
  for (size_t i = 0; i < pa.size(); ++i) {
    REQUIRE(pa[i].key() == pb[i].key());
    const double d = (pa[i].value() - pb[i].value()).abs().max().item<double>();
    if (d > worst) {
      worst = d;
      worst_name = pa[i].key();
    }
  }
  // The runs did train: the weights moved from the initial ones (seed 1, as
  // the trainer draws them).
  torch::manual_seed(1);
  const learned::AnyModel initial = learned::MakeModel(a->info.config);
  const auto p0 = initial.module()->named_parameters();
  REQUIRE(p0.size() == pa.size());
  double update_sq = 0.0, diff_sq = 0.0;
  for (size_t i = 0; i < pa.size(); ++i) {
    const torch::Tensor update = (pa[i].value() - p0[i].value()).to(torch::kDouble);
    moved = std::max(moved, update.abs().max().item<double>());
    update_sq += update.pow(2).sum().item<double>();
    diff_sq += (pa[i].value() - pb[i].value()).to(torch::kDouble).pow(2).sum().item<double>();
  }
  const double relative = std::sqrt(diff_sq / update_sq);
  INFO(model << ": largest weight difference " << worst << " in " << worst_name << ", largest move " << moved
             << ", |difference| / |update| " << relative);
  CHECK(worst <= 3e-4);
  CHECK(relative <= 1e-2);
  CHECK(moved > 5e-4);  // it did train

  const std::vector<std::vector<double>> ca = CsvNumbers(dir / "one.csv"), cb = CsvNumbers(dir / "two.csv");
  REQUIRE(ca.size() == 2);
  REQUIRE(cb.size() == ca.size());
  for (size_t row = 0; row < ca.size(); ++row) {
    REQUIRE(ca[row].size() == 6);
    REQUIRE(cb[row].size() == 6);
    for (size_t col = 0; col < 6; ++col) {
      INFO(model << " loss CSV row " << row + 1 << " column " << col + 1 << ": " << ca[row][col] << " vs " << cb[row][col]);
      CHECK(std::abs(ca[row][col] - cb[row][col]) <= 1e-4 * std::max(1.0, std::abs(ca[row][col])));
    }
  }
}

TEST_CASE("tarmac train --nproc 2 trains the transformer as one process does", "[learned][train][dp]") {
  CheckNprocEquivalence("transformer");
}

TEST_CASE("tarmac train --nproc 2 trains the diffusion model as one process does", "[learned][train][dp]") {
  CheckNprocEquivalence("diffusion");
}

TEST_CASE("tarmac train --nproc: bad counts and failing ranks end the command with a message", "[learned][train][dp]") {
  const std::filesystem::path dir = testing::FreshTempDir("tarmac_dp_fail");
  const std::string base = TinyTrainArgs("transformer", dir / "x.ckpt", dir / "x.csv") + " --batch 8";
  testing::ShellRun r = testing::RunTarmac(base + " --nproc 0");
  CHECK(r.code == 2);
  CHECK(r.err.find("--nproc 0 must be in [1, 64]") != std::string::npos);
  r = testing::RunTarmac(base + " --nproc 65");
  CHECK(r.code == 2);
  CHECK(r.err.find("--nproc 65") != std::string::npos);
  // Rank 0 cannot write its checkpoint after epoch 1 while rank 1 goes on
  // into epoch 2 and waits for it: the launcher stops rank 1 and reports rank 0.
  const std::string bad_out = (dir / "no-such-folder" / "x.ckpt").string();
  r = testing::RunTarmac(TinyTrainArgs("transformer", bad_out, dir / "y.csv") + " --batch 8 --nproc 2");
  INFO(r.err);
  CHECK(r.code == 2);
  CHECK(r.err.find("tarmac train: rank 0 of 2: " + bad_out) != std::string::npos);
  CHECK(r.err.find("tarmac train: --nproc 2: rank 0 failed (exit status 2); the other ranks were stopped") !=
        std::string::npos);
  CHECK(r.out.empty());
  // A rank started by hand with a bad variable is refused by name.
  r = testing::RunShell("TARMAC_DP_RANK=2 TARMAC_DP_WORLD=2 TARMAC_DP_STORE='" + (dir / "store").string() + "' " +
                        std::string(TARMAC_BINARY) + " " + base);
  CHECK(r.code == 2);
  CHECK(r.err.find("TARMAC_DP_RANK '2' must be an integer in [0, 1]") != std::string::npos);
}

}  // namespace
}  // namespace tarmac
