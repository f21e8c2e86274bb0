#pragma once
// Finding NaN and infinity in weights. A checkpoint saved after training diverged, or
// damaged on the way, holds them; run through the model they turn every logit into NaN
// and every result file into garbage that looks like numbers, so loading refuses them.
#include <cstddef>
#include <optional>
#include <string>

namespace bertscope {

// Index of the first NaN or infinity among `count` floats, or nullopt when all are finite.
// Built to be cheap on the common all-finite case: one vectorised pass over the exponent
// bits, about 0.1 s for bert-large's 1.3 GB once the file is in the page cache.
std::optional<size_t> first_non_finite(const float* values, size_t count);

// "NaN", "inf" or "-inf".
std::string non_finite_name(float value);

}  // namespace bertscope
