// bertscope dump: input ids, every hidden state and the logits of a text, as safetensors,
// with the names and meaning of the golden reference files (hidden.0 = embeddings), and
// any hook site (--sites, names or globs) as a tensor named by the site. With --prompts,
// a padded batch: every tensor gains a leading batch dimension, and `lengths` is written;
// the metadata names the batch's texts and prompt ids as JSON arrays (a text may hold a
// line break, so no separator would do).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <vector>

#include "commands/commands.h"
#include "common/atomic_file.h"
#include "common/disk_space.h"
#include "common/error.h"
#include "common/io_claims.h"
#include "common/json_text.h"
#include "common/printable.h"
#include "model/encoder.h"
#include "experiments/run_memory.h"
#include "model/site_patterns.h"
#include "weights/safetensors_writer.h"

namespace bertscope::cli {

namespace {

struct DumpOptions {
  ModelOptions model;
  std::string out;
  std::string text;
  std::string prompts;  // a prompt file (its texts and ids; targets are not used here)
  std::string sites;    // "blocks.*.attn.pattern,embed.out"
};

// The metadata key that marks a file as written by dump, the only file dump replaces.
constexpr const char* kDumpMarker = "bertscope";

// The metadata of the safetensors file at `path`, or null when it is not one. Read here
// without claiming the file as an input: it is the output being checked.
nlohmann::json safetensors_metadata(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return nullptr;
  struct stat st {};
  unsigned char size_bytes[8] = {};
  uint64_t header = 0;
  std::string text;
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && ::pread(fd, size_bytes, 8, 0) == 8) {
    for (int i = 7; i >= 0; --i) header = header << 8 | size_bytes[i];
    if (header <= (uint64_t{64} << 20) && header + 8 <= static_cast<uint64_t>(st.st_size)) {
      text.resize(header);
      if (::pread(fd, text.data(), header, 8) != static_cast<ssize_t>(header)) text.clear();
    }
  }
  ::close(fd);
  const nlohmann::json parsed = nlohmann::json::parse(text, nullptr, false);
  return parsed.is_object() && parsed.contains("__metadata__") && parsed["__metadata__"].is_object() ? parsed["__metadata__"]
                                                                                                        : nlohmann::json();
}

}  // namespace

// dump --out replaces only an earlier dump, as --out DIR replaces only an earlier output
// folder: never the model's weights, a prompt file or anything else that happens to be there.
// Dumps before the marker are known by their "model" and "text" or "texts" entries.
void check_replaceable_tensors(const std::string& path, const std::string& command) {
  check_output_file(path);  // a device, FIFO or symlink is refused too
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return;  // a new file
  const nlohmann::json meta = safetensors_metadata(path);
  const bool ours = meta.is_object() && (meta.value(kDumpMarker, "") == command ||
                                         (command == "dump" && meta.contains("model") &&
                                          (meta.contains("text") || meta.contains("texts"))));
  if (!ours) {
    throw Error(path + ": exists and is not an earlier " + command + " (bertscope " + command +
                " replaces only a file it wrote); choose a new path or remove it yourself");
  }
}

namespace {

// The safetensors metadata: the text of one prompt, or the texts and ids of a batch.
std::vector<std::pair<std::string, std::string>> dump_metadata(const std::vector<PromptSpec>& prompts, bool single,
                                                               const std::string& model_dir) {
  std::vector<std::pair<std::string, std::string>> metadata{{"format", "pt"}, {kDumpMarker, "dump"}};
  if (single) {
    metadata.emplace_back("text", prompts.front().text);
  } else {
    nlohmann::json texts = nlohmann::json::array(), ids = nlohmann::json::array();
    for (const PromptSpec& p : prompts) {
      texts.push_back(p.text);
      ids.push_back(p.id);
    }
    metadata.emplace_back("texts", json_text(texts));
    metadata.emplace_back("prompt_ids", json_text(ids));
  }
  metadata.emplace_back("model", model_dir);
  return metadata;
}

// The captured activations of one site, in the shape its view gives (batch first).
struct Captured {
  HookSite site;
  std::vector<int64_t> shape;
  std::vector<float> values;
};

void run_dump(const DumpOptions& options) {
  // Before the prompts are read and the model loads: an output that is not an earlier dump,
  // or that is one of this command's inputs (the weights, the prompt file), is refused now.
  check_replaceable_tensors(options.out, "dump");
  claim_output(options.out);
  const std::vector<PromptSpec> prompts = prompts_from(options.text, options.prompts, "a TEXT");
  const bool single = options.prompts.empty();
  const Encoder encoder = load_model(options.model);
  std::vector<std::vector<int>> sequences;
  for (const PromptSpec& p : prompts) sequences.push_back(encoder.tokenizer().encode(p.text).ids);
  const TokenBatch tokens = single ? TokenBatch::single(sequences.front())
                                   : TokenBatch::padded(sequences, encoder.tokenizer().vocab().pad_id());

  const std::vector<HookSite> sites = options.sites.empty() ? std::vector<HookSite>{}
                                                            : resolve_site_list(encoder, options.sites);
  // A site named twice (blocks.0.out and blocks.*.out) would be two tensors of one name:
  // refused now, as a repeated position is, not by the writer after the forward pass.
  for (size_t i = 0; i < sites.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (sites[j].name() == sites[i].name()) {
        throw Error("--sites names " + sites[i].name() + " twice (its patterns overlap); name each site once");
      }
    }
  }
  // What the pass will hold and the file will take, before the pass: a batch too large is
  // refused with the numbers, not after seconds of work in the generic out-of-memory error.
  const auto rows = static_cast<uint64_t>(tokens.batch), columns = static_cast<uint64_t>(tokens.seq);
  check_capture_memory(encoder, sites, rows, columns, /*hidden_states=*/true, "dump");
  // The file holds what the pass keeps, less its working memory: that bound is close enough.
  check_disk_space(std::filesystem::absolute(options.out).parent_path().string(), options.out,
                   capture_bytes(encoder, sites, rows, columns, true), "dump");
  std::vector<Captured> captured(sites.size());
  Hooks hooks;
  for (size_t i = 0; i < sites.size(); ++i) {
    captured[i].site = sites[i];
    hooks.add(sites[i], [slot = &captured[i]](const HookSite&, ActivationView view) {
      slot->shape = view.shape();
      slot->values.assign(view.data, view.data + view.size());
    });
  }
  std::vector<HiddenState> hidden;
  const HiddenState last = encoder.forward(tokens, &hooks, &hidden);

