#include "default_model.h"

#include <filesystem>
#include <system_error>

#include "common/error.h"

namespace bertscope::cli {

std::string shipped_demo_model() {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) throw Error("cannot locate the bertscope executable (/proc/self/exe: " + ec.message() +
                      ") to find the shipped demo model: pass --model DIR or set BERTSCOPE_MODEL");
  const fs::path model = exe.parent_path() / BERTSCOPE_BIN_TO_DATA / "models" / "bert-mini-uncased-demo";
  if (!fs::is_directory(model, ec)) {
    throw Error("the shipped demo model is not at " + model.lexically_normal().string() +
                " (bertscope looks for it beside its own executable): pass --model DIR or set BERTSCOPE_MODEL");
  }
  return model.lexically_normal().string();
}

}  // namespace bertscope::cli
