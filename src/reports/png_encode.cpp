#include "reports/png_encode.h"

#include <png.h>

#include "common/error.h"

namespace bertscope {

// libpng's simplified API reports errors through its return value and image.message, not
// the setjmp/longjmp of the full API, which must not jump across C++ frames.
std::string encode_png_rgb(const uint8_t* rgb, int width, int height, int stride) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  image.width = static_cast<png_uint_32>(width);
  image.height = static_cast<png_uint_32>(height);
  image.format = PNG_FORMAT_RGB;
  // First the size, then the bytes.
  png_alloc_size_t size = 0;
  if (!png_image_write_to_memory(&image, nullptr, &size, 0, rgb, stride, nullptr)) {
    throw Error(std::string("libpng could not encode a figure: ") + image.message);
  }
  std::string bytes(size, '\0');
  if (!png_image_write_to_memory(&image, bytes.data(), &size, 0, rgb, stride, nullptr)) {
    throw Error(std::string("libpng could not encode a figure: ") + image.message);
  }
  bytes.resize(size);
  return bytes;
}

}  // namespace bertscope
