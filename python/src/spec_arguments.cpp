#include "spec_arguments.h"

#include <cstdint>

#include "arguments.h"
#include "common/error.h"

namespace bertscope::python {

namespace py = pybind11;

namespace {

bool is_integer(py::handle value) { return PyIndex_Check(value.ptr()) && !PyBool_Check(value.ptr()); }

std::string type_name(py::handle value) { return py::str(py::type::handle_of(value).attr("__name__")).cast<std::string>(); }

// A Python value as the row's type. A wrong type is a TypeError, as Python's own; a value
// out of range is the table's OptionError (bertscope.Error).
OptionValue option_argument(const SpecOption& option, py::handle value) {
  const std::string name = option.name;
  const auto wrong = [&](const std::string& expected) {
    return py::type_error(name + " must be " + expected + ", not " + type_name(value));
  };
  switch (option.type) {
    case OptionType::Flag:
      if (!PyBool_Check(value.ptr())) throw wrong("True or False");
      return value.cast<bool>();
    case OptionType::Whole: {
      if (!is_integer(value)) throw wrong("an int");
      const py::int_ number(py::reinterpret_borrow<py::object>(value));
      if (number < py::int_(0) || number > py::int_(UINT64_MAX)) {
        throw OptionError(name, " must be " + expected_value(option) + ", not " + py::repr(number).cast<std::string>());
      }
      return static_cast<uint64_t>(number.cast<unsigned long long>());
    }
    case OptionType::Number:
      if (!is_integer(value) && !PyFloat_Check(value.ptr())) throw wrong("a number");
      return py::float_(py::reinterpret_borrow<py::object>(value)).cast<double>();
    case OptionType::Text:
    case OptionType::Choice:
      if (!py::isinstance<py::str>(value)) throw wrong("a str");
      return value.cast<std::string>();
    case OptionType::IndexList: return index_list_argument(value, name);
    case OptionType::Texts:
    case OptionType::Words: {
      if (!py::isinstance<py::list>(value) && !py::isinstance<py::tuple>(value)) throw wrong("a list of str");
      std::vector<std::string> texts;
      for (py::handle item : value) {
        if (!py::isinstance<py::str>(item)) throw wrong("a list of str");
        texts.push_back(item.cast<std::string>());
      }
      return texts;
    }
  }
  return {};
}

const char* type_word(OptionType type) {
  switch (type) {
    case OptionType::Flag: return "bool";
    case OptionType::Whole: return "int";
    case OptionType::Number: return "float";
    case OptionType::Text: return "str";
    case OptionType::Choice: return "choice";
    case OptionType::IndexList: return "index list";
    case OptionType::Texts:
    case OptionType::Words: return "list of str";
  }
  return "";
}

const char* level_word(OptionLevel level) {
  switch (level) {
    case OptionLevel::Experiment: return "experiment";
    case OptionLevel::Intervention: return "intervention";
    case OptionLevel::Distributions: return "distributions";
  }
  return "";
}

// The default as a Python value: None for an empty list or text that means "none given".
py::object python_default(const SpecOption& option) {
  const OptionValue value = default_value(option);
  if (std::string_view(option.name) == "factor") return py::none();  // per kind
  if (const bool* b = std::get_if<bool>(&value)) return py::bool_(*b);
  if (const uint64_t* w = std::get_if<uint64_t>(&value)) return py::int_(*w);
  if (const double* d = std::get_if<double>(&value)) return py::float_(*d);
  if (const std::string* s = std::get_if<std::string>(&value)) return s->empty() ? py::object(py::none()) : py::object(py::str(*s));
  const auto& texts = std::get<std::vector<std::string>>(value);
  return texts.empty() ? py::object(py::none()) : py::object(py::cast(texts));
}

}  // namespace

void apply_options(ExperimentSpec& spec, const py::dict& options, OptionUse use, const std::string& function) {
  // Every keyword is checked before any is set: the message names the first one given.
  for (const auto& [key, value] : options) {
    const std::string name = py::str(key).cast<std::string>();
    const SpecOption* option = find_spec_option(name);
    if (!option || !option->used_by(use)) {
      throw py::type_error(function + "() got an unexpected keyword argument '" + name + "'");
    }
    if (value.is_none()) continue;  // the default
    const OptionValue converted = option_argument(*option, value);
    InterventionSpec unused;
    if (option->level != OptionLevel::Intervention) {
      set_option(*option, converted, spec, unused);
      continue;
    }
    for (InterventionSpec& intervention : spec.interventions) set_option(*option, converted, spec, intervention);
  }
}

py::list options_table() {
  py::list rows;
  for (const SpecOption& option : spec_options()) {
    py::list commands;
    if (option.used_by(kUsedBySweep)) commands.append("sweep");
    if (option.used_by(kUsedByStats)) commands.append("stats");
    if (option.used_by(kUsedBySpec)) commands.append("spec");
    if (option.used_by(kUsedByPatchGrid)) commands.append("patch_grid");
    py::dict row;
    row["name"] = option.name;
    row["type"] = type_word(option.type);
    row["level"] = level_word(option.level);
    row["default"] = python_default(option);
    row["default_text"] = default_text(option);
    row["help"] = option.help;
    row["flag"] = option.cli_flag();
    row["commands"] = commands;
    if (option.type == OptionType::Whole) {
      row["min"] = py::int_(option.min);
      row["max"] = py::int_(option.max);
    }
    if (option.type == OptionType::Choice) {
      py::list choices;
      std::string_view rest = option.choices;
      while (!rest.empty()) {
        const size_t bar = rest.find('|');
        choices.append(std::string(rest.substr(0, bar)));
        rest = bar == std::string_view::npos ? "" : rest.substr(bar + 1);
      }
      row["choices"] = choices;
    }
    rows.append(row);
  }
  return rows;
}

std::string options_doc(OptionUse use) {
  std::string doc;
  for (const SpecOption& option : spec_options()) {
    if (!option.used_by(use)) continue;
    const std::string shown = default_text(option);
    doc += std::string(option.name) + ": " + option.help + (shown.empty() || shown == "[]" ? "" : " (default " + shown + ")") + ".\n";
  }
  return doc;
}

}  // namespace bertscope::python
