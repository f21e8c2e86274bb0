# Sanitizer builds. Included before any target is defined, so that every object file
# (engine, CLI, tests) is instrumented alike: ASan needs the
# whole program built with it to see out-of-bounds accesses across library boundaries.
#
#   -DBERTSCOPE_SANITIZE=ON   AddressSanitizer + UndefinedBehaviorSanitizer, GCC or clang
#                             (preset "asan"; the runtime options are compiled into every
#                             executable, see sanitizer_default_options.cpp)

option(BERTSCOPE_SANITIZE "Build with -fsanitize=address,undefined (abort on the first report)" OFF)

if(BERTSCOPE_SANITIZE)
  # -fno-sanitize-recover=all: a UBSan finding aborts like an ASan one, so a test or a
  # fuzz run cannot pass with a report buried in its output.
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=address,undefined)
  # The runtime options, linked into every executable defined after this point (all of them).
  add_library(bertscope_sanitizer_options OBJECT ${CMAKE_CURRENT_LIST_DIR}/sanitizer_default_options.cpp)
  target_compile_definitions(bertscope_sanitizer_options PRIVATE
    BERTSCOPE_LSAN_SUPPRESSIONS="${CMAKE_SOURCE_DIR}/scripts/lsan.supp")
  link_libraries(bertscope_sanitizer_options)
endif()
