#include "core/prompts/minimal_pairs.h"

#include <QSet>

#include <algorithm>
#include <utility>

namespace gyrus {

Result<QList<MinimalPair>> minimalPairs(const PromptSet &set)
{
    QList<MinimalPair> pairs;
    QSet<std::pair<int, int>> seen;
    for (int i = 0; i < set.items.size(); ++i) {
        const PromptItem &item = set.items.at(i);
        if (item.pair.isEmpty()) {
            continue;
        }
        const int partner = set.indexOfId(item.pair);
        if (partner < 0) {
            return Status::invalidInput(
                    QStringLiteral("%1: item '%2' names pair '%3', which is not the id of any "
                                   "item")
                            .arg(set.displayName(), item.id, item.pair));
        }
        if (partner == i) {
            return Status::invalidInput(QStringLiteral("%1: item '%2' pairs with itself")
                                                .arg(set.displayName(), item.id));
        }
        const std::pair<int, int> key{std::min(i, partner), std::max(i, partner)};
        if (seen.contains(key)) {
            continue;
        }
        seen.insert(key);
        pairs.append(MinimalPair{i, partner});
    }
    if (pairs.isEmpty()) {
        return Status::invalidInput(
                QStringLiteral("%1 has no minimal pairs: give items a \"pair\" field naming "
                               "their partner's id")
                        .arg(set.displayName()));
    }
    return pairs;
}

}  // namespace gyrus
