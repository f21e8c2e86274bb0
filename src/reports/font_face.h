#pragma once
// The one font of every figure, DejaVu Sans, read with FreeType: layout measures labels
// with it (legends, how far an axis title sits from its tick labels) and the PNG draws
// its glyph outlines, so a label is exactly as wide as layout assumed. The SVG names the
// same font, so a browser that has it (any with fonts-dejavu-core) lays text out alike.
#include <string>
#include <string_view>

struct FT_LibraryRec_;
struct FT_FaceRec_;

namespace bertscope {

// Receives glyph outlines, in pixels with y pointing up (FreeType's orientation). Contours
// start with move_to and are closed implicitly; conic_to is a quadratic Bezier.
class OutlineSink {
 public:
  virtual ~OutlineSink() = default;
  virtual void move_to(double x, double y) = 0;
  virtual void line_to(double x, double y) = 0;
  virtual void conic_to(double cx, double cy, double x, double y) = 0;
  virtual void cubic_to(double c1x, double c1y, double c2x, double c2y, double x, double y) = 0;
};

// The font file figures use: BERTSCOPE_FONT of the build (CMake cache variable), by
// default Debian's DejaVu Sans.
const char* default_font_file();

class FontFace {
 public:
  // Throws Error naming the file and the Debian package that has it when it cannot be read.
  explicit FontFace(const std::string& path = default_font_file());
  ~FontFace();
  FontFace(const FontFace&) = delete;
  FontFace& operator=(const FontFace&) = delete;

  // Advance width in pixels of UTF-8 `text` at `size` pixels per em, kerning included.
  double text_width(std::string_view text, double size) const;

  // The outlines of `text` at `size` pixels per em, with the pen starting at (0, 0) on the
  // baseline (the caller's transform places and turns them). `hinted`: fit horizontal
  // stems and the baseline to the pixel grid (FreeType's light hinting), for text drawn
  // unrotated at a whole-pixel baseline; it never changes the advances, so the text is as
  // wide as text_width() says either way.
  void outlines(std::string_view text, double size, bool hinted, OutlineSink& sink) const;

  // Distance from the baseline to the middle of a capital letter, per em: text centred
  // on a point puts its baseline this far below it.
  double cap_middle() const { return cap_middle_; }

 private:
  FT_LibraryRec_* library_ = nullptr;
  FT_FaceRec_* face_ = nullptr;
  double cap_middle_ = 0.36;
};

}  // namespace bertscope
