#pragma once
// The logit lens as a figure: one row per residual state (embeddings, then each block's
// output), the top-k words the MLM head reads from the [MASK] row there in cells shaded by
// their probability (the target outlined); beside it, the target's log-prob per state.
#include <string>

#include "experiments/logit_lens.h"
#include "reports/plot_canvas.h"
#include "tokenizer/vocab.h"

namespace bertscope {

std::string lens_figure(const LensResult& lens, const Vocab& vocab, ImageFormat format);

}  // namespace bertscope
