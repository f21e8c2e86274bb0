#include "shard_choice.h"

namespace bertscope::cli {

CLI::Validator shard_choice() {
  return CLI::Validator([](std::string& text) -> std::string { return parse_shard(text) ? "" : shard_problem(text); },
                        "K/N");
}

}  // namespace bertscope::cli
