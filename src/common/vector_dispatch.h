#pragma once
// Runtime dispatch for bertscope's own vector loops (oneDNN dispatches its matmuls itself).
//
// The build is portable (no -march=native by default: a library built on an AVX-512 machine
// must run on an AVX2 one), yet a loop compiled for plain x86-64 uses 4-wide SSE. A function
// marked BERTSCOPE_VECTOR_CLONES is compiled three times, for x86-64-v4 (AVX-512),
// x86-64-v3 (AVX2 + FMA) and the baseline, and the dynamic loader binds the best one the
// CPU supports once, at load time (GCC and clang function multiversioning; an ifunc).
//
// Mark the function that holds the loop itself, and keep it out of `#pragma omp parallel`
// regions: OpenMP outlines a parallel region's body into a function of its own, which
// would not be cloned. Nothing to do elsewhere: with BERTSCOPE_NATIVE the whole build
// targets the build machine, and other architectures use their compiler's default.
//
// BERTSCOPE_VECTOR_KERNEL is BERTSCOPE_VECTOR_CLONES for a function that is also never
// inlined, so that every caller runs the very same instructions (callers that must agree to
// the bit, such as attention's fused and split paths, share it). A multiversioned function
// is only reached through its resolver, never inlined, and clang refuses `noinline` beside
// `target_clones`: the attribute is spelled out only where there are no clones.
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && !defined(__AVX512F__)
#define BERTSCOPE_VECTOR_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#define BERTSCOPE_VECTOR_KERNEL BERTSCOPE_VECTOR_CLONES
#else
#define BERTSCOPE_VECTOR_CLONES
#if defined(__GNUC__) || defined(__clang__)
#define BERTSCOPE_VECTOR_KERNEL __attribute__((noinline))
#else
#define BERTSCOPE_VECTOR_KERNEL
#endif
#endif
