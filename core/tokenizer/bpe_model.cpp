#include "core/tokenizer/bpe_model.h"

#include "core/tokenizer/utf8.h"

#include <queue>

#include <algorithm>
#include <cstdio>

namespace gyrus::tokenizer {

// Tokens of words seen before. Text repeats words heavily, so most pre-tokens are cache hits.
struct BpeModel::Cache
{
    struct Hash
    {
        size_t operator()(const std::string &s) const { return size_t(hashBytes(s)); }
    };

    static constexpr size_t kCapacity = 100000;
    static constexpr size_t kMaxWordBytes = 256;
    mutable std::mutex mutex;
    std::unordered_map<std::string, std::vector<ModelToken>, Hash> words;
};

BpeModel::BpeModel(BpeOptions options)
    : m_options(std::move(options))
    , m_cache(std::make_unique<Cache>())
{
    m_fallbackIds.fill(-1);
}

BpeModel::~BpeModel() = default;

bool BpeModel::addVocab(std::string_view key, int id)
{
    if (!m_options.byteLevel) {
        m_vocab.insert(key, id);
        return true;
    }
    m_spelledVocab.insert(key, id);
    std::string bytes;
    if (!byteLevelToBytes(key, &bytes)) {
        return false;
    }
    m_vocab.insert(bytes, id);
    return true;
}

int BpeModel::vocabId(std::string_view key) const
{
    return m_options.byteLevel ? m_spelledVocab.find(key) : m_vocab.find(key);
}

bool BpeModel::addMerge(std::string_view left, std::string_view right, int rank,
                        std::string *missing)
{
    const int leftId = vocabId(left);
    const int rightId = vocabId(right);
    std::string merged(left);
    const std::string &prefix = m_options.continuingSubwordPrefix;
    if (!prefix.empty() && right.substr(0, prefix.size()) == prefix) {
        merged.append(right.substr(prefix.size()));
    } else {
        merged.append(right);
    }
    const int mergedId = vocabId(merged);
    if (leftId < 0 || rightId < 0 || mergedId < 0) {
        *missing = leftId < 0 ? std::string(left) : rightId < 0 ? std::string(right) : merged;
        return false;
    }
    m_merges.insert(uint32_t(leftId), uint32_t(rightId), {rank, mergedId});
    return true;
}

void BpeModel::finish()
{
    if (m_options.byteFallback) {
        for (int b = 0; b < 256; ++b) {
            char name[8];
            std::snprintf(name, sizeof name, "<0x%02X>", b);
            m_fallbackIds[size_t(b)] = m_vocab.find(name);
        }
    }
}

void BpeModel::tokenize(std::string_view word, std::vector<ModelToken> *out) const
{
    if (word.empty()) {
        return;
    }
    if (m_options.ignoreMerges) {
        const int id = m_vocab.find(word);
        if (id >= 0) {
            out->push_back({id, 0, uint32_t(word.size())});
            return;
        }
    }
    const bool cacheable = word.size() <= Cache::kMaxWordBytes;
    if (cacheable) {
        const std::string key(word);
        std::lock_guard<std::mutex> lock(m_cache->mutex);
        const auto it = m_cache->words.find(key);
        if (it != m_cache->words.end()) {
            out->insert(out->end(), it->second.begin(), it->second.end());
            return;
        }
    }
    const size_t first = out->size();
    mergeWord(word, out);
    if (cacheable) {
        std::vector<ModelToken> tokens(out->begin() + long(first), out->end());
        std::lock_guard<std::mutex> lock(m_cache->mutex);
        if (m_cache->words.size() >= Cache::kCapacity) {
            m_cache->words.clear();
        }
        m_cache->words.emplace(std::string(word), std::move(tokens));
    }
}

namespace {

struct Symbol
{
    int id;
    int prev;
    int next;
    uint32_t length;  // bytes of the word it covers; 0 once merged into its left neighbour
};

struct Candidate
{
    int rank;
    int position;
    int id;

