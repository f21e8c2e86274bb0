#pragma once
// One prompt of an experiment as the user wrote it (inline in a spec or on the command
// line, or a row of a prompt file), before it is tokenized.
#include <string>

namespace bertscope {

struct PromptSpec {
  // The "= {}" lets {text, target} (as code wrote it before ids) initialize the rest empty
  // without -Wmissing-field-initializers.
  std::string text = {};
  std::string target = {};        // empty: none (statistics and predict need none)
  std::string other_prompt = {};  // mix and patch interventions without an other_prompt of their own use this one
  std::string id = {};            // names the prompt in every result row; see assign_prompt_ids()
};

}  // namespace bertscope
