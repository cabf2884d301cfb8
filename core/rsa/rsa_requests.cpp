#include "core/rsa/rsa_requests.h"

#include <QSet>

#include <algorithm>
#include <limits>

namespace gyrus {

QList<int> rsaItemOrder(const PromptSet &set)
{
    // Sort key: the level index of every factor in factor order; a missing level sorts last.
    auto key = [&set](int item) {
        QList<int> levels;
        for (const PromptFactor &factor : set.factors) {
            const int level = factor.levels.indexOf(set.items[item].levels.value(factor.name));
            levels << (level < 0 ? std::numeric_limits<int>::max() : level);
        }
        return levels;
    };
    QList<int> order;
    QList<QList<int>> keys;
    for (int i = 0; i < set.items.size(); ++i) {
        order << i;
        keys << key(i);
    }
    std::stable_sort(order.begin(), order.end(),
                     [&keys](int a, int b) { return keys[a] < keys[b]; });
    return order;
}

QStringList rsaItemIds(const PromptSet &set, const QList<int> &order)
{
    QSet<QString> seen;
    bool unique = true;
    for (int item : order) {
        const QString &id = set.items[item].id;
        if (id.isEmpty() || seen.contains(id)) {
            unique = false;
            break;
        }
        seen.insert(id);
    }
    QStringList ids;
    for (int item : order) {
        ids << (unique ? set.items[item].id
                       : QStringLiteral("%1:%2").arg(item).arg(set.items[item].id));
    }
    return ids;
}

QString rsaFeatureSubsetName(RsaFeatureSubset subset)
{
    switch (subset) {
        case RsaFeatureSubset::All:
            return QStringLiteral("all");
        case RsaFeatureSubset::TopK:
            return QStringLiteral("top-k");
        case RsaFeatureSubset::Explicit:
            return QStringLiteral("explicit");
    }
    return QString();
}

}  // namespace gyrus
