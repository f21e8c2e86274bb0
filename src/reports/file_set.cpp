#include "reports/file_set.h"

#include <filesystem>
#include <memory>

#include "common/atomic_file.h"
#include "common/error.h"

namespace bertscope {

std::vector<std::string> write_files_together(const std::string& folder, const std::vector<NamedFile>& files) {
  std::error_code ec;
  std::filesystem::create_directories(folder, ec);
  if (ec || !std::filesystem::is_directory(folder)) {
    throw Error(folder + ": cannot create the output folder (" + (ec ? ec.message() : "not a directory") + ")");
  }
  std::vector<std::unique_ptr<AtomicFileWriter>> writers;
  std::vector<std::string> written;
  for (const auto& [name, contents] : files) {
    const std::string path = (std::filesystem::path(folder) / name).string();
    writers.push_back(std::make_unique<AtomicFileWriter>(path));
    writers.back()->write(contents);
    written.push_back(path);
  }
  for (auto& writer : writers) writer->commit();
  return written;
}

}  // namespace bertscope
