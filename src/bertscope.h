#pragma once
// bertscope's engine in one include, for programs that use it as a library:
//   #include <bertscope/bertscope.h>     with   target_link_libraries(app PRIVATE bertscope::engine)
// Each header below says what its part does; the layers are listed in src/CMakeLists.txt.
#include "model/encoder.h"          // load a checkpoint of any family, forward passes, MLM logits
#include "model/hook_site.h"        // the named hook sites ("blocks.3.out", ...)
#include "model/hooks.h"            // read or edit activations during a forward pass
#include "model/predictions.h"      // log-softmax, top-k, rank
#include "model/token_batch.h"      // one or several (padded) token sequences
#include "tokenizer/tokenizer.h"    // HF BertTokenizer, exactly
#include "interventions/intervention.h"  // the edits (shuffle, noise, scale, ...) as data
#include "experiments/sweep.h"      // interventions over layers x seeded trials
#include "experiments/experiment.h" // experiment specs (TOML) and their results
