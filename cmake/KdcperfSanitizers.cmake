# Sanitizers apply to every target (library, tests, tools) so that the whole process is
# instrumented; mixing instrumented and plain objects hides bugs.
set(KDCPERF_SAN_FLAGS "")
if(KDCPERF_ASAN)
  list(APPEND KDCPERF_SAN_FLAGS -fsanitize=address)
endif()
if(KDCPERF_UBSAN)
  list(APPEND KDCPERF_SAN_FLAGS -fsanitize=undefined -fno-sanitize-recover=undefined)
endif()
if(KDCPERF_TSAN)
  list(APPEND KDCPERF_SAN_FLAGS -fsanitize=thread)
endif()
if(KDCPERF_SAN_FLAGS)
  add_compile_options(${KDCPERF_SAN_FLAGS} -fno-omit-frame-pointer)
  add_link_options(${KDCPERF_SAN_FLAGS})
endif()

# Fuzzing: every object carries coverage instrumentation (fuzzer-no-link) and the sanitizers;
# only the fuzz_* executables link libFuzzer's main.
if(KDCPERF_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "KDCPERF_FUZZ=ON needs clang (CXX=clang++-14)")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()
