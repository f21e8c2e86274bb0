#include "experiments/directions.h"

#include <gsl/gsl_eigen.h>
#include <gsl/gsl_matrix.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <memory>

#include "common/error.h"
#include "experiments/collect.h"
#include "experiments/gsl_errors.h"
#include "experiments/unit_selection.h"
#include "common/read_file.h"

namespace bertscope {

namespace {

// The value of `key` in a .npy header's dict ("'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }").
std::string header_value(const std::string& header, const std::string& key, const std::string& path) {
  const size_t at = header.find("'" + key + "':");
  if (at == std::string::npos) throw Error(path + ": not a .npy file (its header has no '" + key + "')");
  size_t from = at + key.size() + 3;
  while (from < header.size() && header[from] == ' ') ++from;
  const char open = header[from];
  const char close = open == '(' ? ')' : open == '\'' ? '\'' : ',';
  const size_t end = header.find(close, from + 1);
  if (end == std::string::npos) throw Error(path + ": not a .npy file (its header is cut)");
  return header.substr(open == '(' || open == '\'' ? from + 1 : from, end - (open == '(' || open == '\'' ? from + 1 : from));
}

// "3, 4", or "3," for one dimension: a shape as numpy writes the tuple.
std::string shape_text(const std::vector<size_t>& shape) {
  std::string dims;
  for (size_t d : shape) dims += (dims.empty() ? "" : ", ") + std::to_string(d);
  return shape.size() == 1 ? dims + "," : dims;
}

}  // namespace

std::vector<float> read_npy(const std::string& path, std::vector<size_t>& shape) {
  const std::string bytes = read_small_file(path, std::uintmax_t{1} << 30);
  if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0) throw Error(path + ": not a .npy file (no \\x93NUMPY magic)");
  const int major = static_cast<unsigned char>(bytes[6]);
  const size_t length_bytes = major == 1 ? 2 : 4;
  size_t header_length = 0;
  for (size_t i = 0; i < length_bytes; ++i) header_length |= static_cast<size_t>(static_cast<unsigned char>(bytes[8 + i])) << (8 * i);
  const size_t data_at = 8 + length_bytes + header_length;
  if (data_at > bytes.size()) throw Error(path + ": not a .npy file (its header is cut)");
  const std::string header = bytes.substr(8 + length_bytes, header_length);
  const std::string descr = header_value(header, "descr", path);
  if (header_value(header, "fortran_order", path).find("False") == std::string::npos) {
    throw Error(path + ": a Fortran-order array; save it with numpy's default C order");
  }
  if (descr != "<f4" && descr != "<f8") throw Error(path + ": holds " + descr + "; a direction must be float32 or float64");
  shape.clear();
  size_t count = 1;
  const std::string dims = header_value(header, "shape", path);
  for (size_t at = 0; at < dims.size();) {
    while (at < dims.size() && (dims[at] == ' ' || dims[at] == ',')) ++at;
    if (at >= dims.size()) break;
    size_t value = 0;
    const auto [next, ec] = std::from_chars(dims.data() + at, dims.data() + dims.size(), value);
    if (ec != std::errc()) throw Error(path + ": not a .npy file (shape '" + dims + "')");
    shape.push_back(value);
    count *= value;
    at = static_cast<size_t>(next - dims.data());
  }
  const size_t item = descr == "<f4" ? 4 : 8;
  if (bytes.size() - data_at != count * item) throw Error(path + ": holds fewer or more values than its shape says");
  std::vector<float> values(count);
  for (size_t i = 0; i < count; ++i) {
    if (item == 4) {
      std::memcpy(&values[i], bytes.data() + data_at + i * 4, 4);
    } else {
      double d = 0.0;
      std::memcpy(&d, bytes.data() + data_at + i * 8, 8);
      values[i] = static_cast<float>(d);
    }
    if (!std::isfinite(values[i])) throw Error(path + ": value " + std::to_string(i) + " is not a finite float32");
  }
  return values;
}

