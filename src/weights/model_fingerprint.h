#pragma once
// A hash of the contents of the files a model is loaded from (config.json, vocab.txt,
// tokenizer_config.json, the safetensors files and their index), so that the shards of one
// run can show they used the same weights wherever the folder was. It tells a changed or
// different model apart; it is no defence against someone forging a collision.
#include <string>

namespace bertscope {

// 16 hex digits. Throws Error naming a file that cannot be read.
std::string model_fingerprint(const std::string& model_path);

}  // namespace bertscope
