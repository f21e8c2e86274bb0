#include "demo_model.h"

#include <dlfcn.h>

#include <cstdlib>
#include <filesystem>
#include <system_error>

#include "common/error.h"

namespace bertscope::python {

namespace {

std::filesystem::path module_file() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<const void*>(&model_path), &info) == 0 || info.dli_fname == nullptr) {
    throw Error("cannot locate the bertscope Python module to find the shipped demo model: pass a path to "
                "bertscope.load() or set BERTSCOPE_MODEL");
  }
  std::error_code ec;
  const std::filesystem::path file = std::filesystem::absolute(info.dli_fname, ec);
  return ec ? std::filesystem::path(info.dli_fname) : file;
}

}  // namespace

std::string model_path(const std::string& path) {
  if (!path.empty()) return path;
  if (const char* env = std::getenv("BERTSCOPE_MODEL"); env && *env) return env;
  namespace fs = std::filesystem;
  const fs::path model = module_file().parent_path() / BERTSCOPE_PACKAGE_TO_DATA / "models" / "bert-mini-uncased-demo";
  std::error_code ec;
  if (!fs::is_directory(model, ec)) {
    throw Error("the shipped demo model is not at " + model.lexically_normal().string() +
                " (bertscope looks for it relative to its Python module): pass a path to bertscope.load() or set "
                "BERTSCOPE_MODEL");
  }
  return model.lexically_normal().string();
}

bool is_demo_model(const std::string& path) {
  std::error_code ec;
  return std::filesystem::weakly_canonical(path, ec).filename() == "bert-mini-uncased-demo";
}

}  // namespace bertscope::python
