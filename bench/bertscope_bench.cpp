// bertscope-bench: times bertscope's own cases of bench/run.sh through the library API, in
// one process, and prints JSON (times only; bench/run.py counts FLOPs and makes the table).
//   clean     one forward pass of the prompt + MLM head at the [MASK] + log-softmax
//   notebook  the notebook's sweep: every block x 1 shuffle, then every block x 1 noise
//   noise     every block x N noise trials (N = --trials, 100 by default)
//   dataset   every prompt of --dataset x every block x --dataset-trials noise trials, the
//             prompts' trials batched together (run_sweeps, what `bertscope run` does)
//   dataset_serial  the same work one prompt at a time (run_sweep per prompt): the path
//             before batching across prompts, to show what that batching buys
//   throughput  one forward of the --batch file's sequences (e.g. 32 x 128 tokens, equal
//             lengths) + MLM head and log-softmax at each sequence's [MASK] row: raw encoder
//             speed, beside the PyTorch and ONNX Runtime baselines of bench/run.sh
// A sweep case runs what `bertscope sweep` runs (run_sweep: the clean pass, the batched
// trials, log-softmax, top-k and KL of every trial), with a different seed each run.
// --profile-block times each stage of one block (and the head) alone: where the time goes.
// --profile-masks times the attention kernel alone with each mask (bidirectional, causal,
// sliding window): what skipping the masked blocks saves.
// --serve keeps the model loaded and runs cases on request (bench/run.py interleaves them
// with the PyTorch baselines'); without it every case runs in a row and one JSON is printed.
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "block_profile.h"
#include "common/error.h"
#include "common/threads.h"
#include "experiments/collect.h"
#include "experiments/prompt.h"
#include "experiments/sweep.h"
#include "model/encoder.h"
#include "model/predictions.h"

namespace {

using bertscope::Encoder;
using bertscope::InterventionKind;
using bertscope::InterventionSpec;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// Peak resident set of this process so far, in bytes (Linux reports KiB).
double peak_rss_bytes() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) * 1024.0;
}

struct Options {
  std::string model, prompt = "Pay no attention to that man [MASK] the curtain!", target = "behind";
  std::string cases = "clean,notebook,noise";
  std::string dtype = "f32";
  std::string dataset;     // file of "text<TAB>target" lines: the dataset case's prompts
  std::string batch_file;  // the throughput case's sequences (JSON: ids, mask_positions)
  int threads = 0, repeats = 5, long_repeats = 3, trials = 100, dataset_trials = 10, max_batch_tokens = 2048;
  int profile_batch = 32, profile_seq = 128;
  int masks_seq = 512, masks_window = 128;  // --profile-masks
};

// The prompts of --dataset: one "text<TAB>target" per line.
std::vector<bertscope::SweepPrompt> read_dataset(const std::string& path) {
  std::vector<bertscope::SweepPrompt> prompts;
  if (path.empty()) return prompts;
  std::ifstream in(path);
  if (!in) throw bertscope::Error("cannot open --dataset " + path);
  for (std::string line; std::getline(in, line);) {
    const size_t tab = line.find('\t');
    if (tab == std::string::npos) throw bertscope::Error(path + ": expected text<TAB>target, got: " + line);
    prompts.push_back({line.substr(0, tab), line.substr(tab + 1)});
  }
  return prompts;
}

// profile_block on the model's shape (its config; the weights are random: timing only).
nlohmann::json profile(const Options& o) {
  bertscope::set_thread_count(o.threads);
  const Encoder model = Encoder::load(o.model);
  const auto& c = model.config();
  const bertscope_bench::BlockShape shape{o.profile_batch, o.profile_seq, c.hidden_size, c.intermediate_size,
                                          c.num_attention_heads, c.vocab_size, c.num_hidden_layers};
  return bertscope_bench::profile_block(
      shape, o.dtype == "bf16" ? bertscope::MatmulPrecision::BF16 : bertscope::MatmulPrecision::F32, o.repeats);
}

// profile_attention_masks on the model's heads (random q, k, v: timing only).
nlohmann::json profile_masks(const Options& o) {
  bertscope::set_thread_count(o.threads);
  const Encoder model = Encoder::load(o.model);
  const auto& c = model.config();
  const bertscope_bench::BlockShape shape{o.profile_batch, o.masks_seq, c.hidden_size, c.intermediate_size,
                                          c.num_attention_heads, c.vocab_size, c.num_hidden_layers};
  return bertscope_bench::profile_attention_masks(shape, o.masks_window, o.repeats);
}

