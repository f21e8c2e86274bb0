// bertscope: the command-line front end. Every failure the user can cause ends here as
// one line "bertscope: error: ..." and a non-zero exit; no output file is left half-written.
#include <CLI/CLI.hpp>
#include <csignal>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <new>
#include <unistd.h>

#include "commands/commands.h"
#include "common/atomic_file.h"
#include "common/error.h"
#include "common/io_claims.h"
#include "common/printable.h"
#include "reports/output_folder.h"

namespace {

extern "C" void on_interrupt(int signal_number) {
  bertscope::remove_pending_files();
  bertscope::remove_pending_folders();  // after the files: a folder goes only when empty
  _exit(128 + signal_number);
}

// Every signal that ends a run from outside: Ctrl-C, kill, a closed terminal (SIGHUP), a
// reader that went away (SIGPIPE: `bertscope ... | head -1`), Ctrl-\ (SIGQUIT).
void handle_ending_signals() {
  struct sigaction action {};
  action.sa_handler = on_interrupt;
  sigemptyset(&action.sa_mask);
  for (int signal_number : {SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGQUIT}) sigaddset(&action.sa_mask, signal_number);
  for (int signal_number : {SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGQUIT}) sigaction(signal_number, &action, nullptr);
}

// A failed write to stdout (a full disk, `> /dev/full`) is an error like any other; stdio
// only remembers it, so it is checked before exiting.
void check_stdout() {
  if (std::fflush(stdout) != 0 || std::ferror(stdout)) {
    throw bertscope::Error(std::string("cannot write to standard output: ") + std::strerror(errno));
  }
}

// CLI11 answers an unknown command with "A subcommand is required": name it instead.
void check_command(CLI::App& app, int argc, char** argv) {
  if (argc < 2 || argv[1][0] == '-') return;
  std::string commands;
  for (const CLI::App* command : app.get_subcommands([](CLI::App*) { return true; })) {
    if (command->get_name() == argv[1]) return;
    commands += (commands.empty() ? "" : ", ") + command->get_name();
  }
  throw bertscope::Error(std::string("unknown command '") + argv[1] + "'; the commands are " + commands);
}

int fail(const char* message) {
  // Messages quote file contents and prompts: escaped, they stay one line and cannot
  // send control sequences to the terminal.
  std::fprintf(stderr, "bertscope: error: %s\n", bertscope::printable(message).c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  handle_ending_signals();

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
  bertscope::cli::add_merge_command(app);
  bertscope::cli::add_patch_grid_command(app);
  bertscope::cli::add_attribute_command(app);
  bertscope::cli::add_saliency_command(app);
  bertscope::cli::add_lens_command(app);
  bertscope::cli::add_collect_command(app);
  bertscope::cli::add_neurons_command(app);
  bertscope::cli::add_hooks_command(app);
  bertscope::cli::set_command_line(argc, argv);

  // What the command reads and what it writes, so that no output replaces an input.
  bertscope::IoClaims claims;
  try {
    check_command(app, argc, argv);
    app.parse(argc, argv);
    check_stdout();
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // CLI11 prints two lines and exits 104-114; a usage error is an error like the others.
    return fail(e.what());
  } catch (const bertscope::Error& e) {
    return fail(e.what());
  } catch (const std::bad_alloc&) {
    // Runs are estimated and refused before they start (experiments/run_memory.h); this is
    // the backstop for what the estimate does not cover, and still the user's resources.
    return fail("out of memory: this machine or its limits (ulimit -v, the cgroup's memory.max) give the run less "
                "memory than it needs; use fewer trials, layers or tokens");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bertscope: internal error: %s\n", bertscope::printable(e.what()).c_str());
    return 2;
  }
  return 0;
}
