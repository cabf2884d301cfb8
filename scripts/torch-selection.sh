# Sourced by scripts/build, run, test, package and test-torch2: which LibTorch Gyrus builds on.
#   GYRUS_TORCH=debian (default)  Debian's libtorch-dev 1.13, CPU only, into build/
#   GYRUS_TORCH=wheel             upstream LibTorch 2.x with CUDA 13 from the pinned PyPI torch wheel
#                                 (scripts/fetch-libtorch), into build-torch2/
# With GYRUS_TORCH=wheel, GYRUS_TORCH_PREFIX=DIR takes an installed torch package directory instead
# of the wheel (a machine with PyTorch: python3 -c 'import torch, os; print(os.path.dirname(torch.__file__))').
# GYRUS_BUILD_DIR overrides the build directory either way. docs/torch2.md has the details.
# Sets: gyrus_torch, build_dir, torch_cmake_args (configure arguments; fetches the wheel if needed).
gyrus_torch=${GYRUS_TORCH:-debian}
case "$gyrus_torch" in
    debian)
        build_dir=${GYRUS_BUILD_DIR:-build}
        torch_cmake_args=()
        ;;
    wheel)
        build_dir=${GYRUS_BUILD_DIR:-build-torch2}
        torch_cmake_args=()
        if [ "${GYRUS_TORCH_CONFIGURE:-1}" = 1 ]; then
            torch_root=${GYRUS_TORCH_PREFIX:-$(scripts/fetch-libtorch)}
            # The torch package root, not its share/cmake: CMake then looks for libtorch in
            # root/lib before /usr/lib, where Debian's 1.13 would otherwise shadow it.
            torch_cmake_args=(-DCMAKE_PREFIX_PATH="$torch_root" -DGYRUS_WITH_CUDA_TESTS=ON -DGYRUS_TORCH_PCH=ON)
        fi
        ;;
    *)
        echo "GYRUS_TORCH=$gyrus_torch: use debian (Debian's LibTorch 1.13) or wheel (PyPI torch 2.x, CUDA)" >&2
        exit 2
        ;;
esac
