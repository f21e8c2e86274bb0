// bertscope.load() and bertscope.Model: a loaded checkpoint, its config, tokenizer and
// predictions at [MASK]. Forward passes with hooks are in forward.cpp, experiments in
// experiment.cpp.
#include <pybind11/stl.h>

#include <cmath>

#include "arguments.h"
#include "common/error.h"
#include "common/threads.h"
#include "kernels/linear.h"
#include "demo_model.h"
#include "errors.h"
#include "experiments/defaults.h"
#include "experiments/prompt_spec.h"
#include "model/hook_site.h"
#include "model/predictions.h"
#include "experiments/prompt.h"
#include "module.h"

namespace bertscope::python {

void Model::use_threads() const { set_thread_count(threads); }

namespace {

std::shared_ptr<Model> load(const py::object& path_arg, const std::string& dtype, const py::object& threads_arg) {
  if (dtype != "auto" && dtype != "f32" && dtype != "bf16") fail("dtype '" + dtype + "' is not one of auto, f32, bf16");
  // auto: bf16 only where oneDNN has AMX (kernels/linear.h auto_precision).
  const MatmulPrecision precision = dtype == "auto" ? auto_precision()
                                    : dtype == "bf16" ? MatmulPrecision::BF16
                                                      : MatmulPrecision::F32;
  auto model = std::make_shared<Model>();
  if (!threads_arg.is_none()) {
    const long long threads = threads_arg.cast<long long>();
    if (threads < 1 || threads > 1024) fail("threads must be between 1 and 1024 (None: all cores)");
    model->threads = static_cast<int>(threads);
  }
  model->path = model_path(path_argument(path_arg, "path"));
  model->dtype = precision_name(precision);
  model->dtype_requested = dtype;
  model->demo = is_demo_model(model->path);
  {
    py::gil_scoped_release release;
    model->use_threads();
    model->encoder = std::make_shared<const Encoder>(
        Encoder::load(model->path, precision));
  }
  return model;
}

py::dict config(const Model& m) {
  const ModelConfig& c = m.encoder->config();
  py::dict d;
  // Short names first (TransformerLens users look for these), then config.json's own.
  d["family"] = c.family;
  d["architecture"] = c.architecture;
  d["layers"] = c.num_hidden_layers;
  d["hidden"] = c.hidden_size;
  d["heads"] = c.num_attention_heads;
  d["head_dim"] = c.head_dim();
  d["ffn"] = c.intermediate_size;
  d["vocab"] = c.vocab_size;
  d["max_positions"] = c.max_position_embeddings;
  d["num_hidden_layers"] = c.num_hidden_layers;
  d["hidden_size"] = c.hidden_size;
  d["num_attention_heads"] = c.num_attention_heads;
  d["intermediate_size"] = c.intermediate_size;
  d["vocab_size"] = c.vocab_size;
  d["max_position_embeddings"] = c.max_position_embeddings;
  d["type_vocab_size"] = c.type_vocab_size;
  d["embedding_size"] = c.embedding_size;
  d["layer_norm_eps"] = c.layer_norm_eps;
  d["hidden_act"] = c.hidden_act;
  d["do_lower_case"] = m.encoder->tokenizer().do_lower_case();
  return d;
}

py::tuple pieces(const Encoding& e) { return py::make_tuple(py::cast(e.tokens), py::cast(e.ids)); }

py::list predict(const Model& m, const std::string& text, int top) {
  if (top < 1 || top > 1000000) fail("top must be between 1 and 1000000");
  const Encoder& encoder = *m.encoder;
  check_prompt_bytes(text, "text", "text");  // its bytes before its tokens
  const Encoding encoding = encoder.tokenizer().encode(text);
  // The CLI's message (bertscope predict), for the same mistake.
  const std::vector<int> masks = mask_positions(encoder, encoding.ids, "predict");
  std::vector<std::vector<TokenScore>> tops;
  {
    py::gil_scoped_release release;
    const auto one_at_a_time = m.exclusive();
    m.use_threads();
    const TokenBatch tokens = TokenBatch::single(encoding.ids);
    encoder.validate(tokens);
    const HiddenState last = encoder.forward(tokens);
    for (int position : masks) tops.push_back(top_k(log_softmax(encoder.mlm_logits(last, 0, position)), top));
  }
  py::list out;
  for (const auto& scores : tops) {
    py::list row;
    for (const TokenScore& t : scores) {
      row.append(py::make_tuple(encoder.tokenizer().vocab().token(t.id), std::exp(static_cast<double>(t.log_prob))));
    }
    out.append(row);
  }
  return out;
}

std::string repr(const Model& m) {
  const ModelConfig& c = m.encoder->config();
  return "<bertscope.Model " + m.encoder->dir() + (m.demo ? " (the small demo model, not a real BERT)" : "") + ": " +
         std::to_string(c.num_hidden_layers) + " layers, hidden " + std::to_string(c.hidden_size) + ", " + m.dtype + ">";
}

}  // namespace

void bind_model(py::module_& m, py::class_<Model, std::shared_ptr<Model>>& cls) {
  m.def("load", &load, py::arg("path") = py::none(), py::arg("dtype") = "auto", py::arg("threads") = py::none(),
        R"doc(Load a HuggingFace masked-LM checkpoint; config.json's model_type picks the family.

path: a folder with config.json, tokenizer.json (or vocab.txt, or vocab.json + merges.txt)
    and model.safetensors (or a sharded
    model.safetensors.index.json), or a hub cache folder such as
    ~/.cache/huggingface/hub/models--bert-large-uncased. None: $BERTSCOPE_MODEL, else the
    small demo model that ships with bertscope (not a real BERT), as the CLI does.
dtype: "auto" (bf16 on CPUs with AMX, where it is faster, else f32), "f32" (exact to
    HuggingFace within 1e-4) or "bf16" (bfloat16 matmul inputs with float32 accumulation:
    logits within ~1e-2). Model.dtype says which one runs.
threads: threads of every computation of this model (None: OMP_NUM_THREADS or all cores).

Raises bertscope.Error with the CLI's message for a missing or damaged model.)doc");

  cls.doc() = R"doc(A loaded masked-LM encoder of any supported family (see bertscope.load).

Every computation releases the GIL; hooks written in Python take it back while they run.)doc";
  cls.def_property_readonly("config", &config,
                            "dict: layers, hidden, heads, head_dim, ffn, vocab, max_positions, and config.json's "
                            "own fields (num_hidden_layers, hidden_size, ...), do_lower_case");
  cls.def_property_readonly("path", [](const Model& self) { return self.encoder->dir(); },
                            "The folder the weights were read from");
  cls.def_property_readonly("dtype", [](const Model& self) { return self.dtype; }, "\"f32\" or \"bf16\": the precision that runs (dtype=\"auto\" resolved)");
  cls.def_property_readonly("threads", [](const Model& self) { return self.threads > 0 ? self.threads : thread_count(); },
                            "Threads every computation of this model uses");
  cls.def_property_readonly("is_demo", [](const Model& self) { return self.demo; },
                            "True for the small demo model shipped with bertscope (its numbers say nothing about real "
                            "BERT)");
  cls.def("tokenize", [](const Model& self, const std::string& text) { return pieces(self.encoder->tokenizer().tokenize(text)); },
          py::arg("text"), R"doc(Word pieces and ids of text, without [CLS] and [SEP].

Returns (tokens, ids), as `bertscope tokenize --json` and the model's HuggingFace tokenizer.)doc");
  cls.def("encode", [](const Model& self, const std::string& text) { return pieces(self.encoder->tokenizer().encode(text)); },
          py::arg("text"), R"doc(Word pieces and ids of text with [CLS] and [SEP]: the positions of the
arrays of run_with_cache and run_with_hooks (the [MASK] of tokenize() at i is at i + 1 here).

Returns (tokens, ids).)doc");
  cls.def("token", [](const Model& self, int id) {
            const Vocab& vocab = self.encoder->tokenizer().vocab();
            if (id < 0 || id >= self.encoder->config().vocab_size) fail("token id " + std::to_string(id) + " is outside the vocabulary");
            return vocab.token(id);
          },
          py::arg("id"), "The vocabulary entry of a token id");
  cls.def("token_id", [](const Model& self, const std::string& token) {
            const auto id = self.encoder->tokenizer().vocab().find(token);
            if (!id) fail("token \"" + token + "\" is not an entry of the vocabulary");
            return *id;
          },
          py::arg("token"), "The id of a vocabulary entry (a word piece such as \"behind\" or \"##ing\")");
  cls.def("predict", &predict, py::arg("text"), py::arg("top") = defaults::kTopK,
          R"doc(The top tokens at every [MASK] of text, as `bertscope predict`.

Returns one list per [MASK], in order: [(token, probability), ...], most probable first.
Raises bertscope.Error when text has no [MASK].)doc");
  cls.def("hook_sites", [](const Model& self) {
            std::vector<std::string> names;
            for (const HookSite& site : HookSite::all(self.encoder->layers())) names.push_back(site.name());
            return names;
          },
          R"doc(Every hook site name of this model, in forward order: embed.out, then per block L
blocks.L.attn.context, .attn.out, .ln1.out, .mlp.post, .mlp.out, .out (`bertscope hooks`
explains each).)doc");
  cls.def("__repr__", &repr);
}

}  // namespace bertscope::python
