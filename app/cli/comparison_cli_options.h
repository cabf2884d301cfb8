#pragma once

#include "app/cli/number_options.h"
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

    /// Reads the options into *options; the first one out of its range refused (InvalidInput).
    Status read(const QCommandLineParser &parser, gpu::ComparisonOptions *options) const
    {
        const Result<int64_t> k = integerValue(parser, m_k, 1);
        const Result<int64_t> folds = integerValue(parser, m_folds, 2);
        const Result<int64_t> repeats = integerValue(parser, m_repeats, 1);
        const Result<int64_t> permutations = integerValue(parser, m_permutations, 0);
        const Result<int64_t> seed = integerValue(parser, m_seed, 0, kInt64Max);
        for (const Result<int64_t> *value : {&k, &folds, &repeats, &permutations, &seed}) {
            if (!*value) {
                return value->status();
            }
        }
        options->k = int(*k);
        options->folds = int(*folds);
        options->repeats = int(*repeats);
        options->permutations = int(*permutations);
        options->seed = uint64_t(*seed);
        return Status::ok();
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
