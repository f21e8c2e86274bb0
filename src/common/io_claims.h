#pragma once
// No output may replace an input. A command (the CLI process, one call of the Python
// module) opens an IoClaims scope; every file it reads goes through open_regular_file()
// (common/read_file.h), which claims it as an input, and every output path it writes to is
// claimed by OutputFolder and by the single-file writers the commands use. A claim that
// would make an output be, contain or lie inside an input is refused with an Error, in
// whichever order the two were claimed: `dump --out model/model.safetensors`, `run
// res/spec.toml --out res` and `merge --out s0 s0 s1` all fail before any work, because
// each command claims its output and reads its inputs before it computes anything.
//
// Scopes are per thread (Python threads run their own calls); without a scope, claims are
// not recorded (a library caller that opens no scope gets the writers' own checks only).
#include <string>
#include <vector>

namespace bertscope {

class IoClaims {
 public:
  IoClaims();   // becomes this thread's scope until destroyed (scopes nest: the outer one is kept)
  ~IoClaims();
  IoClaims(const IoClaims&) = delete;
  IoClaims& operator=(const IoClaims&) = delete;

  struct Claim {
    std::string path;  // absolute, symbolic links resolved
    std::string shown; // as given, for messages
    bool output = false;
  };

 private:
  friend void claim_input(const std::string& path);
  friend void claim_output(const std::string& path);
  void add(const std::string& path, bool output);
  std::vector<Claim> claims_;
};

// Records `path` (a file or folder the command reads) in this thread's scope. Throws Error
// when it is, contains or lies inside an output claimed before.
void claim_input(const std::string& path);
// Records `path` (a file or folder the command writes or replaces). Throws Error when it is,
// contains or lies inside an input claimed before.
void claim_output(const std::string& path);

}  // namespace bertscope
