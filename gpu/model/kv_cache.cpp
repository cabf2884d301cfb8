#include "gpu/model/kv_cache.h"

#include <algorithm>

namespace gyrus::gpu::detail {

namespace {

at::Tensor grown(const at::Tensor &buffer, const at::Tensor &like, int64_t used, int64_t needed,
                 int64_t initialCapacity)
{
    if (buffer.defined() && buffer.size(2) >= needed) {
        return buffer;
    }
    const int64_t old = buffer.defined() ? buffer.size(2) : 0;
    const int64_t capacity = std::max({needed, 2 * old, initialCapacity});
    at::Tensor fresh =
            at::empty({like.size(0), like.size(1), capacity, like.size(3)}, like.options());
    if (used > 0) {
        fresh.narrow(2, 0, used).copy_(buffer.narrow(2, 0, used));
    }
    return fresh;
}

}  // namespace

KvCache::KvCache(int layers, int64_t initialCapacity)
    : m_keys(static_cast<size_t>(layers))
    , m_values(static_cast<size_t>(layers))
    , m_initialCapacity(std::max<int64_t>(1, initialCapacity))
{}

std::pair<at::Tensor, at::Tensor> KvCache::append(int layer, const at::Tensor &k,
                                                  const at::Tensor &v)
{
    const auto index = static_cast<size_t>(layer);
    TORCH_CHECK(index < m_keys.size(), "KV cache has ", m_keys.size(), " layers, got layer ",
                layer);
    const int64_t tokens = k.size(2);
    const int64_t total = m_length + tokens;
    at::Tensor &keys = m_keys[index];
    at::Tensor &values = m_values[index];
    if (keys.defined()) {
        TORCH_CHECK(keys.size(0) == k.size(0), "KV cache holds batch ", keys.size(0), ", got ",
                    k.size(0));
    }
    keys = grown(keys, k, m_length, total, m_initialCapacity);
    values = grown(values, v, m_length, total, m_initialCapacity);
    keys.narrow(2, m_length, tokens).copy_(k);
    values.narrow(2, m_length, tokens).copy_(v);
    return {keys.narrow(2, 0, total), values.narrow(2, 0, total)};
}

}  // namespace gyrus::gpu::detail
