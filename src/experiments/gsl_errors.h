#pragma once
// GSL's default error handler aborts the process. Its special functions report underflow
// and domain errors through it, and its allocators report failures, so every use of GSL
// switches it off first (for the whole process: GSL has one handler); functions then
// return their value, NaN or an error code instead. A function-local static: done once,
// safely from any thread.
#include <gsl/gsl_errno.h>

namespace bertscope {

inline void gsl_errors_off() {
  static const bool done = [] {
    gsl_set_error_handler_off();
    return true;
  }();
  (void)done;
}

}  // namespace bertscope
