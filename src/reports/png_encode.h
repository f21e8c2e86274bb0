#pragma once
// Pixels to the bytes of a PNG file, in memory: the raster figures are written with the
// rest of a run's output (atomically, by the caller), never straight to a file.
#include <cstdint>
#include <string>

namespace bertscope {

// `rgb`: `height` rows of `width` pixels, 3 bytes each (red, green, blue), `stride` bytes
// from one row to the next. Throws Error if libpng cannot encode them.
std::string encode_png_rgb(const uint8_t* rgb, int width, int height, int stride);

}  // namespace bertscope
