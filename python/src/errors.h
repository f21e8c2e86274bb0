#pragma once
// bertscope.Error: every user-facing failure of the engine (bertscope::Error) reaches Python
// as this ValueError subclass, with the message the CLI prints after "bertscope: error: ".
#include <string>

namespace bertscope::python {

// Throws bertscope::Error(message), which the module translates to bertscope.Error: for the
// checks of Python arguments that the CLI makes while parsing its options.
[[noreturn]] void fail(const std::string& message);

}  // namespace bertscope::python