// The model and prompt of a session, and one run of each case.
class Cases {
 public:
  explicit Cases(const Options& o)
      : o_(o),
        model_(load_timed(o.model, precision(o.dtype), &load_s_)),
        prompt_(bertscope::MaskedPrompt::prepare(model_, o.prompt, o.target)),
        dataset_(read_dataset(o.dataset)) {
    if (!o.batch_file.empty()) read_batch(o.batch_file);
    // Warm-up, untimed: touches every weight page of the mmapped file and every allocation
    // path once, as the first call of a session would.
    run("clean", 0);
    sweep({InterventionKind::Shuffle}, 1, 999);
    // Not the throughput case: its 4096-token buffers would count in the peak RSS of the
    // other cases. bench/run.py reads the peak RSS ("rss"), then warms it up before its rounds.
  }

  // Runs case `name` once with seed `seed`; returns the seconds it took.
  double run(const std::string& name, int seed) const {
    const auto start = Clock::now();
    if (name == "clean") {
      const auto last = model_.forward(bertscope::TokenBatch::single(prompt_.ids));
      const auto log_probs = bertscope::log_softmax(model_.mlm_logits(last, 0, prompt_.mask_index));
      if (log_probs.empty()) throw bertscope::Error("no logits");
    } else if (name == "notebook") {
      sweep({InterventionKind::Shuffle, InterventionKind::Noise}, 1, seed);
    } else if (name == "noise") {
      sweep({InterventionKind::Noise}, o_.trials, seed);
    } else if ((name == "dataset" || name == "dataset_serial") && !dataset_.empty()) {
      bertscope::SweepRequest request = dataset_request(seed);
      if (name == "dataset") {
        bertscope::run_sweeps(model_, dataset_, request);
      } else {
        for (const auto& p : dataset_) {
          request.prompt = p.text;
          request.target = p.target;
          bertscope::run_sweep(model_, request);
        }
      }
    } else if ((name == "collect" || name == "collect_forward") && !dataset_.empty()) {
      collect(name == "collect");
    } else if (name == "throughput") {
      throughput();
    } else {
      throw bertscope::Error("unknown case '" + name +
                             "' (clean, notebook, noise; dataset, dataset_serial, collect, collect_forward with --dataset; throughput "
                             "with --batch)");
    }
    return seconds_since(start);
  }

  // What the driver needs besides times: shape, prompt, and the clean target log-prob to
  // cross-check against the torch baselines.
  nlohmann::json info() const {
    const auto& c = model_.config();
    const auto check = sweep({InterventionKind::Zero}, 1, 0);
    return {{"impl", "bertscope"},
            {"dtype", o_.dtype},
            {"model", model_.dir()},
            {"threads", bertscope::thread_count()},
            {"config",
             {{"layers", c.num_hidden_layers}, {"hidden", c.hidden_size}, {"heads", c.num_attention_heads},
              {"ffn", c.intermediate_size}, {"vocab", c.vocab_size}}},
            {"seq", prompt_.ids.size()},
            {"mask_index", prompt_.mask_index},
            {"target_id", prompt_.target_id},
            {"trials", o_.trials},
            {"max_batch_tokens", o_.max_batch_tokens},
            {"load_s", load_s_},
            {"clean_target_logsoftmax", check.clean.target_logsoftmax},
            {"dataset", dataset_info()}};
  }

