# Per-target build settings shared by every tarmac target.

if(TARMAC_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "TARMAC_FUZZ needs clang (configure with -DCMAKE_CXX_COMPILER=clang++)")
  endif()
  if(TARMAC_SANITIZE STREQUAL "")
    set(TARMAC_SANITIZE "address,undefined")
  endif()
endif()

# tarmac_configure_target(<target>): warnings, sanitizers, no fast-math.
# Determinism: never -ffast-math or -march=native; results must be the same
# bytes on every x86-64 machine.
function(tarmac_configure_target target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast
    -Wcast-align -Wunused -Woverloaded-virtual -Wconversion -Wsign-conversion
    -Wdouble-promotion -Wformat=2 -Wimplicit-fallthrough
    -fno-fast-math)
  if(NOT TARMAC_SANITIZE STREQUAL "")
    target_compile_options(${target} PRIVATE -fsanitize=${TARMAC_SANITIZE} -fno-omit-frame-pointer
                                             -fno-sanitize-recover=all)
    target_link_options(${target} PRIVATE -fsanitize=${TARMAC_SANITIZE})
  endif()
  if(TARMAC_FUZZ)
    # Coverage instrumentation for libFuzzer in every library, not only the
    # fuzz entry points.
    target_compile_options(${target} PRIVATE -fsanitize=fuzzer-no-link)
  endif()
endfunction()
