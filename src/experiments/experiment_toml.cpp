// Reading an ExperimentSpec from TOML (toml++). Every key is checked: unknown keys and
// wrong types are errors that name the file, the line and the key.
#include <charconv>
#include <cmath>
#include <filesystem>
#include <set>
#include <toml++/toml.h>

#include "common/error.h"
#include "common/read_file.h"
#include "experiments/experiment.h"
#include "experiments/prompt_file.h"
#include "experiments/spec_options.h"
#include "experiments/toml_nesting.h"

namespace bertscope {

namespace {

class TableReader {
 public:
  TableReader(const toml::table& table, std::string origin, std::string where)
      : table_(table), origin_(std::move(origin)), where_(std::move(where)) {}

  template <typename T>
  void read(const std::string& key, T& into) {
    seen_.insert(key);
    const toml::node* node = table_.get(key);
    if (!node) return;
    if constexpr (std::is_same_v<T, std::string>) {
      if (auto v = node->value<std::string>()) return void(into = *v);
      fail(*node, key, "must be a string");
    } else if constexpr (std::is_same_v<T, bool>) {
      if (auto v = node->value<bool>()) return void(into = *v);
      fail(*node, key, "must be true or false");
    } else if constexpr (std::is_floating_point_v<T>) {
      if (auto v = node->value<double>()) return void(into = static_cast<T>(*v));
      fail(*node, key, "must be a number");
    } else {
      // value_exact: integers only. value<int64_t>() also converts a float that it thinks
      // integral, with a cast that is undefined behaviour above 2^63 (toml++ 3.3; found by
      // spec_fuzzer with "top = 92233720368547758074.0").
      const auto v = node->value_exact<int64_t>();
      if (!v || *v < 0 || static_cast<uint64_t>(*v) > static_cast<uint64_t>(std::numeric_limits<T>::max())) {
        fail(*node, key, "must be a non-negative whole number in range");
      }
      into = static_cast<T>(*v);
    }
  }
  // Reads a list of indices given as a string ("3,5") or an array (into "3,5").
  void read_list(const std::string& key, std::string& into, const std::string& items, const std::string& expected) {
    seen_.insert(key);
    const toml::node* node = table_.get(key);
    if (!node) return;
    if (auto s = node->value<std::string>()) return void(into = *s);
    if (const toml::array* array = node->as_array()) {
      into.clear();
      for (const toml::node& item : *array) {
        const auto v = item.value_exact<int64_t>();  // integers only, as above
        if (!v) fail(item, key, "must hold " + items);
        into += (into.empty() ? "" : ",") + std::to_string(*v);
      }
      return;
    }
    fail(*node, key, "must be " + expected);
  }
  // Reads an array of strings.
  void read_strings(const std::string& key, std::vector<std::string>& into) {
    seen_.insert(key);
    const toml::node* node = table_.get(key);
    if (!node) return;
    const toml::array* array = node->as_array();
    if (!array) fail(*node, key, "must be an array of strings");
    for (const toml::node& item : *array) {
      const auto v = item.value<std::string>();
      if (!v) fail(item, key, "must hold strings");
      into.push_back(*v);
    }
  }
  // Reads an option of the table (experiments/spec_options.h) into the spec: its type from the
  // table, its errors naming the file, the line and the key.
  void read_option(const SpecOption& option, ExperimentSpec& spec, InterventionSpec& intervention) {
    const std::string key = option.name;
    seen_.insert(key);
    const toml::node* node = table_.get(key);
    if (!node) return;
    OptionValue value;
    switch (option.type) {
      case OptionType::Flag: {
        bool v = false;
        read(key, v);
        value = v;
        break;
      }
      case OptionType::Whole: {
        uint64_t v = 0;
        read(key, v);
        value = v;
        break;
      }
      case OptionType::Number: {
        double v = 0.0;
        read(key, v);
        value = v;
        break;
      }
      case OptionType::Text:
      case OptionType::Choice: {
        std::string v;
        read(key, v);
        value = v;
        break;
      }
      case OptionType::IndexList: {
        std::string v;
        read_list(key, v, "whole numbers", expected_value(option));
        value = v;
        break;
      }
      case OptionType::Texts:
      case OptionType::Words: {
        std::vector<std::string> v;
        read_strings(key, v);
        value = v;
        break;
      }
    }
    try {
      set_option(option, value, spec, intervention);
    } catch (const OptionError& e) {
      const auto line = node->source().begin.line;
      throw Error(origin_ + ":" + std::to_string(line) + ": " + e.worded(where_ + key));
    }
  }
  // Reads every option of `level` that a spec may hold.
  void read_options(OptionLevel level, ExperimentSpec& spec, InterventionSpec& intervention) {
    for (const SpecOption& option : spec_options()) {
      if (option.level == level && option.used_by(kUsedBySpec)) read_option(option, spec, intervention);
    }
  }
  const toml::node* take(const std::string& key) {
    seen_.insert(key);
    return table_.get(key);
  }
  void reject_unknown_keys() const {
    for (const auto& [key, node] : table_) {
      if (!seen_.count(std::string(key.str()))) fail(node, std::string(key.str()), "is not a known key");
    }
  }
  [[noreturn]] void fail(const toml::node& node, const std::string& key, const std::string& why) const {
    const auto line = node.source().begin.line;
    throw Error(origin_ + ":" + std::to_string(line) + ": " + where_ + key + " " + why);
  }