  // Each dataset prompt as the model sees it: ids, [MASK] index, target id (the PyTorch
  // baseline runs the same work from these).
  nlohmann::json dataset_info() const {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& p : dataset_) {
      const auto prepared = bertscope::MaskedPrompt::prepare(model_, p.text, p.target);
      out.push_back({{"text", p.text}, {"ids", prepared.ids}, {"mask", prepared.mask_index}, {"target_id", prepared.target_id}});
    }
    return out;
  }

 private:
  static bertscope::MatmulPrecision precision(const std::string& dtype) {
    return dtype == "bf16" ? bertscope::MatmulPrecision::BF16 : bertscope::MatmulPrecision::F32;
  }

  static Encoder load_timed(const std::string& path, bertscope::MatmulPrecision matmuls, double* seconds) {
    const auto start = Clock::now();
    Encoder model = Encoder::load(path, matmuls);
    *seconds = seconds_since(start);
    return model;
  }

  // {"ids": [[...], ...], "mask_positions": [...]}: equal-length sequences (no padding).
  void read_batch(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw bertscope::Error("cannot read --batch file " + path);
    const auto doc = nlohmann::json::parse(in);
    const auto sequences = doc.at("ids").get<std::vector<std::vector<int>>>();
    batch_masks_ = doc.at("mask_positions").get<std::vector<int>>();
    if (sequences.empty() || sequences.size() != batch_masks_.size())
      throw bertscope::Error(path + ": ids and mask_positions must be non-empty and of the same length");
    batch_ = bertscope::TokenBatch::padded(sequences, 0);
    model_.validate(batch_);
    for (size_t b = 0; b < sequences.size(); ++b) {
      if (sequences[b].size() != static_cast<size_t>(batch_.seq) || batch_masks_[b] < 0 || batch_masks_[b] >= batch_.seq)
        throw bertscope::Error(path + ": sequence " + std::to_string(b) + " is shorter or its mask is out of range");
    }
  }

  // The dataset's prompts through the collect API: with `keep`, every block's mlp.post at
  // the [MASK] kept (bertscope collect --sites 'blocks.*.mlp.post'); without, the same
  // padded batches' forward passes alone, the work collecting needs.
  void collect(bool keep) const {
    bertscope::CollectRequest request;
    for (const auto& p : dataset_) request.prompts.push_back({p.text});
    for (int layer = 0; layer < model_.layers(); ++layer) {
      request.sites.push_back(bertscope::HookSite::block(bertscope::SiteKind::MlpPost, layer));
    }
    request.max_batch_tokens = o_.max_batch_tokens;
    const bertscope::CollectPlan plan = bertscope::plan_collection(model_, request);
    if (keep) {
      if (bertscope::collect_activations(model_, request, plan).rows() != dataset_.size()) throw bertscope::Error("rows");
      return;
    }
    const int pad = model_.tokenizer().vocab().pad_id();
    for (const auto& [first, end] : bertscope::collect_batches(plan, request.max_batch_tokens)) {
      const std::vector<std::vector<int>> batch(plan.ids.begin() + static_cast<std::ptrdiff_t>(first),
                                                plan.ids.begin() + static_cast<std::ptrdiff_t>(end));
      model_.forward(bertscope::TokenBatch::padded(batch, pad));
    }
  }

  // One forward of the batch, the MLM head on the [MASK] rows in one matmul, log-softmax.
  void throughput() const {
    if (batch_.batch == 0) throw bertscope::Error("the throughput case needs --batch");
    const auto last = model_.forward(batch_);
    const int hidden = last.width, vocab = model_.config().vocab_size;
    std::vector<float> rows(static_cast<size_t>(batch_.batch) * static_cast<size_t>(hidden));
    for (int b = 0; b < batch_.batch; ++b)
      std::copy_n(last.row(b, batch_masks_[static_cast<size_t>(b)]), hidden, rows.begin() + static_cast<std::ptrdiff_t>(b) * hidden);
    std::vector<float> logits(static_cast<size_t>(batch_.batch) * static_cast<size_t>(vocab));
    model_.mlm_logits(rows.data(), batch_.batch, logits.data());
    for (int b = 0; b < batch_.batch; ++b) {
      const auto log_probs = bertscope::log_softmax(
          std::span<const float>(logits).subspan(static_cast<size_t>(b) * static_cast<size_t>(vocab), static_cast<size_t>(vocab)));
      if (log_probs.empty()) throw bertscope::Error("no logits");
    }
  }

  bertscope::SweepResult sweep(std::vector<InterventionKind> kinds, int trials, int seed) const {
    bertscope::SweepRequest request;
    request.prompt = o_.prompt;
    request.target = o_.target;
    for (auto kind : kinds) request.interventions.push_back(InterventionSpec::of_kind(kind));
    request.trials = trials;
    request.seed = static_cast<uint64_t>(seed);
    request.max_batch_tokens = o_.max_batch_tokens;
    return bertscope::run_sweep(model_, request);
  }

  bertscope::SweepRequest dataset_request(int seed) const {
    bertscope::SweepRequest request;
    request.interventions = {InterventionSpec::of_kind(InterventionKind::Noise)};
    request.trials = o_.dataset_trials;
    request.seed = static_cast<uint64_t>(seed);
    request.max_batch_tokens = o_.max_batch_tokens;
    return request;
  }

  const Options& o_;
  double load_s_ = 0.0;
  Encoder model_;
  bertscope::MaskedPrompt prompt_;
  std::vector<bertscope::SweepPrompt> dataset_;
  bertscope::TokenBatch batch_;
  std::vector<int> batch_masks_;
};

