// bertscope: the command-line front end. Every failure the user can cause ends here as
// one line "bertscope: error: ..." and a non-zero exit; no output file is left half-written.
#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <unistd.h>

#include "commands/commands.h"
#include "common/atomic_file.h"
#include "common/error.h"
#include "common/printable.h"
#include "reports/output_folder.h"

namespace {

extern "C" void on_interrupt(int signal_number) {
  bertscope::remove_pending_files();
  bertscope::remove_pending_folders();  // after the files: a folder goes only when empty
  _exit(128 + signal_number);
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGINT, on_interrupt);
  std::signal(SIGTERM, on_interrupt);

  // Named here, so that usage lines say "bertscope", not the path it was started by.
  CLI::App app{"bertscope: causal interventions on the hidden states of BERT masked language models", "bertscope"};
  // Every option's default shows in --help ("[5]"): subcommands inherit this.
  app.option_defaults()->always_capture_default();
  app.set_version_flag("--version", std::string("bertscope ") + BERTSCOPE_VERSION);
  app.require_subcommand(1);
  app.footer("Run 'bertscope COMMAND --help' for a command's options and an example.");
  bertscope::cli::add_predict_command(app);
  bertscope::cli::add_tokenize_command(app);
  bertscope::cli::add_dump_command(app);
  bertscope::cli::add_sweep_command(app);
  bertscope::cli::add_stats_command(app);
  bertscope::cli::add_run_command(app);
  bertscope::cli::add_patch_grid_command(app);
  bertscope::cli::add_lens_command(app);
  bertscope::cli::add_hooks_command(app);
  bertscope::cli::set_command_line(argc, argv);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const bertscope::Error& e) {
    // Messages quote file contents and prompts: escaped, they stay one line and cannot
    // send control sequences to the terminal.
    std::fprintf(stderr, "bertscope: error: %s\n", bertscope::printable(e.what()).c_str());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bertscope: internal error: %s\n", bertscope::printable(e.what()).c_str());
    return 2;
  }
  return 0;
}