    bool operator>(const Candidate &other) const
    {
        return rank != other.rank ? rank > other.rank : position > other.position;
    }
};

}  // namespace

void BpeModel::mergeWord(std::string_view word, std::vector<ModelToken> *out) const
{
    thread_local std::vector<Symbol> symbols;
    symbols.clear();
    const auto add = [&](int id, uint32_t length) {
        const int index = int(symbols.size());
        symbols.push_back({id, index - 1, -1, length});
        if (index > 0) {
            symbols[size_t(index - 1)].next = index;
        }
    };
    // The initial symbols: bytes (byte-level) or characters, with unknown ones falling back to
    // <0xXX> bytes, or to the unk token (fused when asked), or dropped when there is neither.
    int pendingUnk = -1;
    uint32_t pendingUnkLength = 0;
    const std::string &prefix = m_options.continuingSubwordPrefix;
    const std::string &suffix = m_options.endOfWordSuffix;
    const bool affixes = !prefix.empty() || !suffix.empty();
    std::string key;
    for (size_t i = 0; i < word.size();) {
        const size_t length =
                m_options.byteLevel ? 1 : utf8Length(static_cast<unsigned char>(word[i]));
        const size_t n = std::min(length, word.size() - i);
        int id = -1;
        if (affixes) {
            key.clear();
            if (i > 0) {
                key += prefix;
            }
            key.append(word.substr(i, n));
            if (i + n == word.size()) {
                key += suffix;
            }
            id = m_vocab.find(key);
        } else {
            id = m_vocab.find(word.substr(i, n));
        }
        if (id >= 0) {
            if (pendingUnk >= 0) {
                add(pendingUnk, pendingUnkLength);
                pendingUnk = -1;
            }
            add(id, uint32_t(n));
        } else {
            bool fellBack = false;
            if (m_options.byteFallback) {
                fellBack = true;
                for (size_t k = 0; k < n; ++k) {
                    fellBack =
                            fellBack && m_fallbackIds[static_cast<unsigned char>(word[i + k])] >= 0;
                }
                if (fellBack) {
                    for (size_t k = 0; k < n; ++k) {
                        add(m_fallbackIds[static_cast<unsigned char>(word[i + k])], 1);
                    }
                }
            }
            if (!fellBack && m_options.unkId >= 0) {
                if (pendingUnk >= 0 && m_options.fuseUnk) {
                    pendingUnkLength += uint32_t(n);
                } else {
                    if (pendingUnk >= 0) {
                        add(pendingUnk, pendingUnkLength);
                    }
                    pendingUnk = m_options.unkId;
                    pendingUnkLength = uint32_t(n);
                }
            }
        }
        i += n;
    }
    if (pendingUnk >= 0) {
        add(pendingUnk, pendingUnkLength);
    }

    thread_local std::vector<Candidate> heap;
    heap.clear();
    const auto consider = [&](int position) {
        const Symbol &left = symbols[size_t(position)];
        if (left.next < 0) {
            return;
        }
        const PairMap::Value merge =
                m_merges.find(uint32_t(left.id), uint32_t(symbols[size_t(left.next)].id));
        if (merge.rank >= 0) {
            heap.push_back({merge.rank, position, merge.id});
            std::push_heap(heap.begin(), heap.end(), std::greater<>());
        }
    };
    for (int i = 0; i + 1 < int(symbols.size()); ++i) {
        consider(i);
    }
    while (!heap.empty()) {
        std::pop_heap(heap.begin(), heap.end(), std::greater<>());
        const Candidate top = heap.back();
        heap.pop_back();
        Symbol &left = symbols[size_t(top.position)];
        if (left.length == 0 || left.next < 0) {
            continue;
        }
        Symbol &right = symbols[size_t(left.next)];
        const PairMap::Value current = m_merges.find(uint32_t(left.id), uint32_t(right.id));
        if (current.id != top.id || current.rank != top.rank) {
            continue;  // stale: one side has merged with something else since
        }
        left.id = top.id;
        left.length += right.length;
        right.length = 0;
        left.next = right.next;
        if (left.next >= 0) {
            symbols[size_t(left.next)].prev = top.position;
        }
        if (left.prev >= 0) {
            consider(left.prev);
        }
        consider(top.position);
    }
    uint32_t at = 0;
    for (int i = symbols.empty() ? -1 : 0; i >= 0; i = symbols[size_t(i)].next) {
        const Symbol &symbol = symbols[size_t(i)];
        out->push_back({symbol.id, at, at + symbol.length});
        at += symbol.length;
    }
}

}  // namespace gyrus::tokenizer
