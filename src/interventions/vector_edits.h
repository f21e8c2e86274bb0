#pragma once
// The edits of the course, on one hidden vector h of n values, in place. Each is the
// PyTorch one-liner named beside it, so results can be checked against HuggingFace runs.

namespace bertscope {

// h = h[perm]  (perm as torch.randperm(n))
void shuffle_vector(float* h, int n, const int* perm);
// h = h + z * scale  (with scale = h.std() * factor for the notebook's noise)
void add_noise(float* h, int n, const float* z, double scale);
// h = factor * h
void scale_vector(float* h, int n, double factor);
// h = 0
void zero_vector(float* h, int n);
// h = a * h + (1 - a) * other
void mix_vector(float* h, int n, const float* other, double a);
// h = other
void patch_vector(float* h, int n, const float* other);
// h = h + factor * v  (a steering vector)
void add_scaled(float* h, int n, const float* v, double factor);
// h = h - (h . u) u / (u . u)  (h without its component along u; u = 0 leaves h)
void project_out(float* h, int n, const float* u);
// h = h - U U^T (h - mean), U the k orthonormal rows after `mean` in `basis` ([1 + k, n]):
// h without its deviation from the mean along the top-k principal components
void remove_components(float* h, int n, const float* basis, int k);
// torch.std(h): unbiased (n - 1)
double unbiased_std(const float* values, long long n);

}  // namespace bertscope