  // One prompt: tensors without the batch dimension, as dump has always written them.
  auto shaped = [single](std::vector<int64_t> shape) {
    if (single) shape.erase(shape.begin());
    return shape;
  };
  const int64_t batch = last.batch, seq = last.seq, width = last.width, vocab = encoder.config().vocab_size;
  std::vector<OutputTensor> tensors;
  const std::vector<int64_t> ids(tokens.ids.begin(), tokens.ids.end());
  tensors.push_back(OutputTensor::i64("input_ids", shaped({batch, seq}), ids.data()));
  if (!single) {
    const std::vector<int64_t> lengths(tokens.lengths.begin(), tokens.lengths.end());
    tensors.push_back(OutputTensor::i64("lengths", {batch}, lengths.data()));
  }
  for (size_t l = 0; l < hidden.size(); ++l) {
    tensors.push_back(OutputTensor::f32("hidden." + std::to_string(l), shaped({batch, seq, width}), hidden[l].values.data()));
  }
  std::vector<float> logits(static_cast<size_t>(batch * seq * vocab));
  encoder.mlm_logits(last.values.data(), last.rows(), logits.data());
  tensors.push_back(OutputTensor::f32("logits", shaped({batch, seq, vocab}), logits.data()));
  for (const Captured& c : captured) tensors.push_back(OutputTensor::f32(c.site.name(), shaped(c.shape), c.values.data()));
  write_safetensors(options.out, tensors, dump_metadata(prompts, single, encoder.dir()));

  std::printf("wrote %s: input_ids [%lld], hidden.0..%zu [%lld, %lld], logits [%lld, %lld]", printable(options.out).c_str(),
              static_cast<long long>(seq), hidden.size() - 1, static_cast<long long>(seq),
              static_cast<long long>(width), static_cast<long long>(seq), static_cast<long long>(vocab));
  if (!single) std::printf(", each with a leading batch dimension of %lld, lengths [%lld]", static_cast<long long>(batch),
                           static_cast<long long>(batch));
  if (!captured.empty()) std::printf(", %zu site(s) from %s to %s", captured.size(), captured.front().site.name().c_str(),
                                     captured.back().site.name().c_str());
  std::printf("\n");
}

}  // namespace

void add_dump_command(CLI::App& app) {
  auto options = std::make_shared<DumpOptions>();
  CLI::App* command = app.add_subcommand("dump", "Write input ids, hidden states at every layer, logits and any hook site to a safetensors file");
  add_model_options(*command, options->model);
  command->add_option("--out", options->out, "Output file (.safetensors), written atomically")->required();
  command->add_option("--sites", options->sites,
                      "Hook sites to write too, as tensors named by the site: names or globs, comma-separated "
                      "(blocks.*.attn.pattern, blocks.2.**; bertscope hooks lists them)");
  add_prompts_option(*command, options->prompts,
                     "Instead of TEXT: its texts run as one padded batch; tensors get a leading batch dimension and "
                     "`lengths` [batch] is written");
  command->add_option("text", options->text, "Text to run");
  command->footer("Example:\n  bertscope dump --model models/bert-mini-uncased-demo --out states.safetensors "
                  "--sites 'blocks.*.attn.pattern' \"Pay no attention to that man [MASK] the curtain!\"\n"
                  "Load in Python: bertscope.read_safetensors('states.safetensors')['blocks.3.attn.pattern']");
  command->callback([options] { run_dump(*options); });
}

}  // namespace bertscope::cli
