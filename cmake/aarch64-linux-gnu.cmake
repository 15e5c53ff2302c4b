# Cross-compiling for linux/arm64 with Debian's aarch64 toolchain
# (g++-aarch64-linux-gnu) against arm64 multiarch packages
# (libboost-stacktrace-dev:arm64, libgtest-dev:arm64, libsigsegv-dev:arm64).
#   cmake -S . -B build-arm64 -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake
# The programs run under qemu-user (CMAKE_CROSSCOMPILING_EMULATOR), so ctest
# and gtest_discover_tests work as on the build machine: ci/test-arm64.sh.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)

set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_ASM_COMPILER aarch64-linux-gnu-gcc)

# Headers and libraries of the target come from the cross toolchain's sysroot
# (/usr/aarch64-linux-gnu) and from the multiarch directories of the host
# (/usr/include, /usr/lib/aarch64-linux-gnu); programs (cmake's helpers)
# from the host.
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu /usr)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# No -L /usr/aarch64-linux-gnu: that prefix holds the cross toolchain's
# dynamic loader, while the libraries the programs link (libstdc++, libgtest,
# libsigsegv) and the libc the loader finds through them come from the
# multiarch packages, a different glibc build. A loader and a libc from two
# builds disagree on the loader's private data (measured: pthread_create
# walking a corrupt stack-cache list forever). Without a prefix qemu uses the
# host's multiarch loader, /lib/ld-linux-aarch64.so.1, which matches.
find_program(CGG_QEMU_AARCH64 NAMES qemu-aarch64-static qemu-aarch64)
if(CGG_QEMU_AARCH64)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${CGG_QEMU_AARCH64})
endif()
