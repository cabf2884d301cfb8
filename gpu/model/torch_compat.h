#pragma once
// Private to gyrus_gpu. The one place where code differs between Debian's LibTorch 1.13 and an
// upstream (CUDA) LibTorch 2.x (docs/torch2.md). Include only from gpu/**/*.cpp and tests/gpu.
// Callers branch on the constants here with a plain `if`, so both configurations compile every
// caller; only this header has preprocessor version checks.

#include <ATen/ATen.h>
#include <ATen/autocast_mode.h>
#include <torch/version.h>

#include <optional>
#include <stdexcept>

// True when these headers are LibTorch major.minor or later.
#define GYRUS_TORCH_AT_LEAST(major, minor) \
    (TORCH_VERSION_MAJOR > (major) ||      \
     (TORCH_VERSION_MAJOR == (major) && TORCH_VERSION_MINOR >= (minor)))

namespace gyrus::gpu::detail::compat {

/// The LibTorch major version these headers belong to.
inline constexpr int kTorchMajor = TORCH_VERSION_MAJOR;

#if GYRUS_TORCH_AT_LEAST(2, 5)
/// at::scaled_dot_product_attention with a scale argument and grouped K/V (2.5 and later): flash
/// or memory-efficient attention on CUDA, a fused flash kernel on the CPU.
inline constexpr bool kHasFusedAttention = true;
#else
inline constexpr bool kHasFusedAttention = false;
#endif

/// Half-precision matmuls on the CPU (LibTorch 1.x has none).
inline constexpr bool kHasCpuHalfMatmul = TORCH_VERSION_MAJOR >= 2;

/// Attention of q [B, H, T, d] over k, v [B, kvH, S, d] (H a multiple of kvH) with the given
/// scale, either causal from position 0 or under `allowed` ([T, S], true where a query may look).
/// Only callable where kHasFusedAttention; elsewhere it throws.
inline at::Tensor fusedAttention(const at::Tensor &q, const at::Tensor &k, const at::Tensor &v,
                                 const std::optional<at::Tensor> &allowed, bool causal,
                                 double scale)
{
#if GYRUS_TORCH_AT_LEAST(2, 5)
    return at::scaled_dot_product_attention(q, k, v, allowed, 0.0, causal, scale,
                                            /*enable_gqa=*/q.size(1) != k.size(1));
#else
    (void)q, (void)k, (void)v, (void)allowed, (void)causal, (void)scale;
    throw std::logic_error("fused attention needs LibTorch 2.5 or later");
#endif
}

/// Autocast to `type` for the ops of one device type (kCPU or kCUDA) while alive: matmuls and
/// linear layers run in `type`, reductions and softmax stay float32 (torch's autocast op lists).
/// Weights are not converted: float32 master weights stay what the optimiser updates.
class AutocastScope
{
public:
    AutocastScope(at::DeviceType device, at::ScalarType type)
        : m_device(device)
    {
#if GYRUS_TORCH_AT_LEAST(2, 4)
        m_wasEnabled = at::autocast::is_autocast_enabled(device);
        m_previousType = at::autocast::get_autocast_dtype(device);
        at::autocast::set_autocast_dtype(device, type);
        at::autocast::set_autocast_enabled(device, true);
#else
        if (device == at::kCPU) {
            m_wasEnabled = at::autocast::is_cpu_enabled();
            m_previousType = at::autocast::get_autocast_cpu_dtype();
            at::autocast::set_autocast_cpu_dtype(type);
            at::autocast::set_cpu_enabled(true);
        } else {
            m_wasEnabled = at::autocast::is_enabled();
            m_previousType = at::autocast::get_autocast_gpu_dtype();
            at::autocast::set_autocast_gpu_dtype(type);
            at::autocast::set_enabled(true);
        }
#endif
        at::autocast::increment_nesting();
    }

    ~AutocastScope()
    {
        // The cast weights are cached per autocast region; drop them when the outermost ends.
        if (at::autocast::decrement_nesting() == 0) {
            at::autocast::clear_cache();
        }
#if GYRUS_TORCH_AT_LEAST(2, 4)
        at::autocast::set_autocast_enabled(m_device, m_wasEnabled);
        at::autocast::set_autocast_dtype(m_device, m_previousType);
#else
        if (m_device == at::kCPU) {
            at::autocast::set_cpu_enabled(m_wasEnabled);
            at::autocast::set_autocast_cpu_dtype(m_previousType);
        } else {
            at::autocast::set_enabled(m_wasEnabled);
            at::autocast::set_autocast_gpu_dtype(m_previousType);
        }
#endif
    }

    AutocastScope(const AutocastScope &) = delete;
    AutocastScope &operator=(const AutocastScope &) = delete;

private:
    at::DeviceType m_device;
    bool m_wasEnabled = false;
    at::ScalarType m_previousType = at::kFloat;
};

}  // namespace gyrus::gpu::detail::compat
