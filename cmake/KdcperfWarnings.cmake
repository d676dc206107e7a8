# One warning list for every target of the project. CI turns them into errors.
set(KDCPERF_WARNINGS -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wcast-align
    -Wunused -Woverloaded-virtual -Wimplicit-fallthrough -Wformat=2)
if(KDCPERF_WERROR)
  list(APPEND KDCPERF_WARNINGS -Werror)
endif()
