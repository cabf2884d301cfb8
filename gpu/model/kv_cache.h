#pragma once
// Private to gyrus_gpu (and tests/gpu). The key/value history of incremental decoding.

#include <ATen/ATen.h>

#include <cstdint>
#include <utility>
#include <vector>

namespace gyrus::gpu::detail {

/// Keys and values per layer, [batch, kv_heads, capacity, head_dim], preallocated and grown by
/// doubling so that a decode step writes one slot instead of concatenating the whole history.
/// Every sequence of the batch has the same length (generation runs one prompt per cache).
class KvCache
{
public:
    explicit KvCache(int layers, int64_t initialCapacity = 256);

    /// Tokens already in the cache: the absolute position of the next token.
    int64_t length() const { return m_length; }

    /// Writes k, v [batch, kv_heads, tokens, head_dim] of `layer` after the cached ones and
    /// returns views of the whole history [batch, kv_heads, length + tokens, head_dim]. The
    /// length advances only with advance(), once every layer has appended.
    std::pair<at::Tensor, at::Tensor> append(int layer, const at::Tensor &k, const at::Tensor &v);

    void advance(int64_t tokens) { m_length += tokens; }

    /// Forgets everything (keeps the buffers).
    void clear() { m_length = 0; }

private:
    std::vector<at::Tensor> m_keys;
    std::vector<at::Tensor> m_values;
    int64_t m_initialCapacity = 0;
    int64_t m_length = 0;
};

}  // namespace gyrus::gpu::detail