std::vector<float> principal_basis(const float* rows, size_t n, int width, int k) {
  const auto w = static_cast<size_t>(width);
  if (n < static_cast<size_t>(k) + 1) {
    throw Error("pca: " + std::to_string(k) + " components need at least " + std::to_string(k + 1) + " rows, and the basis "
                "prompts give " + std::to_string(n) + " positions");
  }
  std::vector<double> mean(w, 0.0);
  for (size_t r = 0; r < n; ++r) {
    for (size_t d = 0; d < w; ++d) mean[d] += rows[r * w + d];
  }
  for (double& m : mean) m /= static_cast<double>(n);
  std::vector<double> centered(n * w);
  for (size_t r = 0; r < n; ++r) {
    for (size_t d = 0; d < w; ++d) centered[r * w + d] = rows[r * w + d] - mean[d];
  }
  // The eigenvectors of the smaller of X^T X (width x width) and X X^T (n x n): they share
  // their nonzero eigenvalues, and u = X^T v / |X^T v| maps the second's to the first's.
  gsl_errors_off();
  const bool gram = n < w;
  const size_t m = gram ? n : w;
  std::unique_ptr<gsl_matrix, decltype(&gsl_matrix_free)> a(gsl_matrix_alloc(m, m), gsl_matrix_free);
  if (!a) throw Error("pca: out of memory for a " + std::to_string(m) + "-square eigenproblem");
  for (size_t i = 0; i < m; ++i) {
    for (size_t j = i; j < m; ++j) {
      double dot = 0.0;
      if (gram) {
        for (size_t d = 0; d < w; ++d) dot += centered[i * w + d] * centered[j * w + d];
      } else {
        for (size_t r = 0; r < n; ++r) dot += centered[r * w + i] * centered[r * w + j];
      }
      gsl_matrix_set(a.get(), i, j, dot);
      gsl_matrix_set(a.get(), j, i, dot);
    }
  }
  std::unique_ptr<gsl_vector, decltype(&gsl_vector_free)> values(gsl_vector_alloc(m), gsl_vector_free);
  std::unique_ptr<gsl_matrix, decltype(&gsl_matrix_free)> vectors(gsl_matrix_alloc(m, m), gsl_matrix_free);
  std::unique_ptr<gsl_eigen_symmv_workspace, decltype(&gsl_eigen_symmv_free)> work(gsl_eigen_symmv_alloc(m),
                                                                                   gsl_eigen_symmv_free);
  if (!values || !vectors || !work) throw Error("pca: out of memory for a " + std::to_string(m) + "-square eigenproblem");
  if (gsl_eigen_symmv(a.get(), values.get(), vectors.get(), work.get()) != 0) throw Error("pca: the eigensolver failed");
  gsl_eigen_symmv_sort(values.get(), vectors.get(), GSL_EIGEN_SORT_VAL_DESC);
  std::vector<float> basis((1 + static_cast<size_t>(k)) * w);
  for (size_t d = 0; d < w; ++d) basis[d] = static_cast<float>(mean[d]);
  for (int j = 0; j < k; ++j) {
    if (!(gsl_vector_get(values.get(), static_cast<size_t>(j)) > 0.0)) {
      throw Error("pca: the basis prompts' activations vary along fewer than " + std::to_string(k) +
                  " directions; ask for fewer components or give more prompts");
    }
    std::vector<double> u(w, 0.0);
    if (gram) {
      for (size_t r = 0; r < n; ++r) {
        const double v = gsl_matrix_get(vectors.get(), r, static_cast<size_t>(j));
        for (size_t d = 0; d < w; ++d) u[d] += centered[r * w + d] * v;
      }
    } else {
      for (size_t d = 0; d < w; ++d) u[d] = gsl_matrix_get(vectors.get(), d, static_cast<size_t>(j));
    }
    double norm = 0.0;
    for (double x : u) norm += x * x;
    norm = std::sqrt(norm);
    for (size_t d = 0; d < w; ++d) basis[(1 + static_cast<size_t>(j)) * w + d] = static_cast<float>(u[d] / norm);
  }
  return basis;
}

