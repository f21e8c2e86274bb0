#pragma once
// How a sweep's trials are cut into batches. Every trial starts at a block (the block
// after its edit) from a saved clean state of its prompt, which has its own length. A
// batch runs as a wavefront: it starts at its earliest start block and each trial joins
// it at its own, so each block's weights are read once per batch. Trials of different
// prompts share a batch, right-padded to its longest prompt.
//
// The plan keeps padding small while batches stay large: trials are ordered by windows of a
// few start blocks and by length within a window (ascending and descending in turn, so that
// a batch straddling two windows joins long prompts with long ones), so a batch holds
// prompts of about one length, from a few start blocks. A batch holds at most
// max_batch_tokens rows (trials x padded length; one trial if it alone is longer), which
// bounds memory.
#include <cstddef>
#include <vector>

namespace bertscope {

struct WavefrontTrial {
  int start_block = 0;
  int length = 0;  // tokens of its prompt
};

struct WavefrontBatch {
  std::vector<size_t> trials;  // indices into the planned trials, by start block (joining order)
  int seq = 0;                 // padded length: the longest prompt of the batch
};

// `same_length`: no padding, each batch holds prompts of one length only (edits of
// attention scores or patterns, whose rows are as long as the prompt).
std::vector<WavefrontBatch> plan_wavefront(const std::vector<WavefrontTrial>& trials, int max_batch_tokens,
                                           bool same_length);

}  // namespace bertscope
