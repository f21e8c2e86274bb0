#pragma once
// bertscope runs every parallel loop, its own and oneDNN's, on one OpenMP pool
// (Debian's oneDNN is built with the OpenMP runtime), so there is one knob.

namespace bertscope {

// Sets the size of the shared pool; n <= 0 keeps OpenMP's default (OMP_NUM_THREADS or all cores).
void set_thread_count(int n);
int thread_count();

}  // namespace bertscope
