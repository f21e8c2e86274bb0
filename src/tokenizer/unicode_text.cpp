#include "tokenizer/unicode_text.h"

#include <utf8proc.h>

#include <cstdint>
#include <cstdlib>
#include <vector>

namespace bertscope::unicode {

namespace {

constexpr char32_t kMaxCodePoint = 0x10FFFF;

utf8proc_category_t category(char32_t cp) {
  // utf8proc reads its tables with the code point as an index: keep it in range.
  if (cp > kMaxCodePoint) return UTF8PROC_CATEGORY_CN;
  return utf8proc_category(static_cast<utf8proc_int32_t>(cp));
}

bool is_continuation(unsigned char b, unsigned char lo = 0x80, unsigned char hi = 0xBF) {
  return b >= lo && b <= hi;
}

}  // namespace

namespace {

// Reads one code point at bytes[i] and advances i. On an ill-formed sequence it
// returns false and advances past its maximal subpart only, so that the offending
// byte starts the next sequence.
bool decode_step(std::string_view bytes, size_t& i, char32_t& cp) {
  const size_t n = bytes.size();
  const auto b0 = static_cast<unsigned char>(bytes[i++]);
  if (b0 < 0x80) {
    cp = b0;
    return true;
  }
  int need = 0;                        // continuation bytes after the lead
  unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the first continuation
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    need = 1;
    cp = b0 & 0x1Fu;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    need = 2;
    cp = b0 & 0x0Fu;
    if (b0 == 0xE0) lo = 0xA0;  // overlong
    if (b0 == 0xED) hi = 0x9F;  // surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    need = 3;
    cp = b0 & 0x07u;
    if (b0 == 0xF0) lo = 0x90;  // overlong
    if (b0 == 0xF4) hi = 0x8F;  // above U+10FFFF
  } else {
    return false;
  }
  for (int k = 0; k < need; ++k) {
    const unsigned char want_lo = k == 0 ? lo : 0x80;
    const unsigned char want_hi = k == 0 ? hi : 0xBF;
    if (i >= n || !is_continuation(static_cast<unsigned char>(bytes[i]), want_lo, want_hi)) {
      return false;
    }
    cp = (cp << 6) | (static_cast<unsigned char>(bytes[i++]) & 0x3Fu);
  }
  return true;
}

}  // namespace

std::u32string decode_utf8(std::string_view bytes) {
  std::u32string out;
  out.reserve(bytes.size());
  size_t i = 0;
  char32_t cp = 0;
  while (i < bytes.size()) out.push_back(decode_step(bytes, i, cp) ? cp : kReplacement);
  return out;
}

bool is_valid_utf8(std::string_view bytes) {
  size_t i = 0;
  char32_t cp = 0;
  while (i < bytes.size()) {
    if (!decode_step(bytes, i, cp)) return false;
  }
  return true;
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp > kMaxCodePoint || (cp >= 0xD800 && cp <= 0xDFFF)) cp = kReplacement;
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

std::string encode_utf8(std::u32string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char32_t cp : text) append_utf8(out, cp);
  return out;
}

bool is_bert_whitespace(char32_t cp) {
  if (cp == U' ' || cp == U'\t' || cp == U'\n' || cp == U'\r') return true;
  return category(cp) == UTF8PROC_CATEGORY_ZS;
}

bool is_bert_control(char32_t cp) {
  if (cp == U'\t' || cp == U'\n' || cp == U'\r') return false;
  switch (category(cp)) {
    case UTF8PROC_CATEGORY_CN:  // unassigned: Python's category() says "Cn" too
    case UTF8PROC_CATEGORY_CC:
    case UTF8PROC_CATEGORY_CF:
    case UTF8PROC_CATEGORY_CS:
    case UTF8PROC_CATEGORY_CO:
      return true;
    default:
      return false;
  }
}

bool is_bert_punctuation(char32_t cp) {
  // HF counts all non-alphanumeric ASCII as punctuation ("$", "^", "`" are not P*).
  if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) ||
      (cp >= 123 && cp <= 126)) {
    return true;
  }
  switch (category(cp)) {
    case UTF8PROC_CATEGORY_PC:
    case UTF8PROC_CATEGORY_PD:
    case UTF8PROC_CATEGORY_PS:
    case UTF8PROC_CATEGORY_PE:
    case UTF8PROC_CATEGORY_PI:
    case UTF8PROC_CATEGORY_PF:
    case UTF8PROC_CATEGORY_PO:
      return true;
    default:
      return false;
  }
}

