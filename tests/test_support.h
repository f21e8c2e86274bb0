#pragma once
// Shared helpers of the test suite: paths of the reference data, reading golden tensors,
// comparing float arrays the way the reference README asks (abs 1e-4, rel 1e-3).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sys/wait.h>
#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "kernels/linear.h"
#include "test_util.h"
#include "weights/safetensors_file.h"

namespace bertscope::test {

inline std::string data_path(const std::string& relative) { return std::string(BERTSCOPE_TEST_DATA) + "/" + relative; }
inline std::string reference_model(const std::string& name) { return data_path("reference/models/" + name); }

// The three reference models, for parameterized tests, and a gtest-safe name for each.
inline const std::vector<std::string>& reference_cases() {
  static const std::vector<std::string> cases = {"tiny-fp32", "tiny-legacy-f16", "small-bf16"};
  return cases;
}
inline std::string case_name(const ::testing::TestParamInfo<std::string>& info) {
  std::string name = info.param;
  for (char& c : name) c = c == '-' ? '_' : c;
  return name;
}

inline nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path);
  return nlohmann::json::parse(in);
}

// Golden tensors of one reference case (golden/<case>.safetensors).
class GoldenTensors {
 public:
  explicit GoldenTensors(const std::string& case_name)
      : file_(SafetensorsFile::open(data_path("reference/golden/" + case_name + ".safetensors"))) {}
  // The golden tensors of a file elsewhere (the families' goldens).
  static GoldenTensors at(const std::string& path) { return GoldenTensors(SafetensorsFile::open(path)); }

  bool has(const std::string& name) const { return file_->find(name) != nullptr; }
  std::vector<float> f32(const std::string& name) const {
    const TensorInfo* info = require(name, DType::F32);
    std::vector<float> out(static_cast<size_t>(info->element_count()));
    std::memcpy(out.data(), file_->bytes(*info).data(), out.size() * sizeof(float));
    return out;
  }
  std::vector<int64_t> i64(const std::string& name) const {
    const TensorInfo* info = require(name, DType::I64);
    std::vector<int64_t> out(static_cast<size_t>(info->element_count()));
    std::memcpy(out.data(), file_->bytes(*info).data(), out.size() * sizeof(int64_t));
    return out;
  }
  std::vector<int64_t> shape(const std::string& name) const { return require(name, std::nullopt)->shape; }

 private:
  const TensorInfo* require(const std::string& name, std::optional<DType> dtype) const {
    const TensorInfo* info = file_->find(name);
    if (!info) throw std::runtime_error("golden tensor missing: " + name);
    if (dtype && info->dtype != *dtype) throw std::runtime_error("golden tensor has another dtype: " + name);
    return info;
  }
  explicit GoldenTensors(std::shared_ptr<const SafetensorsFile> file) : file_(std::move(file)) {}
  std::shared_ptr<const SafetensorsFile> file_;
};

// |a - b| <= atol + rtol * |b| everywhere; reports the worst element.
inline ::testing::AssertionResult all_close(const float* actual, const float* expected, size_t n,
                                            double atol = 1e-4, double rtol = 1e-3) {
  size_t worst = 0;
  double worst_excess = -1.0;
  for (size_t i = 0; i < n; ++i) {
    const double diff = std::fabs(static_cast<double>(actual[i]) - expected[i]);
    const double excess = diff - (atol + rtol * std::fabs(static_cast<double>(expected[i])));
    if (!(excess <= 0.0) && (std::isnan(excess) || excess > worst_excess)) {
      worst_excess = std::isnan(excess) ? 1e30 : excess;
      worst = i;
    }
  }
  if (worst_excess < 0.0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "element " << worst << ": actual " << actual[worst] << ", expected "
                                       << expected[worst] << " (atol " << atol << ", rtol " << rtol << ")";
}

inline ::testing::AssertionResult all_close(const std::vector<float>& actual, const std::vector<float>& expected,
                                            double atol = 1e-4, double rtol = 1e-3) {
  if (actual.size() != expected.size()) {
    return ::testing::AssertionFailure() << "size " << actual.size() << " != " << expected.size();
  }
  return all_close(actual.data(), expected.data(), actual.size(), atol, rtol);
}

}  // namespace bertscope::test

namespace bertscope::test {

struct CommandResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

inline std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += (c == '\'') ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// Runs `program args...` through /bin/sh, capturing stdout and stderr separately.
inline CommandResult run_command(const std::string& program, const std::vector<std::string>& args) {
  TempDir capture;
  std::string command = shell_quote(program);
  for (const auto& a : args) command += " " + shell_quote(a);
  command += " >" + shell_quote(capture.file("out")) + " 2>" + shell_quote(capture.file("err")) + " </dev/null";
  const int status = std::system(command.c_str());
  auto slurp = [](const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  CommandResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.out = slurp(capture.file("out"));
  result.err = slurp(capture.file("err"));
  return result;
}

inline CommandResult run_cli(const std::vector<std::string>& args) { return run_command(BERTSCOPE_CLI, args); }

// Two CSV files of the same trials computed in other batches (a sharded and a whole run, a
// prompt alone and in a dataset): byte for byte where this CPU's matmul gives a row the same
// bits in any call (kernels/linear.h: AVX-512 and up), else cell by cell, text equal and
// numbers within 1e-5 relative (oneDNN 2.6 on AVX2 differs by about 1e-7).
inline ::testing::AssertionResult same_run_csv(const std::string& want, const std::string& got) {
  if (matmul_rows_invariant()) {
    if (want == got) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "not byte-identical";
  }
  auto cells = [](const std::string& text) {
    std::vector<std::string> out;
    std::string cell;
    for (char c : text) {
      if (c == ',' || c == '\n') {
        out.push_back(cell);
        cell.clear();
      } else {
        cell += c;
      }
    }
    out.push_back(cell);
    return out;
  };
  const std::vector<std::string> a = cells(want), b = cells(got);
  if (a.size() != b.size()) return ::testing::AssertionFailure() << a.size() << " cells against " << b.size();
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] == b[i]) continue;
    char* end_a = nullptr;
    char* end_b = nullptr;
    const double x = std::strtod(a[i].c_str(), &end_a), y = std::strtod(b[i].c_str(), &end_b);
    const bool numbers = !a[i].empty() && !b[i].empty() && *end_a == '\0' && *end_b == '\0';
    if (!numbers || std::fabs(x - y) > 1e-5 * (1.0 + std::fabs(x))) {
      return ::testing::AssertionFailure() << "cell " << i << ": '" << a[i] << "' against '" << b[i] << "'";
    }
  }
  return ::testing::AssertionSuccess();
}

}  // namespace bertscope::test
