#include "spec_flags.h"

#include <limits>

#include "commands/commands.h"

namespace bertscope::cli {

namespace {

// What --help shows after the flag: the table's type and range.
std::string type_name(const SpecOption& option) {
  switch (option.type) {
    case OptionType::Whole:
      return option.max == std::numeric_limits<uint64_t>::max()
                 ? "UINT64"
                 : "INT in [" + std::to_string(option.min) + " - " + std::to_string(option.max) + "]";
    case OptionType::Number: return "NUMBER";
    case OptionType::Choice: {
      std::string choices = option.choices;
      for (char& c : choices) c = c == '|' ? ',' : c;
      return "{" + choices + "}";
    }
    case OptionType::IndexList: return "LIST";
    case OptionType::Texts: return "FILE";
    case OptionType::Words: return "WORD,...";
    default: return "TEXT";
  }
}

}  // namespace

SpecFlags::SpecFlags(CLI::App& command, OptionUse use, const std::map<std::string, std::string>& help) {
  for (const SpecOption& option : spec_options()) {
    if (!option.used_by(use)) continue;
    auto flag = std::make_unique<Flag>();
    flag->option = &option;
    const auto own = help.find(option.name);
    const std::string text = own != help.end() ? own->second : option.help;
    if (option.type == OptionType::Flag) {
      flag->cli = command.add_flag(option.cli_flag(), flag->flag, text);
    } else {
      flag->cli = command.add_option(option.cli_flag(), flag->text, text)->type_name(type_name(option));
      const std::string shown = default_text(option);
      if (!shown.empty() && shown != "[]") flag->cli->default_str(shown);
    }
    flags_.push_back(std::move(flag));
  }
}

bool SpecFlags::given(const std::string& name) const {
  for (const auto& flag : flags_) {
    if (name == flag->option->name) return flag->cli->count() > 0;
  }
  return false;
}

void SpecFlags::apply(ExperimentSpec& spec) const {
  for (const auto& flag : flags_) {
    if (flag->cli->count() == 0) continue;
    const SpecOption& option = *flag->option;
    const OptionValue value = option.type == OptionType::Flag    ? OptionValue(flag->flag)
                              : option.type == OptionType::Texts ? OptionValue(read_prompt_texts(flag->text))
                                                                 : parse_option_text(option, flag->text);
    InterventionSpec unused;
    if (option.level != OptionLevel::Intervention) {
      set_option(option, value, spec, unused);
      continue;
    }
    for (InterventionSpec& intervention : spec.interventions) set_option(option, value, spec, intervention);
  }
}

}  // namespace bertscope::cli
