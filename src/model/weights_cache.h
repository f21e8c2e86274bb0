#pragma once
// The packed-weights cache: the matmul weights of a model, converted and reordered into the
// kernels' layout once, written under the user's cache folder and mapped read-only and shared
// by every later load (weights/packed_weights.h), so that loading costs about what mapping
// the file costs and N processes on a machine hold one copy of the weights.
//
// One file per model folder and precision:
//   $XDG_CACHE_HOME/bertscope/weights/<hash of the model folder's path>-<f32|bf16>.weights
// ($HOME/.cache when XDG_CACHE_HOME is unset). It records what it was made from (the cache
// format, bertscope's version, oneDNN's version and ISA, and each model file's name, size,
// times, inode and device); a file made from anything else is rebuilt in place, never used.
#include <memory>
#include <string>

#include "kernels/linear.h"
#include "model/encoder_weights.h"
#include "model/family.h"
#include "model/model_config.h"
#include "weights/model_dir.h"

namespace bertscope {

struct WeightsCacheOptions {
  // Where the cache files go; empty: no cache (every load prepares the weights itself).
  std::string folder;

  // On, under $XDG_CACHE_HOME/bertscope/weights or $HOME/.cache/bertscope/weights, unless
  // BERTSCOPE_WEIGHTS_CACHE is "off" (or 0, false, no); off when neither variable is set.
  static WeightsCacheOptions from_env();
  static WeightsCacheOptions off() { return {}; }
  bool enabled() const { return !folder.empty(); }
};

// The cache file of `files` at `precision`, and the identity it must record.
std::string weights_cache_file(const WeightsCacheOptions& cache, const ModelFiles& files, MatmulPrecision precision);
std::string weights_cache_identity(const ModelFiles& files, MatmulPrecision precision);

// The model's weights, through the cache when `cache` is enabled: mapped from a valid cache
// file; else prepared from the model and written to the cache (under a lock, so concurrent
// loads of one model prepare it once). A damaged, foreign or stale cache file is reported on
// one line of stderr and rebuilt; a cache folder that cannot be written is reported once and
// the load goes on without it. Errors in the model itself throw as without the cache.
std::shared_ptr<const EncoderWeights> load_weights(const ModelFiles& files, const ModelConfig& config,
                                                   const TensorNames& names, MatmulPrecision precision,
                                                   const WeightsCacheOptions& cache);

}  // namespace bertscope
