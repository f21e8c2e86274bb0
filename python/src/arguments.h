#pragma once
// Python arguments as the engine takes them: paths (str or os.PathLike), one text or a list
// of texts (one padded batch), layer and position lists. Bad values raise bertscope.Error
// (or TypeError for a wrong type), naming the argument.
#include <pybind11/pybind11.h>

#include <string>
#include <vector>

#include "experiments/prompt_spec.h"
#include "model/encoder.h"

namespace bertscope::python {

// None -> "", str or os.PathLike -> its path, with a leading ~ expanded.
std::string path_argument(pybind11::handle value, const char* name);

struct Texts {
  TokenBatch tokens;
  bool single = true;  // a str, not a list: arrays have no batch dimension
};
// A str, or a non-empty list (or tuple) of str: tokenized with [CLS] and [SEP], right-padded
// with [PAD] to the longest, and checked against the model (length, vocabulary).
Texts encode_texts(const Encoder& model, pybind11::handle texts);

// A site name or glob pattern, or a list of them -> the sites, in forward order (None: `fallback`).
std::vector<HookSite> sites_argument(const Encoder& model, pybind11::handle sites, const std::vector<HookSite>& fallback);

// Whether `value` names a prompt file: an os.PathLike, or a str ending in .txt, .jsonl or .csv
// (a prompt text never does in practice, and a file named otherwise can be given as a Path).
bool names_prompt_file(pybind11::handle value);

// A list of texts, or a prompt file (os.PathLike, or a str ending in .txt, .jsonl or .csv), as
// prompts with ids; `name` is the argument's, for errors (collect.cpp).
std::vector<PromptSpec> prompts_argument(const pybind11::object& prompts, const std::string& name);

// "all", "mask", "last", "0-5,8", an int, or a list of ints -> the text form the engine parses
// (layers, positions, heads); `name` is the argument's, for errors.
std::string index_list_argument(pybind11::handle value, const std::string& name);

}  // namespace bertscope::python
