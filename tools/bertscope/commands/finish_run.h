#pragma once
// The last step of every run of an experiment, sharded or not: the trials, read back from
// their records in canonical order, and the clean runs and distributions (`base`) become
// the output folder's files. A run is "one shard of one": `bertscope run` and `bertscope
// merge` both end here, so a merge writes what the unsharded run writes.
#include <string>

#include "commands/commands.h"
#include "reports/experiment_files.h"
#include "reports/record_index.h"

namespace bertscope::cli {

// Writes the files into `out`'s staging folder, the trials streamed from `index` (memory
// does not grow with them), removes `partial` (the run's own records,
// "" for none) from it, commits, and prints the tables (or --json) and the files written.
void finish_run(OutputFolder& out, ExperimentResult base, const Encoder& model, const RunContext& context,
                const RecordIndex& index, const std::string& partial, const ModelOptions& options);

}  // namespace bertscope::cli
