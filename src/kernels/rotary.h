#pragma once
// Rotary position embeddings (RoPE) in HuggingFace's rotate_half convention (LLaMA, GPT-NeoX,
// ModernBERT): within each head of head_dim d, component i < d/2 is paired with i + d/2 and
// the pair rotated by the angle position * theta^(-2i/d).

namespace bertscope {

// Rotates `heads` heads of each of `rows` rows in place: row r starts at qk_rows + r * stride,
// its head h at column h * head_dim, and is at position positions[r]. head_dim must be even.
// Pass q and k of a fused qkv row at once as 2 x heads heads (they are adjacent).
//
// The numbers are HF's float32 ones, not the exact rotation: inv_freq = 1 / theta^(2i/d) and
// the angle position * inv_freq are rounded to float32 as `inv_freq = 1 / (theta **
// (arange(0, d, 2).float() / d))` and `freqs = position.float() * inv_freq` round them, then
// x * cos + rotate_half(x) * sin in float32. At large positions the float32 angle is off the
// exact one by ~1e-7 of the angle (5e-4 radians at position 8192), and so is HF.
void apply_rotary(float* qk_rows, int rows, int stride, int heads, int head_dim, const int* positions, float theta);

}  // namespace bertscope