// The error of --dtype bf16 against float32 on the same model: the clean logits at the
// [MASK], and the top-1 token of every trial of the N-trial noise sweep, same seed (the
// same noise draws in both).
nlohmann::json compare_bf16(const Options& o) {
  bertscope::set_thread_count(o.threads);
  const Encoder f32 = Encoder::load(o.model);
  const Encoder bf16 = Encoder::load(o.model, bertscope::MatmulPrecision::BF16);
  const auto prompt = bertscope::MaskedPrompt::prepare(f32, o.prompt, o.target);
  const auto tokens = bertscope::TokenBatch::single(prompt.ids);
  const auto exact = f32.mlm_logits(f32.forward(tokens), 0, prompt.mask_index);
  const auto rounded = bf16.mlm_logits(bf16.forward(tokens), 0, prompt.mask_index);
  double max_diff = 0.0;
  for (size_t i = 0; i < exact.size(); ++i) max_diff = std::max(max_diff, static_cast<double>(std::fabs(exact[i] - rounded[i])));
  std::vector<int> top_exact, top_rounded;
  for (const auto& t : bertscope::top_k(exact, 5)) top_exact.push_back(t.id);
  for (const auto& t : bertscope::top_k(rounded, 5)) top_rounded.push_back(t.id);

  bertscope::SweepRequest request;
  request.prompt = o.prompt;
  request.target = o.target;
  request.interventions = {InterventionSpec::of_kind(InterventionKind::Noise)};
  request.trials = o.trials;
  request.max_batch_tokens = o.max_batch_tokens;
  const auto a = bertscope::run_sweep(f32, request), b = bertscope::run_sweep(bf16, request);
  // Where the top-1 changes, how close was fp32's own call? The margin of fp32's top-1 over
  // its top-2 (in log-prob) of each changed trial, against that of all trials.
  int same_top1 = 0;
  double max_target_diff = 0.0, widest_changed_margin = 0.0;
  std::vector<double> margins;
  for (size_t i = 0; i < a.runs.size(); ++i) {
    const auto& exact_top = a.runs[i].prediction.top;
    const double margin = exact_top.size() > 1 ? exact_top[0].log_prob - exact_top[1].log_prob : 0.0;
    margins.push_back(margin);
    if (exact_top[0].id == b.runs[i].prediction.top[0].id) {
      ++same_top1;
    } else {
      widest_changed_margin = std::max(widest_changed_margin, margin);
    }
    max_target_diff = std::max(max_target_diff, std::fabs(a.runs[i].prediction.target_logsoftmax -
                                                          b.runs[i].prediction.target_logsoftmax));
  }
  return {{"clean_max_abs_logit_diff", max_diff},
          {"clean_top5_identical", top_exact == top_rounded},
          {"trials", a.runs.size()},
          {"same_top1_share", static_cast<double>(same_top1) / static_cast<double>(a.runs.size())},
          {"changed_top1_widest_fp32_margin", widest_changed_margin},
          {"median_fp32_top1_margin", median(margins)},
          {"max_abs_target_logsoftmax_diff", max_target_diff}};
}

// One-shot: every case `repeats` times in a row, one JSON document.
nlohmann::json run_all(const Options& o) {
  bertscope::set_thread_count(o.threads);
  const Cases cases(o);
  nlohmann::json out = cases.info();
  std::istringstream list(o.cases);
  for (std::string name; std::getline(list, name, ',');) {
    const int repeats = name == "noise" || name.starts_with("dataset") ? o.long_repeats : o.repeats;
    if (name == "throughput") cases.run(name, -1);  // warm-up, untimed (see the constructor)
    std::vector<double> times;
    for (int r = 0; r < repeats; ++r) times.push_back(cases.run(name, r));
    out["cases"][name] = {{"times_s", times}, {"median_s", median(times)}, {"repeats", repeats}};
  }
  out["peak_rss_bytes"] = peak_rss_bytes();
  return out;
}

