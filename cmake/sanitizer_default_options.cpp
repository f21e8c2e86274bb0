// Default runtime options of the sanitizer builds (cmake/sanitizers.cmake), compiled into
// every executable: ctest, the CLI that the tests start and the fuzz targets all run with
// them, with no environment to set up. ASAN_OPTIONS=... in the environment still overrides
// any of them (the runtime reads these first, then the variable).
#ifndef BERTSCOPE_LSAN_SUPPRESSIONS
#error "BERTSCOPE_LSAN_SUPPRESSIONS must name scripts/lsan.supp"
#endif

extern "C" {

// abort_on_error: a report ends the process with SIGABRT, which ctest and libFuzzer both
// count as a failure. detect_stack_use_after_return: catches views of dead locals (spans,
// string_views), a likely bug class in a parser built on views.
const char* __asan_default_options() {
  return "detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1:"
         "check_initialization_order=1:strict_init_order=1";
}

const char* __ubsan_default_options() { return "print_stacktrace=1:halt_on_error=1"; }

const char* __lsan_default_options() { return "suppressions=" BERTSCOPE_LSAN_SUPPRESSIONS ":print_suppressions=0"; }

}  // extern "C"
