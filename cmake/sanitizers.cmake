# Sanitizer and fuzzing builds. Included before any target is defined, so that every
# object file (engine, CLI, tests, fuzz targets) is instrumented alike: ASan needs the
# whole program built with it to see out-of-bounds accesses across library boundaries.
#
#   -DBERTSCOPE_SANITIZE=ON   AddressSanitizer + UndefinedBehaviorSanitizer, GCC or clang
#                             (preset "asan"; the runtime options are compiled into every
#                             executable, see sanitizer_default_options.cpp)
#   -DBERTSCOPE_FUZZ=ON       the libFuzzer targets in fuzz/; needs clang, implies the above

option(BERTSCOPE_SANITIZE "Build with -fsanitize=address,undefined (abort on the first report)" OFF)
option(BERTSCOPE_FUZZ "Build the libFuzzer targets in fuzz/ (clang only; implies BERTSCOPE_SANITIZE)" OFF)

if(BERTSCOPE_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "BERTSCOPE_FUZZ needs clang's libFuzzer: configure with -DCMAKE_CXX_COMPILER=clang++ "
                        "(Debian packages clang and libclang-rt-14-dev)")
  endif()
  set(BERTSCOPE_SANITIZE ON)
  # Coverage instrumentation for every object; only the fuzz executables link libFuzzer's main.
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()

if(BERTSCOPE_SANITIZE)
  # -fno-sanitize-recover=all: a UBSan finding aborts like an ASan one, so a test or a
  # fuzz run cannot pass with a report buried in its output. float-cast-overflow (a double
  # beyond the range of the integer it is cast to) is part of clang's "undefined" but not
  # of GCC's; spec_fuzzer found one such cast.
  add_compile_options(-fsanitize=address,undefined,float-cast-overflow -fno-omit-frame-pointer
                      -fno-sanitize-recover=all)
  add_link_options(-fsanitize=address,undefined,float-cast-overflow)
  # The runtime options, linked into every executable defined after this point (all of them).
  add_library(bertscope_sanitizer_options OBJECT ${CMAKE_CURRENT_LIST_DIR}/sanitizer_default_options.cpp)
  target_compile_definitions(bertscope_sanitizer_options PRIVATE
    BERTSCOPE_LSAN_SUPPRESSIONS="${PROJECT_SOURCE_DIR}/scripts/lsan.supp")
  # BUILD_INTERFACE: the options belong to this build's executables, never to an installed package.
  link_libraries($<BUILD_INTERFACE:bertscope_sanitizer_options>)
endif()
