#pragma once
// The raster renderer of a figure: Anti-Grain Geometry's antialiased scanline rasterizer
// fills every shape, stroke and glyph outline (FreeType, through FontFace) into 8-bit RGB
// pixels, which libpng encodes. It is the same stack as matplotlib's default Agg backend.
#include <memory>

#include "reports/font_face.h"
#include "reports/plot_surface.h"

namespace bertscope {

// A figure laid out on `width` x `height` units with a white background, drawn at `scale`
// pixels per unit (2: a 2000-pixel-wide PNG of a 1000-unit figure, sharp on high-density
// screens and in print); finish() returns a PNG. `font` must outlive the surface.
std::unique_ptr<PlotSurface> make_raster_surface(int width, int height, const FontFace& font, int scale = 1);

}  // namespace bertscope
