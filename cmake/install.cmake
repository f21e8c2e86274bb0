# `cmake --install BUILD [--prefix DIR]`: the libraries, their headers under
# include/bertscope/, the CLI, the demo model under share/bertscope/, and a CMake package so
# that another project can write
#   find_package(bertscope CONFIG REQUIRED)
#   target_link_libraries(app PRIVATE bertscope::engine)   # or bertscope::reports, bertscope::runs
include(CMakePackageConfigHelpers)
set(BERTSCOPE_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/bertscope)

get_property(layers GLOBAL PROPERTY BERTSCOPE_LAYERS)
install(TARGETS ${layers} bertscope_engine EXPORT bertscopeTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/src/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/bertscope
        FILES_MATCHING PATTERN "*.h")
install(TARGETS bertscope make-random-model RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/models/bert-mini-uncased-demo DESTINATION ${BERTSCOPE_DATA_SUBDIR}/models)

install(EXPORT bertscopeTargets NAMESPACE bertscope:: DESTINATION ${BERTSCOPE_CMAKE_DIR})
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/bertscopeConfig.cmake.in
  ${PROJECT_BINARY_DIR}/bertscopeConfig.cmake INSTALL_DESTINATION ${BERTSCOPE_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/bertscopeConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/bertscopeConfig.cmake ${PROJECT_BINARY_DIR}/bertscopeConfigVersion.cmake
        DESTINATION ${BERTSCOPE_CMAKE_DIR})
