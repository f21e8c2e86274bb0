#pragma once
// The bytes a run will write, estimated before it starts (OutputFolder::check_space refuses
// what the disk cannot hold). From measured files (the demo and tiny models, top 5; the
// sizes do not depend on the model but for token ids' digits):
//   - a trial record (records.jsonl of a shard, the run's own trials.partial.jsonl): about
//     120 bytes, plus 22 per top-k entry;
//   - a trial in the result files (results.json, runs.jsonl, runs.csv, top.csv): about
//     850 bytes, plus 120 per top-k entry;
//   - a prompt's figures, tables and its part of report.html: about 300 KB.
// The estimates stay a little under what is written, so that no run that fits is refused.
#include <cstdint>

namespace bertscope {

std::uint64_t record_bytes(std::uint64_t trials, int top_k);
std::uint64_t result_file_bytes(std::uint64_t trials, int top_k, std::uint64_t prompts);

}  // namespace bertscope
