#pragma once
// The judged method comparison the auto-interpretation tests run on the demo model, SAE and
// valence set: one definition for `gyrus-cli judge-methods` (tst_autointerp_cli, as a process)
// and for the Contrasts dock's judged tab against the same command (tst_autointerp_docks).

#include "core/base/status.h"

#include <QString>
#include <QStringList>

namespace gyrus::test {

struct DemoJudgedComparison
{
    QString promptSet;  ///< datasets/prompt-sets/demo/demo-valence.json
    QString corpus;     ///< twelve evaluative sentences, half positive, half negative
    QString concept = QStringLiteral("positive evaluation");
    QString methods = QStringLiteral("mean-difference,univariate");
    int k = 4;
    int top = 3;
    int repeats = 2;
    int permutations = 199;

    /// The corpus's lines, in file order (line n of a result is corpusLines()[n - 1]).
    static QStringList corpusLines();

    /// Writes the corpus into `directory` (which must outlive the comparison).
    static Result<DemoJudgedComparison> prepare(const QString &directory);

    /// `judge-methods` with these settings on the demo model and SAE, judged by `judgeModel` at
    /// the OpenAI-compatible `endpoint`.
    QStringList cliArguments(const QString &endpoint,
                             const QString &judgeModel = QStringLiteral("m")) const;
};

}  // namespace gyrus::test
