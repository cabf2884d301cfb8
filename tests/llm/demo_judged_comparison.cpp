#include "tests/llm/demo_judged_comparison.h"

#include "tests/support/demo_engine.h"
#include "tests/support/test_paths.h"

#include <QDir>
#include <QFile>

namespace gyrus::test {

QStringList DemoJudgedComparison::corpusLines()
{
    return {QStringLiteral("The weather today is wonderful and bright."),
            QStringLiteral("The food was terrible and cold."),
            QStringLiteral("She said the film was beautiful."),
            QStringLiteral("He thought the trip was awful."),
            QStringLiteral("The garden looks lovely in spring."),
            QStringLiteral("The service was bad again."),
            QStringLiteral("They had a great time at the park."),
            QStringLiteral("The room smelled horrible."),
            QStringLiteral("What a pleasant surprise this is."),
            QStringLiteral("The road was dirty and broken."),
            QStringLiteral("Our neighbours are kind people."),
            QStringLiteral("The news was sad for everyone.")};
}

Result<DemoJudgedComparison> DemoJudgedComparison::prepare(const QString &directory)
{
    DemoJudgedComparison comparison;
    comparison.promptSet =
            sourcePath(QStringLiteral("datasets/prompt-sets/demo/demo-valence.json"));
    comparison.corpus = QDir(directory).filePath(QStringLiteral("corpus.txt"));
    QFile file(comparison.corpus);
    if (!file.open(QIODevice::WriteOnly)) {
        return Status::internal(QStringLiteral("cannot write %1").arg(comparison.corpus));
    }
    file.write((corpusLines().join(QLatin1Char('\n')) + QLatin1Char('\n')).toUtf8());
    return comparison;
}

QStringList DemoJudgedComparison::cliArguments(const QString &endpoint,
                                               const QString &judgeModel) const
{
    return {QStringLiteral("judge-methods"),
            QStringLiteral("--model"),
            demoModelPath(),
            QStringLiteral("--sae"),
            demoSaePath(),
            QStringLiteral("--prompts"),
            promptSet,
            QStringLiteral("--corpus"),
            corpus,
            QStringLiteral("--concept"),
            concept,
            QStringLiteral("--methods"),
            methods,
            QStringLiteral("-k"),
            QString::number(k),
            QStringLiteral("--top"),
            QString::number(top),
            QStringLiteral("--repeats"),
            QString::number(repeats),
            QStringLiteral("--permutations"),
            QString::number(permutations),
            QStringLiteral("--endpoint"),
            endpoint,
            QStringLiteral("--judge-model"),
            judgeModel};
}

}  // namespace gyrus::test
