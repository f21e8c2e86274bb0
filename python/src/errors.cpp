#include "errors.h"

#include <exception>

#include "common/error.h"
#include "common/printable.h"
#include "module.h"

namespace bertscope::python {

void fail(const std::string& message) { throw Error(message); }

void register_errors(py::module_& m) {
  static PyObject* error_type = nullptr;
  auto& type = py::register_exception<Error>(m, "Error", PyExc_ValueError);
  type.doc() =
      "A bad model file, option, prompt or spec. The message is the one line the bertscope CLI\n"
      "prints after 'bertscope: error: ' for the same mistake (file contents and prompts quoted\n"
      "with control characters escaped). A subclass of ValueError.";
  error_type = type.ptr();
  // Registered after register_exception's own translator, so it is tried first: the message
  // goes through printable() as the CLI's does, so it stays one line.
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const OptionError& e) {
      // Named as the Python keyword or spec key, not as the command line's flag.
      const int i = e.intervention();
      const std::string where = i >= 0 ? "interventions[" + std::to_string(i) + "]." : "";
      PyErr_SetString(error_type, printable(e.worded(where + e.option())).c_str());
    } catch (const Error& e) {
      PyErr_SetString(error_type, printable(e.what()).c_str());
    }
  });
}

}  // namespace bertscope::python