namespace {

// The site's activations at every position of `texts`: one collected site per block (one,
// embed.out, at the embeddings), with its block + 1 in `slots`.
Collection every_position(const Encoder& model, const std::vector<std::string>& texts, SiteKind site,
                          std::vector<size_t>& slots) {
  CollectRequest request;
  for (const std::string& text : texts) request.prompts.push_back({text});
  if (site == SiteKind::EmbedOut) request.sites.push_back(HookSite::embed_out());
  for (int layer = 0; layer < model.layers() && site != SiteKind::EmbedOut; ++layer) {
    request.sites.push_back(HookSite::block(site, layer));
  }
  request.positions = Positions::parse("all");
  slots.clear();
  for (const HookSite& s : request.sites) slots.push_back(static_cast<size_t>(s.layer + 1));
  return collect_activations(model, request, plan_collection(model, request));
}

// The mean of collected site `s`'s rows, in double.
std::vector<double> mean_row(const Collection& rows, size_t s, size_t width) {
  std::vector<double> mean(width, 0.0);
  const float* values = rows.values[s].data();
  for (size_t r = 0; r < rows.rows(); ++r) {
    for (size_t d = 0; d < width; ++d) mean[d] += values[r * width + d];
  }
  for (double& m : mean) m /= static_cast<double>(rows.rows());
  return mean;
}

// A basis file's rows for one block, orthonormalized by modified Gram-Schmidt in double, as
// remove_components reads a basis: a zero mean, then the rows.
std::vector<float> orthonormal_basis(const std::string& file, const float* rows, size_t k, size_t width) {
  std::vector<std::vector<double>> q;
  for (size_t r = 0; r < k; ++r) {
    std::vector<double> v(rows + r * width, rows + (r + 1) * width);
    double original = 0.0;
    for (double x : v) original += x * x;
    for (const std::vector<double>& u : q) {
      double dot = 0.0;
      for (size_t d = 0; d < width; ++d) dot += v[d] * u[d];
      for (size_t d = 0; d < width; ++d) v[d] -= dot * u[d];
    }
    double norm = 0.0;
    for (double x : v) norm += x * x;
    if (!(norm > 1e-12 * original) || !std::isfinite(norm)) {
      throw Error(file + ": basis row " + std::to_string(r) + (original > 0 && std::isfinite(original) ? " is a combination of the rows before it" : " is zero or not finite") +
                  ": give rows that span a " + std::to_string(k) + "-dimensional subspace");
    }
    for (double& x : v) x /= std::sqrt(norm);
    q.push_back(std::move(v));
  }
  std::vector<float> out(width, 0.0f);
  for (const std::vector<double>& u : q) {
    for (double x : u) out.push_back(static_cast<float>(x));
  }
  return out;
}

// pca with a basis_file: [rows, width] for every block, or [blocks, rows, width]; the first
// k rows of each block's are the basis.
std::vector<std::vector<float>> given_basis(const std::string& file, size_t k, size_t width, int layers, bool embed) {
  std::vector<size_t> shape;
  const std::vector<float> values = read_npy(file, shape);
  std::vector<std::vector<float>> out(static_cast<size_t>(layers) + 1);
  const bool every_block = shape.size() == 2 && shape[1] == width;
  const bool per_block = shape.size() == 3 && shape[0] == static_cast<size_t>(layers) && shape[2] == width && !embed;
  if (!every_block && !per_block) {
    throw Error(file + ": a basis of shape (" + shape_text(shape) + "); the site needs (rows, " + std::to_string(width) +
                ") for every block" + (embed ? "" : " or (" + std::to_string(layers) + ", rows, " + std::to_string(width) + ") per block"));
  }
  const size_t rows = shape[shape.size() - 2];
  if (rows < k) {
    throw Error(file + ": has " + std::to_string(rows) + " basis rows, and components = " + std::to_string(k) +
                " removes the first " + std::to_string(k));
  }
  if (k >= width) throw Error(file + ": components = " + std::to_string(k) + " would remove the whole " + std::to_string(width) + "-wide space");
  if (every_block) {
    const std::vector<float> basis = orthonormal_basis(file, values.data(), k, width);
    for (std::vector<float>& v : out) v = basis;
    return out;
  }
  for (int layer = 0; layer < layers; ++layer) {
    out[static_cast<size_t>(layer) + 1] = orthonormal_basis(file, values.data() + static_cast<size_t>(layer) * rows * width, k, width);
  }
  return out;
}

}  // namespace

