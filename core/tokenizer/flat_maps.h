#pragma once
// Open-addressing hash maps for the tokenizer's hot paths: token text -> id and (left id, right
// id) -> merge. std::unordered_map costs an allocation per entry and a pointer chase per lookup.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gyrus::tokenizer {

inline uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

inline uint64_t hashBytes(std::string_view s)
{
    uint64_t h = 0x9E3779B97F4A7C15ULL ^ s.size();
    size_t i = 0;
    for (; i + 8 <= s.size(); i += 8) {
        uint64_t word = 0;
        for (int k = 0; k < 8; ++k) {
            word |= uint64_t(static_cast<unsigned char>(s[i + size_t(k)])) << (8 * k);
        }
        h = mix64(h ^ word);
    }
    uint64_t tail = 0;
    for (int k = 0; i < s.size(); ++i, ++k) {
        tail |= uint64_t(static_cast<unsigned char>(s[i])) << (8 * k);
    }
    return mix64(h ^ tail);
}

/// Byte string -> non-negative int. Keys are copied into one arena.
class StringIdMap
{
public:
    void reserve(size_t count);

    /// Inserts or overwrites.
    void insert(std::string_view key, int value);

    /// The value, or -1.
    int find(std::string_view key) const;

    size_t size() const { return m_count; }

private:
    struct Slot
    {
        uint64_t hash = 0;
        uint32_t offset = 0;
        uint32_t length = 0;
        int value = -1;  // -1: empty
    };

    void grow();

    std::vector<Slot> m_slots;
    std::string m_arena;
    size_t m_count = 0;
};

/// (uint32, uint32) -> (rank, id).
class PairMap
{
public:
    struct Value
    {
        int rank = -1;
        int id = -1;
    };

    void reserve(size_t count);

    /// Inserts or overwrites (a repeated merge keeps its last rank, as Hugging Face's map does).
    void insert(uint32_t left, uint32_t right, Value value);

    /// The value, or {-1, -1}.
    Value find(uint32_t left, uint32_t right) const
    {
        if (m_slots.empty()) {
            return {};
        }
        const uint64_t key = (uint64_t(left) << 32) | right;
        size_t i = size_t(mix64(key)) & m_mask;
        while (true) {
            const Slot &slot = m_slots[i];
            if (slot.value.rank < 0) {
                return {};
            }
            if (slot.key == key) {
                return slot.value;
            }
            i = (i + 1) & m_mask;
        }
    }

private:
    struct Slot
    {
        uint64_t key = 0;
        Value value;
    };

    void grow();

    std::vector<Slot> m_slots;
    size_t m_mask = 0;
    size_t m_count = 0;
};

}  // namespace gyrus::tokenizer
