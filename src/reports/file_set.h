#pragma once
// The files of one command's output folder, written together: each to its temporary first,
// and only when all are complete renamed into place, one right after the other. An error or
// Ctrl-C before that leaves the folder as it was, never holding part of a run's files.
#include <string>
#include <utility>
#include <vector>

namespace bertscope {

using NamedFile = std::pair<std::string, std::string>;  // file name in the folder, contents

// Creates `folder` if needed. Returns the paths written. Throws Error naming the folder or
// file that cannot be created or written.
std::vector<std::string> write_files_together(const std::string& folder, const std::vector<NamedFile>& files);

}  // namespace bertscope
