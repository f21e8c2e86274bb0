#pragma once
// Each bertscope subcommand lives in its own file and registers itself on the app.
#include <CLI/CLI.hpp>
#include <optional>
#include <string>
#include <vector>

#include "experiments/experiment.h"
#include "model/encoder.h"
#include "reports/experiment_files.h"
#include "reports/file_set.h"
#include "reports/output_folder.h"
#include "runs/run_folder.h"
#include "progress.h"
#include "shard_choice.h"

namespace bertscope::cli {

// Options every model command shares.
struct ModelOptions {
  std::string model;  // empty: $BERTSCOPE_MODEL, else the shipped demo model
  std::string dtype = "auto";  // as given: auto, f32 or bf16 (resolved_dtype: what runs)
  int threads = 0;
  bool no_weights_cache = false;  // --no-weights-cache: prepare the weights in this process, write no cache
  bool quiet = false;
  bool json = false;  // the command's summary on stdout as JSON instead of tables
};
void add_model_options(CLI::App& command, ModelOptions& options);
// The model folder to load: --model, else `fallback` (a spec's model), else
// $BERTSCOPE_MODEL, else the shipped demo model.
std::string model_path(const ModelOptions& options, const std::string& fallback = "");
// --dtype resolved: auto is kernels' auto_precision() (bf16 only where oneDNN has AMX).
MatmulPrecision precision(const ModelOptions& options);
std::string resolved_dtype(const ModelOptions& options);  // "f32" or "bf16"
// The RunContext of results.json: the command line, demo or not, the dtype run and asked for.
RunContext run_context(const ModelOptions& options, bool demo);
// Applies --threads and loads the model at `model_path(options, fallback)` with --dtype.
Encoder load_model(const ModelOptions& options, const std::string& fallback = "");
// Whether `path` is the small demo model that ships with bertscope (not a real BERT).
bool is_demo_model(const std::string& path);

// Adds --json (the summary on stdout as one JSON document) and --quiet to a command that
// runs an experiment.
void add_output_flags(CLI::App& command, ModelOptions& options);

// Loads the model, runs `spec` into its output folder through the Run API
// (runs/run_folder.h) and shows the run. Shared by sweep, stats and run. With `shard`, runs
// only shard K of N's work items and writes a shard folder instead, for `bertscope merge`.
void run_and_report(const ExperimentSpec& spec, const ModelOptions& options, const std::optional<ShardChoice>& shard = {});
// What a run or merge wrote: the tables (or, with --json, one JSON document) and the files.
void show_run(const FolderRun& run, const Encoder& model, const ModelOptions& options);
// The Run API's control drawing `meter` (trials done of all); no progress with --quiet.
RunControl meter_control(ProgressMeter& meter, bool quiet);
// The engine's progress callback drawing `meter` (prompts or trials done of all); none with --quiet.
ProgressFn meter_progress(ProgressMeter& meter, bool quiet);
// "wrote 4 files to out/: a.json b.csv ...": the closing line of every command with --out.
void print_files_written(const std::vector<std::string>& files, const std::string& out);
// Writes `files` into the folder's staging area, swaps it in whole and prints that line.
void publish_files(OutputFolder& folder, const std::vector<NamedFile>& files);

// The prompts of --prompts FILE (experiments/prompt_file.h: JSON Lines, CSV, text; "-" is
// stdin), or the one prompt `text` (id "1") given instead. Throws Error when both or neither
// are given, naming `text_option` ("--prompt TEXT").
std::vector<PromptSpec> prompts_from(const std::string& text, const std::string& file, const std::string& text_option);
// Adds --prompts FILE, its help naming the formats and then `use`, what the command does with it.
void add_prompts_option(CLI::App& command, std::string& into, const std::string& use);
// The texts of a prompt file (--mean-prompts, dump --prompts), in any format read_prompt_file() reads.
std::vector<std::string> read_prompt_texts(const std::string& path);

// A safetensors --out that a command may write: new, or an earlier file of the same command
// (its metadata's "bertscope" names it). Throws Error for anything else there.
void check_replaceable_tensors(const std::string& path, const std::string& command);

// The command line as typed, for results.json.
const std::string& command_line();
void set_command_line(int argc, char** argv);

void add_predict_command(CLI::App& app);
void add_tokenize_command(CLI::App& app);
void add_dump_command(CLI::App& app);
void add_sweep_command(CLI::App& app);
void add_stats_command(CLI::App& app);
void add_run_command(CLI::App& app);
void add_hooks_command(CLI::App& app);
void add_patch_grid_command(CLI::App& app);
void add_attribute_command(CLI::App& app);
void add_saliency_command(CLI::App& app);
void add_lens_command(CLI::App& app);
void add_merge_command(CLI::App& app);
void add_collect_command(CLI::App& app);
void add_neurons_command(CLI::App& app);

}  // namespace bertscope::cli
