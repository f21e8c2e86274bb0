#pragma once
// The vectors that steer, project and pca edits read at each block of their site: a
// direction from a .npy file, from a units file's mean difference between two prompt sets,
// or from the mean difference of the site's activations over two prompt sets given inline
// (direction_to minus direction_from), or the top principal components of the site's
// activations over a set of prompts.
#include <cstddef>
#include <string>
#include <vector>

#include "interventions/intervention.h"
#include "model/encoder.h"

namespace bertscope {

// Indexed by block + 1 (embed.out, block -1, is 0): for steer and project one row of the
// site's width, the direction; for pca 1 + components rows, the mean then the orthonormal
// components (remove_components' basis). Empty for the other kinds. Throws Error naming the
// file or the prompts when they do not fit the site.
std::vector<std::vector<float>> site_vectors(const Encoder& model, const InterventionSpec& spec, SiteKind site);

// The mean of `n` rows of `width` floats and their top `k` principal components (the
// eigenvectors of the centered rows' covariance with the largest eigenvalues, unit length),
// as [1 + k, width]. Throws Error when fewer than k + 1 rows or k variances are zero.
std::vector<float> principal_basis(const float* rows, size_t n, int width, int k);

// A float32 or float64 .npy array (C order) as floats, with its shape. Throws Error naming
// the file for anything else.
std::vector<float> read_npy(const std::string& path, std::vector<size_t>& shape);

}  // namespace bertscope
