#pragma once

#include "gpu/analysis/method_comparison.h"

#include <QCommandLineOption>
#include <QCommandLineParser>

namespace gyrus::cli {

/// The cross-validation options every command that runs the method comparison takes (--k,
/// --folds, --repeats, --permutations, --seed), with one set of defaults, added to a parser.
class ComparisonCliOptions
{
public:
    explicit ComparisonCliOptions(QCommandLineParser &parser)
    {
        parser.addOptions({m_k, m_folds, m_repeats, m_permutations, m_seed});
    }

    /// Reads the options into *options; false when one of them is not an integer.
    bool read(const QCommandLineParser &parser, gpu::ComparisonOptions *options) const
    {
        bool ok[5] = {};
        options->k = parser.value(m_k).toInt(&ok[0]);
        options->folds = parser.value(m_folds).toInt(&ok[1]);
        options->repeats = parser.value(m_repeats).toInt(&ok[2]);
        options->permutations = parser.value(m_permutations).toInt(&ok[3]);
        options->seed = parser.value(m_seed).toULongLong(&ok[4]);
        return ok[0] && ok[1] && ok[2] && ok[3] && ok[4];
    }

private:
    const QCommandLineOption m_k{QStringLiteral("k"), QStringLiteral("Features per fold."),
                                 QStringLiteral("K"), QStringLiteral("8")};
    const QCommandLineOption m_folds{QStringLiteral("folds"), QStringLiteral("Folds."),
                                     QStringLiteral("N"), QStringLiteral("5")};
    const QCommandLineOption m_repeats{QStringLiteral("repeats"),
                                       QStringLiteral("Repeats of the split."), QStringLiteral("N"),
                                       QStringLiteral("10")};
    const QCommandLineOption m_permutations{QStringLiteral("permutations"),
                                            QStringLiteral("Label permutations for the null."),
                                            QStringLiteral("N"), QStringLiteral("100")};
    const QCommandLineOption m_seed{QStringLiteral("seed"), QStringLiteral("Seed."),
                                    QStringLiteral("S"), QStringLiteral("0")};
};

}  // namespace gyrus::cli
