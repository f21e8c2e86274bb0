#include "reports/font_face.h"

#include <ft2build.h>
#include FT_FREETYPE_H
#include FT_ADVANCES_H
#include FT_OUTLINE_H

#include <cmath>

#include "common/error.h"
#include "tokenizer/unicode_text.h"

#ifndef BERTSCOPE_FONT
#error "BERTSCOPE_FONT must name the figures' font file (CMakeLists.txt sets it)"
#endif

namespace bertscope {

namespace {

// FT_Outline_Decompose's callbacks: 26.6 fixed point to pixels, shifted by the pen.
struct Decomposer {
  OutlineSink* sink;
  double pen_x;
  double x(const FT_Vector* v) const { return pen_x + static_cast<double>(v->x) / 64.0; }
  static double y(const FT_Vector* v) { return static_cast<double>(v->y) / 64.0; }
  static Decomposer& of(void* user) { return *static_cast<Decomposer*>(user); }

  static int move_to(const FT_Vector* to, void* user) {
    of(user).sink->move_to(of(user).x(to), y(to));
    return 0;
  }
  static int line_to(const FT_Vector* to, void* user) {
    of(user).sink->line_to(of(user).x(to), y(to));
    return 0;
  }
  static int conic_to(const FT_Vector* c, const FT_Vector* to, void* user) {
    const Decomposer& d = of(user);
    d.sink->conic_to(d.x(c), y(c), d.x(to), y(to));
    return 0;
  }
  static int cubic_to(const FT_Vector* c1, const FT_Vector* c2, const FT_Vector* to, void* user) {
    const Decomposer& d = of(user);
    d.sink->cubic_to(d.x(c1), y(c1), d.x(c2), y(c2), d.x(to), y(to));
    return 0;
  }
};

// Calls `glyph_at(glyph index, pen position in font units)` for each character of
// `text`, kerning applied, and returns the advance of the whole text in font units.
template <class F>
FT_Pos lay_out(FT_Face face, std::string_view text, F&& glyph_at) {
  FT_Pos pen = 0;
  FT_UInt previous = 0;
  for (const char32_t cp : unicode::decode_utf8(text)) {
    const FT_UInt glyph = FT_Get_Char_Index(face, cp);
    FT_Vector kerning{0, 0};
    if (previous != 0 && glyph != 0 && FT_HAS_KERNING(face) &&
        FT_Get_Kerning(face, previous, glyph, FT_KERNING_UNSCALED, &kerning) == 0) {
      pen += kerning.x;
    }
    glyph_at(glyph, pen);
    FT_Fixed advance = 0;
    if (FT_Get_Advance(face, glyph, FT_LOAD_NO_SCALE, &advance) == 0) pen += advance;
    previous = glyph;
  }
  return pen;
}

}  // namespace

const char* default_font_file() { return BERTSCOPE_FONT; }

FontFace::FontFace(const std::string& path) {
  if (FT_Init_FreeType(&library_) != 0) throw Error("FreeType could not start (out of memory?)");
  if (FT_New_Face(library_, path.c_str(), 0, &face_) != 0 || !FT_IS_SCALABLE(face_)) {
    if (face_) FT_Done_Face(face_);
    FT_Done_FreeType(library_);
    throw Error("cannot read the font of the figures, " + path +
                ": install Debian's fonts-dejavu-core (scripts/setup-debian.sh), or configure with "
                "-DBERTSCOPE_FONT=<a .ttf file> to use another");
  }
  // The middle of a capital H: what centring text on a point means (labels beside ticks).
  if (FT_Load_Char(face_, 'H', FT_LOAD_NO_SCALE) == 0 && face_->units_per_EM > 0) {
    cap_middle_ = 0.5 * static_cast<double>(face_->glyph->metrics.height) / face_->units_per_EM;
  }
}

FontFace::~FontFace() {
  FT_Done_Face(face_);
  FT_Done_FreeType(library_);
}

double FontFace::text_width(std::string_view text, double size) const {
  const FT_Pos units = lay_out(face_, text, [](FT_UInt, FT_Pos) {});
  return static_cast<double>(units) * size / face_->units_per_EM;
}

void FontFace::outlines(std::string_view text, double size, bool hinted, OutlineSink& sink) const {
  if (!(size > 0) || !std::isfinite(size) || size > 10000) return;
  if (FT_Set_Char_Size(face_, 0, static_cast<FT_F26Dot6>(std::lround(size * 64)), 72, 72) != 0) return;
  const double pixels_per_unit = size / face_->units_per_EM;
  const FT_Int32 load = FT_LOAD_NO_BITMAP | (hinted ? FT_LOAD_TARGET_LIGHT : FT_LOAD_NO_HINTING);
  FT_Outline_Funcs funcs{};
  funcs.move_to = &Decomposer::move_to;
  funcs.line_to = &Decomposer::line_to;
  funcs.conic_to = &Decomposer::conic_to;
  funcs.cubic_to = &Decomposer::cubic_to;
  lay_out(face_, text, [&](FT_UInt glyph, FT_Pos pen) {
    if (FT_Load_Glyph(face_, glyph, load) != 0 || face_->glyph->format != FT_GLYPH_FORMAT_OUTLINE) return;
    Decomposer decomposer{&sink, static_cast<double>(pen) * pixels_per_unit};
    FT_Outline_Decompose(&face_->glyph->outline, &funcs, &decomposer);
  });
}

}  // namespace bertscope
