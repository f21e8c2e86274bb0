// Model.run_with_cache and Model.run_with_hooks: one forward pass over a text (or a padded
// batch of texts) with hooks at named sites, returning the logits at every position.
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <cstring>
#include <list>

#include "arguments.h"
#include "arrays.h"
#include "errors.h"
#include "experiments/run_memory.h"
#include "model/site_patterns.h"
#include "module.h"

namespace bertscope::python {

namespace {

size_t count(const ActivationView& v) { return v.size(); }

std::vector<py::ssize_t> shape_of(int batch, int seq, int width, bool single) {
  if (single) return {seq, width};
  return {batch, seq, width};
}

// The view's shape (hooks.h: [batch, seq, width], or the per-head sites' 4-d shapes), without
// the batch dimension for a single text.
std::vector<py::ssize_t> shape_of(const ActivationView& view, bool single) {
  const std::vector<int64_t> full = view.shape();
  return std::vector<py::ssize_t>(full.begin() + (single ? 1 : 0), full.end());
}

std::string shape_text(const std::vector<py::ssize_t>& shape) {
  std::string text = "(";
  for (size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + (shape.size() == 1 ? ",)" : ")");
}

// Calls a Python hook with the GIL. It gets its own copy of the activations as a writable
// float32 array, which it may edit in place or replace by returning an array of the same
// shape; that is copied back and the forward pass continues from it. Being a copy, the array
// stays valid when the hook keeps it (the engine's buffer is reused by the next block).
void call_python_hook(const py::object& fn, const HookSite& site, const ActivationView& view, bool single) {
  py::gil_scoped_acquire gil;
  const std::vector<py::ssize_t> shape = shape_of(view, single);
  const size_t bytes = count(view) * sizeof(float);
  py::array_t<float> h(shape);
  std::memcpy(h.mutable_data(), view.data, bytes);
  const py::object returned = fn(site.name(), h);
  if (returned.is_none()) {
    std::memcpy(view.data, h.data(), bytes);
    return;
  }
  const auto replacement = py::array_t<float, py::array::c_style | py::array::forcecast>::ensure(returned);
  if (!replacement) {
    fail("the hook at " + site.name() + " returned a " +
         py::str(py::type::handle_of(returned).attr("__name__")).cast<std::string>() +
         ": return None (after editing h in place) or an array of h's shape " + shape_text(shape));
  }
  const std::vector<py::ssize_t> got(replacement.shape(), replacement.shape() + replacement.ndim());
  if (got != shape) {
    fail("the hook at " + site.name() + " returned an array of shape " + shape_text(got) + "; h's shape is " +
         shape_text(shape));
  }
  std::memcpy(view.data, replacement.data(), bytes);
}

// The Python callables of one call and the engine's Hooks that call them. The callables
// live here (created and destroyed with the GIL); the hooks refer to them.
struct PythonHooks {
  std::list<py::object> callables;
  Hooks hooks;
};

// {"blocks.3.out": fn, "blocks.*.mlp.post": fn2} or [("blocks.3.out", fn), ...] (several
// hooks may share a site: they run in the order given).
void add_python_hooks(const Encoder& model, py::handle spec, bool single, PythonHooks& out) {
  if (spec.is_none()) return;
  std::vector<std::pair<py::object, py::object>> entries;
  if (py::isinstance<py::dict>(spec)) {
    for (auto item : py::reinterpret_borrow<py::dict>(spec)) {
      entries.emplace_back(py::reinterpret_borrow<py::object>(item.first), py::reinterpret_borrow<py::object>(item.second));
    }
  } else if (py::isinstance<py::iterable>(spec) && !py::isinstance<py::str>(spec)) {
    for (py::handle item : spec) {
      const auto pair = py::reinterpret_borrow<py::object>(item);
      if (!py::isinstance<py::sequence>(pair) || py::len(pair) != 2)
        throw py::type_error("hooks must be a dict {site: fn} or a list of (site, fn) pairs");
      entries.emplace_back(pair[py::int_(0)], pair[py::int_(1)]);
    }
  } else {
    throw py::type_error("hooks must be a dict {site: fn} or a list of (site, fn) pairs");
  }
  for (const auto& [name, fn] : entries) {
    if (!py::isinstance<py::str>(name)) throw py::type_error("a hook site must be a str such as \"blocks.3.out\"");
    if (!PyCallable_Check(fn.ptr())) {
      throw py::type_error("the hook at '" + name.cast<std::string>() + "' is not callable: give fn(name, h)");
    }
    const py::object& callable = out.callables.emplace_back(fn);
    for (const HookSite& site : resolve_sites(model, {name.cast<std::string>()})) {
      out.hooks.add(site, [&callable, single](const HookSite& at, ActivationView view) {
        call_python_hook(callable, at, view, single);
      });
    }
  }
}

// Runs the forward pass without the GIL and returns the MLM logits of every position.
std::vector<float> forward_logits(const Model& m, const Texts& texts, const Hooks& hooks) {
  py::gil_scoped_release release;
  const auto one_at_a_time = m.exclusive();
  m.use_threads();
  const Encoder& encoder = *m.encoder;
  const HiddenState last = encoder.forward(texts.tokens, hooks.empty() ? nullptr : &hooks);
  std::vector<float> logits(static_cast<size_t>(last.rows()) * static_cast<size_t>(encoder.config().vocab_size));
  encoder.mlm_logits(last.values.data(), last.rows(), logits.data());
  return logits;
}

py::array_t<float> logits_array(const Model& m, const Texts& texts, std::vector<float>&& logits) {
  return take_array(std::move(logits), shape_of(texts.tokens.batch, texts.tokens.seq, m.encoder->config().vocab_size, texts.single));
}

py::array_t<long long> lengths_array(const Texts& texts) {
  std::vector<long long> lengths(texts.tokens.lengths.begin(), texts.tokens.lengths.end());
  return take_array(std::move(lengths), {static_cast<py::ssize_t>(lengths.size())});
}

py::object run_with_cache(const Model& m, const py::object& text, const py::object& sites, const py::object& hooks) {
  const Encoder& encoder = *m.encoder;
  const Texts texts = encode_texts(encoder, text);
  const std::vector<HookSite> chosen = sites_argument(encoder, sites, residual_sites(encoder));
  // Before the pass: a cache too large for memory is refused with the numbers, not after it.
  check_capture_memory(encoder, chosen, static_cast<uint64_t>(texts.tokens.batch), static_cast<uint64_t>(texts.tokens.seq),
                       /*hidden_states=*/false, "run_with_cache");
  // The user's hooks first: at a site that has both, the cache holds the edited values.
  PythonHooks python;
  add_python_hooks(encoder, hooks, texts.single, python);
  struct Captured {
    std::vector<float> values;
    std::vector<py::ssize_t> shape;
  };
  std::vector<Captured> captured(chosen.size());
  for (size_t i = 0; i < chosen.size(); ++i) {
    python.hooks.add(chosen[i], [slot = &captured[i], single = texts.single](const HookSite&, ActivationView view) {
      slot->values.assign(view.data, view.data + count(view));  // the one copy: numpy takes this buffer
      slot->shape = shape_of(view, single);
    });
  }
  std::vector<float> logits = forward_logits(m, texts, python.hooks);
  py::dict cache;
  for (size_t i = 0; i < chosen.size(); ++i) {
    Captured& c = captured[i];
    cache[py::str(chosen[i].name())] = take_array(std::move(c.values), c.shape);
  }
  py::array_t<float> array = logits_array(m, texts, std::move(logits));
  if (texts.single) return py::make_tuple(array, cache);
  return py::make_tuple(array, cache, lengths_array(texts));
}

py::object run_with_hooks(const Model& m, const py::object& text, const py::object& hooks) {
  const Texts texts = encode_texts(*m.encoder, text);
  PythonHooks python;
  add_python_hooks(*m.encoder, hooks, texts.single, python);
  py::array_t<float> array = logits_array(m, texts, forward_logits(m, texts, python.hooks));
  if (texts.single) return array;
  return py::make_tuple(array, lengths_array(texts));
}

}  // namespace

void bind_forward(py::class_<Model, std::shared_ptr<Model>>& cls) {
  cls.def("run_with_cache", &run_with_cache, py::arg("text"), py::arg("sites") = py::none(),
          py::arg("hooks") = py::none(),
          R"doc(One forward pass, keeping the activations at hook sites.

text: a str, or a list of str run as one batch right-padded with [PAD] to the longest.
sites: None for embed.out and every block output (HuggingFace's hidden_states[0..layers]),
    or a name or list of names and glob patterns, e.g. ["blocks.*.mlp.post", "embed.out"]
    (Model.hook_sites() lists them). A pattern matches part by part: "*" within one
    dot-separated part (blocks.*.out: every block output, not blocks.3.attn.out), "**" any
    number of parts (blocks.2.**: every site of block 2; **: every site).
hooks: optional, as in run_with_hooks; they run before the cache reads a site, so the
    cache holds their edits.

Returns (logits, cache) for a str: logits float32 [seq, vocab] at every position ([CLS]
and [SEP] included, as Model.encode), cache a dict site name -> float32 [seq, width], in
forward order. For a list: (logits [batch, seq, vocab], cache of [batch, seq, width],
lengths), lengths the int64 [batch] count of real tokens of each text.)doc");
  cls.def("run_with_hooks", &run_with_hooks, py::arg("text"), py::arg("hooks"),
          R"doc(One forward pass with Python hooks that read or edit activations.

hooks: {site: fn} or [(site, fn), ...]; a site is a name or a glob pattern as in
    run_with_cache ("blocks.*.out": every block output). Each fn(name, h) is called, with
    the GIL, when the forward pass reaches the site: h is a writable float32 array of the
    activations there, [seq, width] for a str ([batch, seq, width] for a list), which fn
    edits in place, or fn returns an array of the same shape to use instead. The pass
    continues from that. h is fn's own copy: keeping it is safe. An exception raised by fn
    stops the pass and propagates.

Returns logits float32 [seq, vocab] for a str; (logits [batch, seq, vocab], lengths) for a
list of str.)doc");
}

}  // namespace bertscope::python
