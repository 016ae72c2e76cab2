// `tarmac merge OUT.db IN.db[:RUN]...`: joins the shard runs of one
// evaluation (`tarmac run --shard K/N`, typically one database per shard, one
// Slurm array task or Kubernetes pod each) into one run (docs/scale-out.md).
//
// Contract:
//  - Every input is one finished run (finished_at set) holding as many results
//    as it planned, each of them a scenario of the input's own shard (ShardOf).
//  - The inputs agree on planner, agents, checkpoint, suite, source revision,
//    seed and configuration (config_json apart from its "shard"); their shards
//    are 1/N..N/N, each exactly once; no scenario is in two inputs. Otherwise
//    nothing is written and every problem is listed (missing shard numbers,
//    doubled shards, the differing fields), exit 2.
//  - The merged run is written in one transaction: shard "1/1", config_json
//    exactly as a single-process run of the suite records it, every results,
//    events and traces row as the shards hold them, started_at the earliest
//    shard's and finished_at the latest, and its sources in `merged_from`.
//  - Idempotent: when OUT.db already holds a run merged from the same shard
//    runs (same content fingerprints), nothing changes ("already merged", exit 0).
#pragma once

#include <CLI/CLI.hpp>

namespace tarmac {

void AddMergeCommand(CLI::App* app);

}  // namespace tarmac