std::vector<std::vector<float>> site_vectors(const Encoder& model, const InterventionSpec& spec, SiteKind site) {
  if (!uses_site_vectors(spec.kind)) return {};
  const auto width = static_cast<size_t>(model.site_width(site, 1));
  const int layers = model.layers();
  std::vector<std::vector<float>> out(static_cast<size_t>(layers) + 1);
  const bool embed = site == SiteKind::EmbedOut;
  std::vector<size_t> slots;
  if (spec.kind == InterventionKind::Pca && !spec.basis_file.empty()) {
    return given_basis(spec.basis_file, static_cast<size_t>(spec.components), width, layers, embed);
  }
  if (spec.kind == InterventionKind::Pca) {
    const Collection rows = every_position(model, spec.basis_prompts, site, slots);
    for (size_t s = 0; s < slots.size(); ++s) {
      out[slots[s]] = principal_basis(rows.values[s].data(), rows.rows(), static_cast<int>(width), spec.components);
    }
    return out;
  }
  if (!spec.direction_to.empty()) {
    const Collection to = every_position(model, spec.direction_to, site, slots);
    const Collection from = every_position(model, spec.direction_from, site, slots);
    for (size_t s = 0; s < slots.size(); ++s) {
      const std::vector<double> a = mean_row(to, s, width), b = mean_row(from, s, width);
      out[slots[s]].resize(width);
      for (size_t d = 0; d < width; ++d) out[slots[s]][d] = static_cast<float>(a[d] - b[d]);
    }
    return out;
  }
  if (!spec.direction_file.ends_with(".npy")) {  // "units.csv:him" (validate() checked the form)
    for (std::vector<float>& v : out) v.assign(width, 0.0f);  // blocks the file lacks: no direction
    for (const UnitRow& row : read_units_file(spec.direction_file, site)) {
      if (row.block + 1 > layers || static_cast<size_t>(row.unit) >= width) {
        throw Error(spec.direction_file + ": unit " + std::to_string(row.unit) + " of block " + std::to_string(row.block) +
                    " is beyond the model's site (" + std::to_string(width) + " units, " + std::to_string(layers) + " blocks)");
      }
      out[static_cast<size_t>(row.block + 1)][static_cast<size_t>(row.unit)] = static_cast<float>(row.sign * row.difference);
    }
    return out;
  }
  std::vector<size_t> shape;
  const std::vector<float> values = read_npy(spec.direction_file, shape);
  if (shape.size() == 1 && shape[0] == width) {
    for (std::vector<float>& v : out) v = values;
  } else if (shape.size() == 2 && shape[0] == static_cast<size_t>(layers) && shape[1] == width && !embed) {
    for (int layer = 0; layer < layers; ++layer) {
      out[static_cast<size_t>(layer) + 1].assign(values.begin() + static_cast<std::ptrdiff_t>(layer * width),
                                                 values.begin() + static_cast<std::ptrdiff_t>((layer + 1) * width));
    }
  } else {
    throw Error(spec.direction_file + ": a direction of shape (" + shape_text(shape) + "); the site needs (" + std::to_string(width) +
                ",) for every block" + (embed ? "" : " or (" + std::to_string(layers) + ", " + std::to_string(width) + ") per block"));
  }
  return out;
}

}  // namespace bertscope
