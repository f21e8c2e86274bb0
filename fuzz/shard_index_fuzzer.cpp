// Fuzz target: model.safetensors.index.json (the weight map of a sharded checkpoint) as
// TensorStore::open_dir reads it, in a folder holding two valid shards and a file that is
// not safetensors, so that well-formed maps open real (and wrong) files.
#include <cstdint>

#include "fuzz_support.h"
#include "weights/safetensors_writer.h"
#include "weights/tensor_store.h"

using namespace bertscope;

namespace {

// The folder, with its shards written once per process.
const std::string& model_dir() {
  static const std::string dir = [] {
    const std::string d = fuzz::scratch_path("sharded");
    std::filesystem::create_directories(d);
    const float a[2] = {1, 2}, b[3] = {3, 4, 5}, c[1] = {6};
    write_safetensors(d + "/model-00001-of-00002.safetensors",
                      {OutputTensor::f32("a", {2}, a), OutputTensor::f32("b", {3}, b)});
    write_safetensors(d + "/model-00002-of-00002.safetensors", {OutputTensor::f32("c", {1}, c)});
    const std::string text = "not a safetensors file\n";
    fuzz::write_input(d + "/notes.txt", reinterpret_cast<const uint8_t*>(text.data()), text.size());
    return d;
  }();
  return dir;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string& dir = model_dir();
  fuzz::write_input(dir + "/model.safetensors.index.json", data, size);
  try {
    const TensorStore store = TensorStore::open_dir(dir);
    for (const std::string& name : store.names()) {
      fuzz::expect(store.contains(name), "names() lists '" + name + "' but contains() denies it");
      fuzz::expect(!store.file_of(name).empty(), "no file for '" + name + "'");
    }
  } catch (const Error& e) {
    fuzz::check_refusal(e, dir);
  }
  return 0;
}
