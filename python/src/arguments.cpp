#include "arguments.h"

#include <cstdint>

#include "errors.h"
#include "experiments/prompt_spec.h"
#include "model/site_patterns.h"

namespace bertscope::python {

namespace py = pybind11;

std::string path_argument(py::handle value, const char* name) {
  if (value.is_none()) return "";
  if (!py::isinstance<py::str>(value) && !py::hasattr(value, "__fspath__")) {
    throw py::type_error(std::string(name) + " must be a str or os.PathLike, not " +
                         py::str(py::type::handle_of(value).attr("__name__")).cast<std::string>());
  }
  // No shell expands "~" here: do it as one would expect of "~/.cache/huggingface/hub/...".
  const py::module_ path = py::module_::import("os.path");
  return path.attr("expanduser")(py::module_::import("os").attr("fspath")(value)).cast<std::string>();
}

Texts encode_texts(const Encoder& model, py::handle texts) {
  Texts out;
  std::vector<std::vector<int>> sequences;
  const Tokenizer& tokenizer = model.tokenizer();
  if (py::isinstance<py::str>(texts)) {
    const std::string text = texts.cast<std::string>();
    check_prompt_text(text, "text", "text");  // its bytes before its tokens
    sequences.push_back(tokenizer.encode(text).ids);
  } else if (py::isinstance<py::list>(texts) || py::isinstance<py::tuple>(texts)) {
    out.single = false;
    for (py::handle text : texts) {
      if (!py::isinstance<py::str>(text)) throw py::type_error("texts must be a str or a list of str");
      const std::string one = text.cast<std::string>();
      check_prompt_text(one, "texts[" + std::to_string(sequences.size()) + "]", "text");
      sequences.push_back(tokenizer.encode(one).ids);
    }
    if (sequences.empty()) fail("no text given: pass a str or a non-empty list of str");
  } else {
    throw py::type_error("text must be a str or a list of str");
  }
  out.tokens = TokenBatch::padded(sequences, tokenizer.vocab().pad_id());
  model.validate(out.tokens);
  return out;
}

namespace {

// int, numpy integers and anything else with __index__; bool is not a layer.
bool is_integer(py::handle value) { return PyIndex_Check(value.ptr()) && !PyBool_Check(value.ptr()); }
// Its value, or a bertscope.Error naming the argument when it does not fit a C++ int (no
// layer, position or head is that large; pybind11 would say only "Unable to cast").
long long integer(py::handle value, const std::string& name) {
  const py::int_ number(py::reinterpret_borrow<py::object>(value));
  if (number < py::int_(INT32_MIN) || number > py::int_(INT32_MAX)) {
    fail(name + ": " + py::repr(number).cast<std::string>() + " is out of range");
  }
  return number.cast<long long>();
}

std::string join_ints(py::handle list, const std::string& name) {
  std::string text;
  for (py::handle item : list) {
    if (!is_integer(item)) throw py::type_error(name + " must be a str or a list of int");
    text += (text.empty() ? "" : ",") + std::to_string(integer(item, name));
  }
  if (text.empty()) fail(name + " is an empty list");
  return text;
}

}  // namespace

std::vector<HookSite> sites_argument(const Encoder& model, py::handle sites, const std::vector<HookSite>& fallback) {
  if (sites.is_none()) return fallback;
  if (py::isinstance<py::str>(sites)) return resolve_sites(model, {sites.cast<std::string>()});
  std::vector<std::string> names;
  for (py::handle name : sites) {
    if (!py::isinstance<py::str>(name)) throw py::type_error("sites must be a site name or pattern, or a list of them");
    names.push_back(name.cast<std::string>());
  }
  return resolve_sites(model, names);
}

std::string index_list_argument(py::handle value, const std::string& name) {
  if (py::isinstance<py::str>(value)) return value.cast<std::string>();
  if (is_integer(value)) return std::to_string(integer(value, name));
  if (py::isinstance<py::iterable>(value)) return join_ints(value, name);
  throw py::type_error(name + " must be a str like \"3,5\" or \"0-5\", an int or a list of int");
}

}  // namespace bertscope::python
