#include "core/tokenizer/flat_maps.h"

namespace gyrus::tokenizer {

namespace {

size_t capacityFor(size_t count)
{
    size_t capacity = 16;
    while (capacity < count * 2) {
        capacity <<= 1;
    }
    return capacity;
}

}  // namespace

void StringIdMap::reserve(size_t count)
{
    if (capacityFor(count) <= m_slots.size()) {
        return;
    }
    std::vector<Slot> old = std::move(m_slots);
    m_slots.assign(capacityFor(count), Slot{});
    const size_t mask = m_slots.size() - 1;
    for (const Slot &slot : old) {
        if (slot.value < 0) {
            continue;
        }
        size_t i = size_t(slot.hash) & mask;
        while (m_slots[i].value >= 0) {
            i = (i + 1) & mask;
        }
        m_slots[i] = slot;
    }
}

void StringIdMap::grow()
{
    reserve(m_slots.empty() ? 8 : m_slots.size());
}

void StringIdMap::insert(std::string_view key, int value)
{
    if ((m_count + 1) * 2 > m_slots.size()) {
        grow();
    }
    const uint64_t hash = hashBytes(key);
    const size_t mask = m_slots.size() - 1;
    size_t i = size_t(hash) & mask;
    while (m_slots[i].value >= 0) {
        Slot &slot = m_slots[i];
        if (slot.hash == hash && slot.length == key.size() &&
            std::string_view(m_arena.data() + slot.offset, slot.length) == key) {
            slot.value = value;
            return;
        }
        i = (i + 1) & mask;
    }
    Slot &slot = m_slots[i];
    slot.hash = hash;
    slot.offset = uint32_t(m_arena.size());
    slot.length = uint32_t(key.size());
    slot.value = value;
    m_arena.append(key);
    ++m_count;
}

int StringIdMap::find(std::string_view key) const
{
    if (m_slots.empty()) {
        return -1;
    }
    const uint64_t hash = hashBytes(key);
    const size_t mask = m_slots.size() - 1;
    size_t i = size_t(hash) & mask;
    while (true) {
        const Slot &slot = m_slots[i];
        if (slot.value < 0) {
            return -1;
        }
        if (slot.hash == hash && slot.length == key.size() &&
            std::string_view(m_arena.data() + slot.offset, slot.length) == key) {
            return slot.value;
        }
        i = (i + 1) & mask;
    }
}

void PairMap::reserve(size_t count)
{
    if (capacityFor(count) <= m_slots.size()) {
        return;
    }
    std::vector<Slot> old = std::move(m_slots);
    m_slots.assign(capacityFor(count), Slot{});
    m_mask = m_slots.size() - 1;
    for (const Slot &slot : old) {
        if (slot.value.rank < 0) {
            continue;
        }
        size_t i = size_t(mix64(slot.key)) & m_mask;
        while (m_slots[i].value.rank >= 0) {
            i = (i + 1) & m_mask;
        }
        m_slots[i] = slot;
    }
}

void PairMap::grow()
{
    reserve(m_slots.empty() ? 8 : m_slots.size());
}

void PairMap::insert(uint32_t left, uint32_t right, Value value)
{
    if ((m_count + 1) * 2 > m_slots.size()) {
        grow();
    }
    const uint64_t key = (uint64_t(left) << 32) | right;
    size_t i = size_t(mix64(key)) & m_mask;
    while (m_slots[i].value.rank >= 0) {
        if (m_slots[i].key == key) {
            m_slots[i].value = value;
            return;
        }
        i = (i + 1) & m_mask;
    }
    m_slots[i].key = key;
    m_slots[i].value = value;
    ++m_count;
}

}  // namespace gyrus::tokenizer
