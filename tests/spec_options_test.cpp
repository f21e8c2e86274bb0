// The option table (experiments/spec_options.h) through each front end that reads it: every
// row given on the command line (tools/bertscope/spec_flags.h) and in a TOML spec sets the
// same value, its default is what --help shows, and a bad value is named in each front end's
// words. (python/tests/test_options.py walks it through Python.)
#include <gtest/gtest.h>

#include <string>

#include "common/error.h"
#include "experiments/experiment.h"
#include "experiments/spec_options.h"
#include "spec_flags.h"
#include "test_util.h"

namespace bertscope {
namespace {

const char* kPrompt = "The capital of France is [MASK].";

// A legal value other than the default, as command-line text.
std::string sample_text(const SpecOption& option) {
  const std::string name = option.name;
  if (name == "site") return "attn.out";
  if (name == "positions") return "1,2";
  if (name == "units_file") return "neurons/units.csv:him";
  if (name == "direction_file") return "steer.npy";
  if (name == "basis_file") return "basis.npy";
  switch (option.type) {
    case OptionType::Flag: return "true";
    case OptionType::Whole: return std::to_string(std::get<uint64_t>(default_value(option)) == option.min ? option.min + 1 : option.min);
    case OptionType::Number: return "0.25";
    case OptionType::Choice: return std::string(option.choices).substr(std::string(option.choices).rfind('|') + 1);
    case OptionType::IndexList: return "1";
    case OptionType::Texts: return "A line of text.";
    case OptionType::Words: return "in,on";
    case OptionType::Text: return "Some other prompt [MASK].";
  }
  return "";
}

// The option as a spec's TOML line.
std::string toml_line(const SpecOption& option, const std::string& text) {
  switch (option.type) {
    case OptionType::Flag:
    case OptionType::Whole:
    case OptionType::Number: return std::string(option.name) + " = " + text + "\n";
    case OptionType::Texts: return std::string(option.name) + " = [\"" + text + "\"]\n";
    case OptionType::Words: {
      std::string list;
      for (char c : text) list += c == ',' ? std::string("\", \"") : std::string(1, c);
      return std::string(option.name) + " = [\"" + list + "\"]\n";
    }
    default: return std::string(option.name) + " = \"" + text + "\"\n";
  }
}

// The kind of the one intervention that uses the option (noise for the rest).
InterventionKind kind_for(const SpecOption& option) {
  const std::string name = option.name;
  if (name == "other_prompt") return InterventionKind::Mix;
  if (name == "attend_to") return InterventionKind::Attend;
  if (name == "mean_prompts") return InterventionKind::Mean;
  if (name == "units" || name == "units_file") return InterventionKind::Zero;
  if (name == "direction_file" || name == "direction_to" || name == "direction_from") return InterventionKind::Steer;
  if (name == "components" || name == "basis_prompts" || name == "basis_file") return InterventionKind::Pca;
  return InterventionKind::Noise;
}

// A spec of one intervention, with `line` where its option's level puts it.
std::string spec_with(const SpecOption& option, const std::string& line) {
  const bool top = option.level == OptionLevel::Experiment;
  return std::string("name = \"t\"\n") + (top ? line : "") + "[[prompts]]\ntext = \"" + kPrompt +
         "\"\ntarget = \"paris\"\n[[interventions]]\nkind = \"" + InterventionSpec::kind_name(kind_for(option)) + "\"\n" +
         (option.level == OptionLevel::Intervention ? line : "") +
         // pca needs its prompts whatever the option shown, and each direction set the other.
         (std::string_view(option.name) == "components" ? "basis_prompts = [\"A line.\"]\n" : "") +
         (std::string_view(option.name) == "direction_to" ? "direction_from = [\"A line.\"]\n" : "") +
         (std::string_view(option.name) == "direction_from" ? "direction_to = [\"A line.\"]\n" : "") +
         (option.level == OptionLevel::Distributions ? "[distributions]\n" + line : "");
}

// The spec `bertscope sweep` (or stats) builds from these arguments, with one intervention.
ExperimentSpec from_command_line(OptionUse use, std::vector<std::string> args,
                                 InterventionKind kind = InterventionKind::Noise) {
  CLI::App app;
  cli::SpecFlags flags(app, use);
  std::reverse(args.begin(), args.end());  // CLI11 parses a vector from its back
  app.parse(args);
  ExperimentSpec spec;
  spec.name = "t";
  spec.prompts = {{kPrompt, "paris"}};
  spec.interventions = {InterventionSpec::of_kind(kind)};
  flags.apply(spec);
  return spec;
}

OptionValue value_in(const SpecOption& option, const ExperimentSpec& spec) {
  return option.get(spec, spec.interventions.empty() ? InterventionSpec{} : spec.interventions.front());
}

TEST(SpecOptions, EveryRowSetsTheSameValueFromTheCommandLineAndASpec) {
  test::TempDir dir;
  for (const SpecOption& option : spec_options()) {
    SCOPED_TRACE(option.name);
    const OptionUse use = option.used_by(kUsedBySweep) ? kUsedBySweep : kUsedByStats;
    ASSERT_TRUE(option.used_by(use) && option.used_by(kUsedBySpec)) << "each row reaches a command and a spec";
    const std::string text = sample_text(option);
    std::vector<std::string> args = {option.cli_flag()};
    if (option.type == OptionType::Texts) args.push_back(dir.write("texts.txt", text + "\n"));
    else if (option.type != OptionType::Flag) args.push_back(text);
    const ExperimentSpec cli = from_command_line(use, args, kind_for(option));
    const ExperimentSpec toml = ExperimentSpec::parse_toml(spec_with(option, toml_line(option, text)), "t.toml");
    EXPECT_EQ(value_in(option, cli), value_in(option, toml));
    EXPECT_NE(value_in(option, cli), default_value(option)) << "the sample is not the default";
    // Not given: the default (factor's is per kind: DefaultsComeFromTheSpecsAndShowInHelp).
    if (std::string_view(option.name) == "factor") continue;
    ExperimentSpec plain = from_command_line(use, {}, kind_for(option));
    EXPECT_EQ(value_in(option, plain), default_value(option)) << "not given: the default";
  }
}

TEST(SpecOptions, DefaultsComeFromTheSpecsAndShowInHelp) {
  for (const OptionUse use : {kUsedBySweep, kUsedByStats}) {
    CLI::App app;
    cli::SpecFlags flags(app, use);
    const std::string help = app.help();
    for (const SpecOption& option : spec_options()) {
      if (!option.used_by(use)) continue;
      SCOPED_TRACE(option.name);
      EXPECT_NE(help.find(option.cli_flag()), std::string::npos);
      const std::string shown = default_text(option);
      if (option.type != OptionType::Flag && !shown.empty() && shown != "[]") {
        EXPECT_NE(help.find(shown), std::string::npos);
      }
    }
  }
  // Read from default-constructed specs, so they are what a spec without the key gets.
  const ExperimentSpec plain = ExperimentSpec::parse_toml(spec_with(*find_spec_option("trials"), ""), "t.toml");
  for (const SpecOption& option : spec_options()) {
    if (option.level != OptionLevel::Distributions && std::string_view(option.name) != "factor") {
      EXPECT_EQ(value_in(option, plain), default_value(option)) << option.name;
    }
  }
  EXPECT_EQ(default_text(*find_spec_option("factor")), "per kind: noise 2, scale 0.5, mix 0.5, steer 1, set 0");
}

TEST(SpecOptions, BadValuesAreNamedInEachFrontEndsWords) {
  for (const SpecOption& option : spec_options()) {
    if (option.type != OptionType::Whole || option.max == std::numeric_limits<uint64_t>::max()) continue;
    SCOPED_TRACE(option.name);
    const std::string bad = std::to_string(option.max + 1);
    const std::string problem = " must be a whole number from " + std::to_string(option.min) + " to " +
                                std::to_string(option.max) + ", not " + bad;
    const OptionUse use = option.used_by(kUsedBySweep) ? kUsedBySweep : kUsedByStats;
    test::expect_error([&] { from_command_line(use, {option.cli_flag(), bad}, kind_for(option)); }, {option.cli_flag() + problem});
    const std::string where = option.level == OptionLevel::Intervention    ? "interventions[0]."
                              : option.level == OptionLevel::Distributions ? "distributions."
                                                                           : "";
    test::expect_error([&] { ExperimentSpec::parse_toml(spec_with(option, toml_line(option, bad)), "t.toml"); },
                       {"t.toml:", ": " + where + option.name + problem});
  }
  // Text that is not a number at all, and a choice that is not one.
  test::expect_error([] { from_command_line(kUsedBySweep, {"--trials", "2x"}); },
                     {"--trials must be a whole number from 1 to 10000000, not '2x'"});
  test::expect_error([] { from_command_line(kUsedBySweep, {"--factor", "nan"}); }, {"--factor must be a finite number, not 'nan'"});
  test::expect_error([] { from_command_line(kUsedBySweep, {"--targets", "he,,she"}); },
                     {"--targets must be a list of words (on the command line: he,she,they), not 'he,,she'"});
  test::expect_error(
      [] { ExperimentSpec::parse_toml(spec_with(*find_spec_option("targets"), "targets = [\"he she\"]\n"), "t.toml"); },
      {"t.toml:2: targets must be a list of words (on the command line: he,she,they), not 'he she' (one word each)"});
  test::expect_error([] { from_command_line(kUsedBySweep, {"--std-of", "row"}); },
                     {"--std-of must be one of vector, layer, absolute, not 'row'"});
  test::expect_error(
      [] { ExperimentSpec::parse_toml(spec_with(*find_spec_option("std_of"), "std_of = \"row\"\n"), "t.toml"); },
      {"t.toml:7: interventions[0].std_of must be one of vector, layer, absolute, not 'row'"});
}

TEST(SpecOptions, EngineChecksNameTheOptionInTheSpecsWords) {
  // Found by validate() after reading, not by the reader: still named as the spec names it.
  test::expect_error(
      [] { ExperimentSpec::parse_toml(spec_with(*find_spec_option("factor"), "attend_to = 3\n"), "t.toml"); },
      {"t.toml: interventions[0].attend_to is only used by attend, not by noise"});
  test::expect_error([] { from_command_line(kUsedBySweep, {"--attend-to", "3"}).validate(); },
                     {"--attend-to is only used by attend, not by noise"});
}

TEST(SpecOptions, CanonicalSpecReadsBackToItself) {
  for (const SpecOption& option : spec_options()) {
    SCOPED_TRACE(option.name);
    const ExperimentSpec spec = ExperimentSpec::parse_toml(spec_with(option, toml_line(option, sample_text(option))), "t.toml");
    const std::string canonical = spec.canonical_toml();
    EXPECT_EQ(ExperimentSpec::parse_toml(canonical, "canonical").canonical_toml(), canonical);
    EXPECT_NE(canonical.find(std::string(option.name) + " = "), std::string::npos);
  }
}

}  // namespace
}  // namespace bertscope
