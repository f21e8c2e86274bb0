// bertscope dump: input ids, every hidden state and the logits of a text, as safetensors,
// with the names and meaning of the golden reference files (hidden.0 = embeddings).
#include <cstdio>
#include <vector>

#include "commands/commands.h"
#include "common/atomic_file.h"
#include "common/printable.h"
#include "model/bert_model.h"
#include "weights/safetensors_writer.h"

namespace bertscope::cli {

namespace {

struct DumpOptions {
  ModelOptions model;
  std::string out;
  std::string text;
};

void run_dump(const DumpOptions& options) {
  check_output_file(options.out);  // a device, FIFO or symlink is refused before the model loads
  const BertModel bert = load_model(options.model);
  const Encoding encoding = bert.tokenizer().encode(options.text);
  std::vector<HiddenState> hidden;
  const HiddenState last = bert.forward(TokenBatch::single(encoding.ids), nullptr, &hidden);

  const int64_t seq = last.seq, width = last.width, vocab = bert.config().vocab_size;
  std::vector<OutputTensor> tensors;
  const std::vector<int64_t> ids(encoding.ids.begin(), encoding.ids.end());
  tensors.push_back(OutputTensor::i64("input_ids", {seq}, ids.data()));
  for (size_t l = 0; l < hidden.size(); ++l) {
    tensors.push_back(OutputTensor::f32("hidden." + std::to_string(l), {seq, width}, hidden[l].values.data()));
  }
  std::vector<float> logits(static_cast<size_t>(seq * vocab));
  bert.mlm_logits(last.values.data(), last.rows(), logits.data());
  tensors.push_back(OutputTensor::f32("logits", {seq, vocab}, logits.data()));
  write_safetensors(options.out, tensors, {{"format", "pt"}, {"text", options.text}, {"model", bert.dir()}});
  std::printf("wrote %s: input_ids [%lld], hidden.0..%zu [%lld, %lld], logits [%lld, %lld]\n", printable(options.out).c_str(),
              static_cast<long long>(seq), hidden.size() - 1, static_cast<long long>(seq),
              static_cast<long long>(width), static_cast<long long>(seq), static_cast<long long>(vocab));
}

}  // namespace

void add_dump_command(CLI::App& app) {
  auto options = std::make_shared<DumpOptions>();
  CLI::App* command = app.add_subcommand("dump", "Write input ids, hidden states at every layer and logits to a safetensors file");
  add_model_options(*command, options->model);
  command->add_option("--out", options->out, "Output file (.safetensors), written atomically")->required();
  command->add_option("text", options->text, "Text to run")->required();
  command->footer("Example:\n  bertscope dump --model models/bert-mini-uncased-demo --out states.safetensors "
                  "\"Pay no attention to that man [MASK] the curtain!\"\n"
                  "Load in Python: safetensors.numpy.load_file('states.safetensors')['hidden.3']");
  command->callback([options] { run_dump(*options); });
}

}  // namespace bertscope::cli
