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

# tarmac_add_proto_library(<target> <proto_dir> <file.proto>...): protoc's C++
# for the files (paths relative to <proto_dir>, which is also the import
# root) as a static library, compiled without the project's warning set.
function(tarmac_add_proto_library target proto_dir)
  set(out ${CMAKE_CURRENT_BINARY_DIR}/proto)
  file(MAKE_DIRECTORY ${out})
  set(sources "")
  foreach(proto ${ARGN})
    string(REGEX REPLACE "\\.proto$" "" stem ${proto})
    add_custom_command(
      OUTPUT ${out}/${stem}.pb.cc ${out}/${stem}.pb.h
      COMMAND protobuf::protoc --cpp_out=${out} -I ${proto_dir} ${proto_dir}/${proto}
      DEPENDS ${proto_dir}/${proto} protobuf::protoc
      COMMENT "protoc ${proto}")
    list(APPEND sources ${out}/${stem}.pb.cc)
  endforeach()
  add_library(${target} STATIC ${sources})
  target_include_directories(${target} SYSTEM PUBLIC ${out})
  target_link_libraries(${target} PUBLIC protobuf::libprotobuf)
  set_target_properties(${target} PROPERTIES POSITION_INDEPENDENT_CODE ON)
  if(NOT TARMAC_SANITIZE STREQUAL "")
    target_compile_options(${target} PRIVATE -fsanitize=${TARMAC_SANITIZE})
  endif()
endfunction()
