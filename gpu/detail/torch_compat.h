#pragma once
// Private to gyrus_gpu. The one place where code differs between Debian's LibTorch 1.13 and an
// upstream (CUDA) LibTorch 2.x. Include only from gpu/**/*.cpp.

#include <torch/version.h>

#if TORCH_VERSION_MAJOR >= 2
#define GYRUS_TORCH_HAS_SDPA 1
#else
#define GYRUS_TORCH_HAS_SDPA 0
#endif