 private:
  const toml::table& table_;
  std::string origin_, where_;
  std::set<std::string> seen_;
};

InterventionSpec read_intervention(const toml::table& table, const std::string& origin, size_t index) {
  TableReader r(table, origin, "interventions[" + std::to_string(index) + "].");
  std::string kind;
  r.read("kind", kind);
  const auto parsed = InterventionSpec::parse_kind(kind);
  if (!parsed) {
    throw Error(origin + ": interventions[" + std::to_string(index) + "].kind '" + kind +
                "' is not one of " + InterventionSpec::kind_list());
  }
  InterventionSpec spec = InterventionSpec::of_kind(*parsed);
  if (table.contains("factor") && !spec.uses_factor()) {
    throw Error(origin + ": interventions[" + std::to_string(index) + "].factor is only used by " + InterventionSpec::factor_kinds() + ", not by " +
                kind);
  }
  ExperimentSpec unused;
  r.read_options(OptionLevel::Intervention, unused, spec);
  r.reject_unknown_keys();
  return spec;
}

// A path written in a spec, relative to the spec's folder (absolute ones stay as they are).
void resolve_against(const std::string& folder, std::string& path) {
  if (path.empty() || folder.empty() || path == "-" || std::filesystem::path(path).is_absolute()) return;
  path = (std::filesystem::path(folder) / path).lexically_normal().string();
}

}  // namespace

ExperimentSpec ExperimentSpec::parse_toml(const std::string& text, const std::string& origin, const std::string& folder) {
  check_toml_nesting(text, origin);  // before toml++, which recurses per level
  toml::table root;
  try {
    root = toml::parse(text, origin);
  } catch (const toml::parse_error& e) {
    throw Error(origin + ":" + std::to_string(e.source().begin.line) + ": " + std::string(e.description()));
  }
  ExperimentSpec spec;
  TableReader r(root, origin, "");
  r.read("name", spec.name);
  r.read("model", spec.model);
  r.read("out", spec.out);
  r.read("prompts_file", spec.prompts_file);
  InterventionSpec unused;
  r.read_options(OptionLevel::Experiment, spec, unused);

  if (const toml::node* prompts = r.take("prompts")) {
    const toml::array* array = prompts->as_array();
    if (!array || !array->is_array_of_tables()) r.fail(*prompts, "prompts", "must be [[prompts]] tables");
    for (size_t i = 0; i < array->size(); ++i) {
      TableReader p(*array->get(i)->as_table(), origin, "prompts[" + std::to_string(i) + "].");
      PromptSpec prompt;
      p.read("text", prompt.text);
      p.read("target", prompt.target);
      p.read("foil", prompt.foil);
      p.read("other_prompt", prompt.other_prompt);
      p.read("id", prompt.id);
      p.reject_unknown_keys();
      if (prompt.text.empty()) throw Error(origin + ": prompts[" + std::to_string(i) + "].text is missing");
      spec.prompts.push_back(prompt);
    }
    assign_prompt_ids(spec.prompts, [&](size_t i) { return origin + ": prompts[" + std::to_string(i) + "]"; });
  }
  if (const toml::node* interventions = r.take("interventions")) {
    const toml::array* array = interventions->as_array();
    if (!array || !array->is_array_of_tables()) r.fail(*interventions, "interventions", "must be [[interventions]] tables");
    for (size_t i = 0; i < array->size(); ++i) spec.interventions.push_back(read_intervention(*array->get(i)->as_table(), origin, i));
  }
  if (const toml::node* distributions = r.take("distributions")) {
    const toml::table* table = distributions->as_table();
    if (!table) r.fail(*distributions, "distributions", "must be a [distributions] table");
    spec.distributions = true;
    TableReader d(*table, origin, "distributions.");
    d.read_options(OptionLevel::Distributions, spec, unused);
    d.reject_unknown_keys();
  }
  r.reject_unknown_keys();
  for (std::string* path : {&spec.model, &spec.out, &spec.prompts_file}) resolve_against(folder, *path);
  // Files an intervention reads: "units.csv:him" resolves its path part.
  auto resolve_selector = [&folder](std::string& selector, const char* option) {
    if (selector.empty()) return;
    if (selector.ends_with(".npy")) return resolve_against(folder, selector);
    auto [path, label] = InterventionSpec::split_units_file(selector, option);
    resolve_against(folder, path);
    selector = path + ":" + label;
  };
  for (InterventionSpec& i : spec.interventions) {
    resolve_selector(i.units_file, "units_file");
    resolve_selector(i.direction_file, "direction_file");
    resolve_against(folder, i.basis_file);
  }
  if (!spec.prompts_file.empty()) {
    // One source of prompts: ids numbered from 1 in two places would collide.
    if (!spec.prompts.empty()) throw Error(origin + ": give [[prompts]] or prompts_file, not both");
    // The spec is named first, as in every error about a spec: the file it points to may
    // be the one that is missing.
    try {
      spec.prompts = read_prompt_file(spec.prompts_file);
    } catch (const Error& e) {
      throw Error(origin + ": prompts_file: " + e.what());
    }
  }
  if (spec.out.empty()) spec.out = "out/" + spec.name;
  try {
    spec.validate();
  } catch (const OptionError& e) {
    const int i = e.intervention();
    throw Error(origin + ": " + e.worded((i >= 0 ? "interventions[" + std::to_string(i) + "]." : std::string()) + e.option()));
  } catch (const Error& e) {
    throw Error(origin + ": " + e.what());
  }
  return spec;
}

namespace {

// A TOML basic string: quotes, backslashes and control characters escaped.
std::string toml_string(const std::string& text) {
  std::string out = "\"";
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (byte < 0x20 || byte == 0x7f) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04X", byte);
      out += escaped;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// The shortest text that reads back as the same double, always a TOML float.
std::string toml_float(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  char buffer[64];
  const auto end = std::to_chars(buffer, buffer + sizeof buffer, value).ptr;
  std::string text(buffer, end);
  if (text.find_first_of(".e") == std::string::npos) text += ".0";
  return text;
}

std::string toml_strings(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + toml_string(items[i]);
  return out + "]";
}

// An option's value as TOML, by its type in the table.
std::string toml_value(const SpecOption& option, const OptionValue& value) {
  switch (option.type) {
    case OptionType::Flag: return std::get<bool>(value) ? "true" : "false";
    case OptionType::Whole: return std::to_string(std::get<uint64_t>(value));
    case OptionType::Number: return toml_float(std::get<double>(value));
    case OptionType::Texts:
    case OptionType::Words: return toml_strings(std::get<std::vector<std::string>>(value));
    default: return toml_string(std::get<std::string>(value));
  }
}

// Every option of `level` as "key = value" lines, in the table's order.
std::string toml_options(OptionLevel level, const ExperimentSpec& spec, const InterventionSpec& intervention) {
  std::string toml;
  for (const SpecOption& option : spec_options()) {
    if (option.level != level || !option.used_by(kUsedBySpec)) continue;
    // A kind that does not use factor must not have one (read_intervention refuses it).
    if (std::string_view(option.name) == "factor" && !intervention.uses_factor()) continue;
    toml += std::string(option.name) + " = " + toml_value(option, option.get(spec, intervention)) + "\n";
  }
  return toml;
}

}  // namespace

std::string ExperimentSpec::canonical_toml() const {
  const InterventionSpec none;
  std::string toml = "name = " + toml_string(name) + "\n" + toml_options(OptionLevel::Experiment, *this, none);
  for (const PromptSpec& p : prompts) {
    toml += "\n[[prompts]]\ntext = " + toml_string(p.text) + "\ntarget = " + toml_string(p.target) + "\n";
    if (!p.foil.empty()) toml += "foil = " + toml_string(p.foil) + "\n";
    if (!p.id.empty()) toml += "id = " + toml_string(p.id) + "\n";
    if (!p.other_prompt.empty()) toml += "other_prompt = " + toml_string(p.other_prompt) + "\n";
  }
  for (const InterventionSpec& i : interventions) {
    toml += "\n[[interventions]]\nkind = " + toml_string(InterventionSpec::kind_name(i.kind)) + "\n" +
            toml_options(OptionLevel::Intervention, *this, i);
  }
  if (distributions) toml += "\n[distributions]\n" + toml_options(OptionLevel::Distributions, *this, none);
  return toml;
}

ExperimentSpec ExperimentSpec::load_toml(const std::string& path) {
  // Specs are written by hand: kilobytes. The cap keeps a wrong path from being slurped.
  // "spec.toml" in the working directory has the folder "": paths in it stay as written.
  return parse_toml(read_small_file(path, 16u << 20), path, std::filesystem::path(path).parent_path().string());
}

}  // namespace bertscope
