# LibTorch for the learned planners (policies/learned/ only), by
# TARMAC_WITH_TORCH: AUTO (use it when find_package(Torch) succeeds), ON
# (required: configuring fails without it), OFF (never look). Sets
# TARMAC_HAVE_TORCH. Debian's libtorch-dev is found on the default path; a
# CUDA LibTorch (e.g. the one inside a PyTorch wheel) through
# -DCMAKE_PREFIX_PATH=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)').
string(TOUPPER "${TARMAC_WITH_TORCH}" _tarmac_torch_mode)
set(TARMAC_HAVE_TORCH OFF)
if(_tarmac_torch_mode STREQUAL "ON")
  find_package(Torch)
  if(NOT TORCH_FOUND)
    message(FATAL_ERROR "TARMAC_WITH_TORCH=ON but LibTorch was not found: install libtorch-dev "
                        "(Debian) or point CMAKE_PREFIX_PATH at a LibTorch (its share/cmake)")
  endif()
  set(TARMAC_HAVE_TORCH ON)
elseif(_tarmac_torch_mode STREQUAL "AUTO")
  find_package(Torch QUIET)
  if(TORCH_FOUND)
    set(TARMAC_HAVE_TORCH ON)
  endif()
elseif(NOT _tarmac_torch_mode STREQUAL "OFF")
  message(FATAL_ERROR "TARMAC_WITH_TORCH must be AUTO, ON or OFF, not '${TARMAC_WITH_TORCH}'")
endif()
if(TARMAC_HAVE_TORCH)
  message(STATUS "tarmac: learned planners with LibTorch ${Torch_VERSION} (${TORCH_LIBRARY})")
else()
  message(STATUS "tarmac: building without LibTorch (TARMAC_WITH_TORCH=${TARMAC_WITH_TORCH}); "
                 "the learned planners report that they are not built")
endif()
