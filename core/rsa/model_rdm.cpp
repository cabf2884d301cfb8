#include "core/rsa/model_rdm.h"

#include <algorithm>

namespace gyrus {

namespace {

std::vector<int64_t> distinct(std::vector<int64_t> values)
{
    std::sort(values.begin(), values.end());
    values.erase(std::unique(values.begin(), values.end()), values.end());
    return values;
}

}  // namespace

Result<Rdm> categoricalModelRdm(const QStringList &ids, const std::vector<int64_t> &levels,
                                const QString &factorName)
{
    const int64_t n = ids.size();
    if (static_cast<int64_t>(levels.size()) != n) {
        return Status::invalidInput(QStringLiteral("model RDM '%1': %2 levels for %3 stimuli")
                                            .arg(factorName)
                                            .arg(levels.size())
                                            .arg(n));
    }
    if (distinct(levels).size() < 2) {
        return Status::invalidInput(
                QStringLiteral("model RDM '%1': the factor has only one level, so every "
                               "dissimilarity would be 0")
                        .arg(factorName));
    }
    std::vector<float> condensed;
    condensed.reserve(static_cast<size_t>(Rdm::condensedSize(n)));
    for (int64_t i = 0; i < n; ++i) {
        for (int64_t j = i + 1; j < n; ++j) {
            condensed.push_back(
                    levels[static_cast<size_t>(i)] == levels[static_cast<size_t>(j)] ? 0.0F : 1.0F);
        }
    }
    return Rdm::fromCondensed(ids, std::move(condensed), QStringLiteral("model:") + factorName);
}

Result<Rdm> interactionModelRdm(const QStringList &ids, const std::vector<int64_t> &levelsA,
                                const std::vector<int64_t> &levelsB)
{
    if (levelsA.size() != levelsB.size()) {
        return Status::invalidInput(QStringLiteral("interaction model RDM: %1 levels of factor A "
                                                   "but %2 of factor B")
                                            .arg(levelsA.size())
                                            .arg(levelsB.size()));
    }
    const std::vector<int64_t> a = distinct(levelsA);
    const std::vector<int64_t> b = distinct(levelsB);
    if (a.size() != 2 || b.size() != 2) {
        return Status::invalidInput(QStringLiteral("interaction model RDM: factor A has %1 "
                                                   "levels and factor B %2; both need exactly 2")
                                            .arg(a.size())
                                            .arg(b.size()));
    }
    std::vector<int64_t> sign(levelsA.size());
    for (size_t i = 0; i < levelsA.size(); ++i) {
        sign[i] = (levelsA[i] == a[1]) == (levelsB[i] == b[1]) ? 1 : -1;
    }
    Result<Rdm> rdm = categoricalModelRdm(ids, sign, QStringLiteral("interaction"));
    return rdm;
}

}  // namespace gyrus
