# Small helpers so every target gets the same include root, standard and warnings.

# kdcperf_glob_sources(<out_var> <dir>...): the .cpp files of the folders, without tests.
function(kdcperf_glob_sources out)
  set(result "")
  foreach(dir IN LISTS ARGN)
    file(GLOB srcs CONFIGURE_DEPENDS ${dir}/*.cpp)
    list(FILTER srcs EXCLUDE REGEX "_test\\.cpp$")
    list(APPEND result ${srcs})
  endforeach()
  set(${out} ${result} PARENT_SCOPE)
endfunction()

# kdcperf_glob_tests(<out_var> <dir>...): the *_test.cpp files beside the code.
function(kdcperf_glob_tests out)
  set(result "")
  foreach(dir IN LISTS ARGN)
    file(GLOB srcs CONFIGURE_DEPENDS ${dir}/*_test.cpp)
    list(APPEND result ${srcs})
  endforeach()
  set(${out} ${result} PARENT_SCOPE)
endfunction()

function(kdcperf_target_defaults target)
  target_include_directories(${target} PUBLIC ${PROJECT_SOURCE_DIR})
  target_compile_options(${target} PRIVATE ${KDCPERF_WARNINGS})
  target_compile_features(${target} PUBLIC cxx_std_20)
endfunction()

# kdcperf_add_test(<name> [SERIAL] SOURCES ... LIBS ... LABELS ...): a GoogleTest binary registered with ctest.
function(kdcperf_add_test name)
  cmake_parse_arguments(T "SERIAL" "" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  kdcperf_target_defaults(${name})
  target_link_libraries(${name} PRIVATE ${T_LIBS} GTest::gtest GTest::gtest_main GTest::gmock)
  target_compile_definitions(${name} PRIVATE KDCPERF_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
                                             KDCPERF_BINARY_DIR="${PROJECT_BINARY_DIR}")
  set(serial FALSE)
  if(T_SERIAL)
    set(serial TRUE)  # tests that start real KDCs and load runs: one at a time
  endif()
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60
                       PROPERTIES LABELS "${T_LABELS}" RUN_SERIAL ${serial})
endfunction()

# kdcperf_folder_library(<name> DIRS <dir>... DEPS <lib>...): a static library of the folders'
# .cpp files (relative to the calling CMakeLists), and when tests are on, their *_test.cpp files
# as the GoogleTest binary <name>_tests. Folders without sources make no library.
function(kdcperf_folder_library name)
  cmake_parse_arguments(L "" "" "DIRS;DEPS" ${ARGN})
  set(dirs "")
  foreach(d IN LISTS L_DIRS)
    list(APPEND dirs ${CMAKE_CURRENT_SOURCE_DIR}/${d})
  endforeach()
  kdcperf_glob_sources(srcs ${dirs})
  if(NOT srcs)
    return()
  endif()
  add_library(${name} STATIC ${srcs})
  kdcperf_target_defaults(${name})
  target_link_libraries(${name} PUBLIC ${L_DEPS})
  if(KDCPERF_TESTS)
    kdcperf_glob_tests(tests ${dirs})
    if(tests)
      kdcperf_add_test(${name}_tests SOURCES ${tests} LIBS ${name} krb_testsupport LABELS unit)
    endif()
  endif()
endfunction()