// Server for bench/run.py, which interleaves the runs of bertscope and the baselines so
// that a burst of load from other processes hits all of them alike. Protocol, one JSON
// line per reply: "ready" line with info() first; then per input line "CASE SEED" ->
// {"seconds": s}, "rss" -> {"peak_rss_bytes": n} (so far); input "quit" or end of input ->
// {"peak_rss_bytes": n}, exit.
void serve(const Options& o) {
  bertscope::set_thread_count(o.threads);
  const Cases cases(o);
  nlohmann::json ready = cases.info();
  ready["ready"] = true;
  std::printf("%s\n", ready.dump().c_str());
  std::fflush(stdout);
  for (std::string line; std::getline(std::cin, line) && line != "quit";) {
    if (line == "rss") {  // the peak RSS so far, and keep serving
      std::printf("%s\n", nlohmann::json{{"peak_rss_bytes", peak_rss_bytes()}}.dump().c_str());
      std::fflush(stdout);
      continue;
    }
    std::istringstream words(line);
    std::string name;
    int seed = 0;
    words >> name >> seed;
    nlohmann::json reply;
    try {
      reply = {{"seconds", cases.run(name, seed)}};
    } catch (const std::exception& e) {
      reply = {{"error", e.what()}};
    }
    std::printf("%s\n", reply.dump().c_str());
    std::fflush(stdout);
  }
  std::printf("%s\n", nlohmann::json{{"peak_rss_bytes", peak_rss_bytes()}}.dump().c_str());
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Time bertscope's benchmark cases (clean forward, notebook sweep, N-trial noise sweep); prints JSON"};
  Options o;
  app.add_option("--model", o.model, "Model folder")->required();
  app.add_option("--prompt", o.prompt, "Prompt with one [MASK]");
  app.add_option("--target", o.target, "Target word of the sweeps");
  app.add_option("--cases", o.cases,
                 "Comma-separated: clean, notebook, noise, dataset, dataset_serial (need --dataset), throughput (needs --batch)");
  app.add_option("--dataset", o.dataset, "Prompts of the dataset cases: one 'text<TAB>target' per line");
  app.add_option("--dataset-trials", o.dataset_trials, "Noise trials per block and prompt of the dataset cases")
      ->check(CLI::Range(1, 100000));
  app.add_option("--batch", o.batch_file, "The throughput case's sequences: JSON {\"ids\": [[...]], \"mask_positions\": [...]}");
  app.add_option("--dtype", o.dtype, "Matmul precision of the timed cases, as bertscope --dtype")
      ->check(CLI::IsMember({"f32", "bf16"}));
  app.add_option("--threads", o.threads, "Threads (default: all cores)")->check(CLI::Range(1, 1024));
  app.add_option("--repeats", o.repeats, "Timed runs of the short cases")->check(CLI::Range(1, 1000));
  app.add_option("--long-repeats", o.long_repeats, "Timed runs of the noise sweep")->check(CLI::Range(1, 1000));
  app.add_option("--trials", o.trials, "Noise trials per block of the long case")->check(CLI::Range(1, 100000));
  app.add_option("--max-batch-tokens", o.max_batch_tokens, "As bertscope sweep --max-batch-tokens")
      ->check(CLI::Range(1, 1 << 24));
  app.add_option("--profile-batch", o.profile_batch, "--profile-block: sequences")->check(CLI::Range(1, 4096));
  app.add_option("--profile-seq", o.profile_seq, "--profile-block: tokens per sequence")->check(CLI::Range(1, 512));
  app.add_option("--masks-seq", o.masks_seq, "--profile-masks: tokens per sequence")->check(CLI::Range(1, 8192));
  app.add_option("--masks-window", o.masks_window, "--profile-masks: sliding window (window_half = window / 2)")
      ->check(CLI::Range(0, 8192));
  bool serve_mode = false, compare = false, profile_mode = false, masks_mode = false;
  app.add_flag("--profile-masks", masks_mode,
               "Time the attention kernel alone, bidirectional, causal and windowed (--profile-batch x --masks-seq); JSON");
  app.add_flag("--profile-block", profile_mode, "Time each stage of one block and the head alone (random weights of the model's shape); JSON");
  app.add_flag("--compare-bf16", compare, "Print the error of --dtype bf16 against float32 (clean logits, top-1 of every noise trial)");
  app.add_flag("--serve", serve_mode, "Read 'CASE SEED' lines on stdin, answer JSON lines (bench/run.py uses this)");
  CLI11_PARSE(app, argc, argv);
  try {
    if (profile_mode) {
      std::printf("%s\n", profile(o).dump(1).c_str());
    } else if (masks_mode) {
      std::printf("%s\n", profile_masks(o).dump(1).c_str());
    } else if (compare) {
      std::printf("%s\n", compare_bf16(o).dump(1).c_str());
    } else if (serve_mode) {
      serve(o);
    } else {
      std::printf("%s\n", run_all(o).dump(1).c_str());
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bertscope-bench: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
