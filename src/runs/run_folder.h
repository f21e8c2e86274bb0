#pragma once
// The Run API: an experiment spec run into its output folder, whole or as shard K of N, and
// (runs/merge.h) the shards of a run merged into the folder the whole run writes. The CLI
// (run, sweep, stats, merge) and Python (run_spec(shard=...), bertscope.merge) call these:
// a front end loads the model, reports progress its own way and shows what came out.
//
// Every call is all or nothing (reports/output_folder.h): the folder and the disk space it
// needs are checked before any work; the trials go to disk as they finish, so memory does not
// grow with them; an error or a cancellation leaves the folder as it was before the call.
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "experiments/experiment.h"
#include "model/encoder.h"
#include "reports/experiment_files.h"
#include "reports/output_folder.h"
#include "reports/record_index.h"
#include "reports/shard_manifest.h"
#include "runs/shard_choice.h"

namespace bertscope {

// What a cancelled run throws (RunControl::cancelled said so); nothing was written.
class RunCancelled : public Error {
 public:
  RunCancelled() : Error("the run was cancelled; its output folder is as it was") {}
};

struct RunControl {
  // Trials done of the run's (or shard's) trials, and the share of its work done.
  ProgressFn progress;
  // Asked as trials finish: true stops the run with RunCancelled.
  std::function<bool()> cancelled;
};

// A run written: the folder, its files (as published) and what its tables show: the clean
// runs, summaries and distributions (the trials themselves are in the files, not here).
struct FolderRun {
  std::string folder;
  std::vector<std::string> files;
  ExperimentResult result;
  RunContext context;                  // results.json's record of how it ran
  std::optional<ShardManifest> shard;  // set when the run was one shard
};

// Runs `spec` (its `out` is the folder) on `model`, loaded from `model_path` (recorded in a
// shard's manifest: the merge loads it from there), and writes the folder; with `shard`, only
// that shard's work items, into a shard folder (reports/shard_manifest.h) for merge_shards().
// `context` is results.json's record of how it ran (its command line goes into a shard's
// manifest). Throws Error for a bad spec or folder before any work, RunCancelled when
// `control` cancels it.
FolderRun run_into_folder(const Encoder& model, const std::string& model_path, const ExperimentSpec& spec,
                          const RunContext& context, const RunControl& control = {},
                          const std::optional<ShardChoice>& shard = {});

// `spec` run with every trial kept in memory (result.sweeps[p].runs), for a front end that
// hands the trials over itself (Python's DataFrames and per-trial arrays); the folder
// `spec.out` is written too unless it is empty. The folder and its disk space are checked
// before any work; `inspect`, when given, sees the result before its files are written (a
// front end's own readouts: an exception there, as an error or a cancellation anywhere,
// leaves the folder as it was).
FolderRun run_in_memory(const Encoder& model, const ExperimentSpec& spec, const RunContext& context,
                        const RunControl& control = {}, const std::function<void(ExperimentResult&)>& inspect = {});

// What a record of `spec`'s trials on `model` may hold (reports/trial_records.h).
RecordLimits record_limits(const Encoder& model, const ExperimentSpec& spec);

// The last step of a whole run and of a merge: the trials of `index`, streamed in canonical
// order, and the clean runs and distributions of `base` become `out`'s files; removes
// `partial` (the run's own records, "" for none) from staging and commits.
FolderRun finish_folder(OutputFolder& out, ExperimentResult base, const Encoder& model, const RunContext& context,
                        const RecordIndex& index, const std::string& partial);

}  // namespace bertscope
