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
// torch.std(h): unbiased (n - 1)
double unbiased_std(const float* values, long long n);

}  // namespace bertscope
