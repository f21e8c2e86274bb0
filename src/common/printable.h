#pragma once
// Text from files and command lines (tensor names, vocabulary lines, prompts) ends up in
// error messages. Printed raw, a newline breaks the one-line error contract and an escape
// sequence from a hostile file reaches the user's terminal; this makes it safe to print.
#include <string>
#include <string_view>

namespace bertscope {

// `text` with control characters (C0, DEL, C1) escaped as \n, \r, \t or \xNN / \u0085,
// and each byte of invalid UTF-8 as \xNN. Valid printable UTF-8 is kept as is.
std::string printable(std::string_view text);

// The byte offset of the first byte that is not part of well-formed UTF-8, or npos.
size_t invalid_utf8_at(std::string_view text);
// The byte offset of the first control character (C0, DEL, C1) in well-formed UTF-8 `text`, or npos.
size_t control_character_at(std::string_view text);

}  // namespace bertscope