bool is_cjk_ideograph(char32_t cp) {
  return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
         (cp >= 0x20000 && cp <= 0x2A6DF) || (cp >= 0x2A700 && cp <= 0x2B73F) ||
         (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B820 && cp <= 0x2CEAF) ||
         (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}

bool is_python_space(char32_t cp) {
  // Python's list: bidirectional class WS, B or S, or category Zs.
  if ((cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x20) || cp == 0x85 || cp == 0xA0 ||
      cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 ||
      cp == 0x202F || cp == 0x205F || cp == 0x3000) {
    return true;
  }
  return category(cp) == UTF8PROC_CATEGORY_ZS;
}

std::u32string to_lower(std::u32string_view text) {
  std::u32string out;
  out.reserve(text.size());
  for (const char32_t cp : text) {
    if (cp == 0x0130) {
      // The one unconditional multi-character lowercase mapping (SpecialCasing.txt).
      out.push_back(U'i');
      out.push_back(0x0307);
    } else if (cp > kMaxCodePoint) {
      out.push_back(cp);
    } else {
      out.push_back(static_cast<char32_t>(utf8proc_tolower(static_cast<utf8proc_int32_t>(cp))));
    }
  }
  return out;
}

std::u32string strip_accents(std::u32string_view text) {
  // utf8proc_decompose applies canonical ordering, which per-character decomposition
  // would miss; it takes UTF-8, and ours is always well formed.
  const std::string utf8 = encode_utf8(text);
  const auto* str = reinterpret_cast<const utf8proc_uint8_t*>(utf8.data());
  const auto len = static_cast<utf8proc_ssize_t>(utf8.size());
  const auto options = static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_DECOMPOSE);
  std::vector<utf8proc_int32_t> buffer(text.size() + 4);
  utf8proc_ssize_t count =
      utf8proc_decompose(str, len, buffer.data(), static_cast<utf8proc_ssize_t>(buffer.size()), options);
  if (count > static_cast<utf8proc_ssize_t>(buffer.size())) {
    buffer.resize(static_cast<size_t>(count));
    count = utf8proc_decompose(str, len, buffer.data(), count, options);
  }
  std::u32string out;
  if (count < 0) {
    // Cannot happen on well-formed input; keep the text rather than lose it.
    out.assign(text);
    return out;
  }
  out.reserve(static_cast<size_t>(count));
  for (utf8proc_ssize_t k = 0; k < count; ++k) {
    const auto cp = static_cast<char32_t>(buffer[static_cast<size_t>(k)]);
    if (category(cp) != UTF8PROC_CATEGORY_MN) out.push_back(cp);
  }
  return out;
}

}  // namespace bertscope::unicode

namespace bertscope::unicode {

bool is_white_space(char32_t cp) {
  return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
         (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F ||
         cp == 0x3000;
}

bool is_numeric(char32_t cp) {
  const utf8proc_category_t c = category(cp);
  return c == UTF8PROC_CATEGORY_ND || c == UTF8PROC_CATEGORY_NL || c == UTF8PROC_CATEGORY_NO;
}

bool is_mark(char32_t cp) {
  const utf8proc_category_t c = category(cp);
  return c == UTF8PROC_CATEGORY_MN || c == UTF8PROC_CATEGORY_MC || c == UTF8PROC_CATEGORY_ME;
}

bool is_nonspacing_mark(char32_t cp) { return category(cp) == UTF8PROC_CATEGORY_MN; }

bool is_word_char(char32_t cp) {
  if (cp == 0x200C || cp == 0x200D) return true;  // Join_Control
  switch (category(cp)) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
    case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC:
    case UTF8PROC_CATEGORY_ME:
    case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_PC:
      return true;
    default:
      return false;
  }
}

std::string normalize(std::string_view utf8, NormalForm form) {
  int options = UTF8PROC_STABLE;
  switch (form) {
    case NormalForm::NFC: options |= UTF8PROC_COMPOSE; break;
    case NormalForm::NFD: options |= UTF8PROC_DECOMPOSE; break;
    case NormalForm::NFKC: options |= UTF8PROC_COMPOSE | UTF8PROC_COMPAT; break;
    case NormalForm::NFKD: options |= UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT; break;
  }
  utf8proc_uint8_t* mapped = nullptr;
  const utf8proc_ssize_t length =
      utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(utf8.data()), static_cast<utf8proc_ssize_t>(utf8.size()),
                   &mapped, static_cast<utf8proc_option_t>(options));
  // Fails only on ill-formed input, which callers never pass: keep the text unchanged then.
  if (length < 0) return std::string(utf8);
  std::string out(reinterpret_cast<const char*>(mapped), static_cast<size_t>(length));
  std::free(mapped);
  return out;
}

char32_t next_code_point(std::string_view bytes, size_t& i) {
  char32_t cp = 0;
  return decode_step(bytes, i, cp) ? cp : kReplacement;
}

size_t utf8_length(unsigned char lead) {
  if (lead >= 0xF0) return 4;
  if (lead >= 0xE0) return 3;
  if (lead >= 0xC0) return 2;
  return 1;
}

std::vector<size_t> grapheme_starts(std::string_view utf8) {
  std::vector<size_t> starts;
  utf8proc_int32_t state = 0;
  char32_t previous = 0;
  size_t i = 0;
  while (i < utf8.size()) {
    size_t next = i;
    char32_t cp = 0;
    if (!decode_step(utf8, next, cp)) cp = kReplacement;
    if (i == 0 || utf8proc_grapheme_break_stateful(static_cast<utf8proc_int32_t>(previous),
                                                   static_cast<utf8proc_int32_t>(cp), &state)) {
      starts.push_back(i);
    }
    previous = cp;
    i = next;
  }
  starts.push_back(utf8.size());
  return starts;
}

}  // namespace bertscope::unicode
