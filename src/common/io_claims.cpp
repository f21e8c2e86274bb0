#include "common/io_claims.h"

#include <sys/stat.h>

#include <filesystem>

#include "common/error.h"

namespace bertscope {

namespace fs = std::filesystem;

namespace {

thread_local IoClaims* g_scope = nullptr;

// The path with every symbolic link resolved, so that two spellings of one file compare
// equal (a link to the model's weights is the model's weights).
std::string resolved(const std::string& path) {
  std::error_code ec;
  fs::path p = fs::weakly_canonical(fs::absolute(path, ec), ec);
  if (ec) p = fs::absolute(path, ec).lexically_normal();
  std::string s = p.string();
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  return s;
}

bool inside(const std::string& inner, const std::string& outer) {
  return inner.size() > outer.size() && inner.compare(0, outer.size(), outer) == 0 &&
         (outer == "/" || inner[outer.size()] == '/');
}

// The same file under two names (a hard link) is the same input.
bool same_file(const std::string& a, const std::string& b) {
  struct stat sa {}, sb {};
  return ::stat(a.c_str(), &sa) == 0 && ::stat(b.c_str(), &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

}  // namespace

IoClaims::IoClaims() {
  if (!g_scope) g_scope = this;
}

IoClaims::~IoClaims() {
  if (g_scope == this) g_scope = nullptr;
}

void IoClaims::add(const std::string& given, bool output) {
  const std::string path = resolved(given);
  for (const Claim& c : claims_) {
    if (c.output == output) continue;
    const Claim& out = output ? Claim{path, given, true} : c;
    const Claim& in = output ? c : Claim{path, given, false};
    const char* relation = out.path == in.path || same_file(out.path, in.path) ? "is"
                           : inside(in.path, out.path)                          ? "contains"
                           : inside(out.path, in.path)                          ? "lies inside"
                                                                                : nullptr;
    if (!relation) continue;
    throw Error(out.shown + ": refused as an output: it " + relation + " " + in.shown +
                ", which this command reads; writing there would destroy its own input (choose another output path)");
  }
  for (const Claim& c : claims_) {
    if (c.output == output && c.path == path) return;  // claimed already
  }
  claims_.push_back({path, given, output});
}

void claim_input(const std::string& path) {
  if (g_scope) g_scope->add(path, false);
}

void claim_output(const std::string& path) {
  if (g_scope) g_scope->add(path, true);
}

}  // namespace bertscope
