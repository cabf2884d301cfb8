#pragma once
// The minimal pairs of a prompt set: items that name a partner in their `pair` field. Activation
// patching reads them (one item's activations patched into its partner's forward); each pair is
// counted once, however many of its two items name the other.

#include "core/base/status.h"
#include "core/prompts/prompt_set.h"

#include <QList>

namespace gyrus {

/// One pair, as indices into PromptSet::items. `source` is the item that names the pair first in
/// file order; patching copies its activations into `partner`'s forward.
struct MinimalPair
{
    int source = 0;
    int partner = 0;

    friend bool operator==(const MinimalPair &a, const MinimalPair &b)
    {
        return a.source == b.source && a.partner == b.partner;
    }
};

/// Every pair of `set`, in file order of the source. Errors, naming the set and the item: a
/// partner that is not the id of any item, an item that pairs with itself, and a set without any
/// pair.
Result<QList<MinimalPair>> minimalPairs(const PromptSet &set);

}  // namespace gyrus
