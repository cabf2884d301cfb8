#include "core/llm/detection_examples.h"

#include <QJsonArray>
#include <QSet>

#include <algorithm>
#include <random>

namespace gyrus {

namespace {

QString plainText(const FeatureExampleText &e)
{
    return QString(e.before + e.token + e.after).simplified();
}

QSet<qint64> activatingTokens(const FeatureDetails &target, QList<DetectionExample> *examples)
{
    QSet<qint64> tokens;
    for (const FeatureExampleText &e : target.top) {
        if (examples) {
            examples->append({plainText(e), true});
        }
        tokens.insert(e.tokenIndex);
    }
    for (const FeatureBinExamples &bin : target.bins) {
        for (const FeatureExampleText &e : bin.examples) {
            if (!tokens.contains(e.tokenIndex)) {
                if (examples) {
                    examples->append({plainText(e), true});
                }
                tokens.insert(e.tokenIndex);
            }
        }
    }
    return tokens;
}

QList<const FeatureExampleText *> candidatePool(const FeatureDetails &target,
                                                const QList<FeatureDetails> &others,
                                                const QSet<qint64> &own)
{
    QList<const FeatureDetails *> ordered;
    for (const FeatureDetails &other : others) {
        if (other.feature != target.feature) {
            ordered.append(&other);
        }
    }
    std::stable_sort(ordered.begin(), ordered.end(),
                     [](const FeatureDetails *a, const FeatureDetails *b) {
                         return a->feature < b->feature;
                     });
    QList<const FeatureExampleText *> pool;
    for (const FeatureDetails *other : ordered) {
        for (const FeatureExampleText &e : other->top) {
            if (!own.contains(e.tokenIndex)) {
                pool.append(&e);
            }
        }
    }
    return pool;
}

QJsonObject intervalJson(const Interval &i)
{
    return {{QStringLiteral("estimate"), i.estimate},
            {QStringLiteral("ci95"), QJsonArray{i.low, i.high}}};
}

}  // namespace

int activatingExamples(const FeatureDetails &target)
{
    return int(activatingTokens(target, nullptr).size());
}

int nonActivatingCandidates(const FeatureDetails &target, const QList<FeatureDetails> &others)
{
    QSet<qint64> tokens;
    for (const FeatureExampleText *e :
         candidatePool(target, others, activatingTokens(target, nullptr))) {
        tokens.insert(e->tokenIndex);
    }
    return int(tokens.size());
}

Result<QList<DetectionExample>> detectionExamples(const FeatureDetails &target,
                                                  const QList<FeatureDetails> &others, qint64 seed)
{
    QList<DetectionExample> examples;
    const QSet<qint64> own = activatingTokens(target, &examples);
    const qsizetype positives = examples.size();
    if (positives == 0) {
        return Status::invalidInput(
                QStringLiteral("feature %1 has no activating examples in the scan of %2")
                        .arg(target.feature)
                        .arg(target.corpusPath));
    }
    QList<const FeatureExampleText *> pool = candidatePool(target, others, own);
    std::mt19937_64 rng{quint64(seed)};
    std::shuffle(pool.begin(), pool.end(), rng);
    QSet<qint64> used;
    for (const FeatureExampleText *e : pool) {
        if (examples.size() == 2 * positives) {
            break;
        }
        if (!used.contains(e->tokenIndex)) {
            used.insert(e->tokenIndex);
            examples.append({plainText(*e), false});
        }
    }
    return examples;
}

QJsonObject detectionScoreJson(int feature, const QString &label, const QString &judge,
                               const JudgeOptions &options, const DetectionResult &result,
                               const QDateTime &scoredUtc)
{
    QJsonArray perRepeat;
    for (double v : result.balancedAccuracyPerRepeat) {
        perRepeat.append(v);
    }
    QJsonObject json{{QStringLiteral("feature"), feature},
                     {QStringLiteral("label"), label},
                     {QStringLiteral("judge"), judge},
                     {QStringLiteral("prompt_version"), QLatin1String(kDetectionPromptVersion)},
                     {QStringLiteral("examples"), result.examples},
                     {QStringLiteral("activating"), result.activating},
                     {QStringLiteral("repeats"), options.repeats},
                     {QStringLiteral("batch"), options.batchSize},
                     {QStringLiteral("seed"), double(options.seed)},
                     {QStringLiteral("temperature"), options.temperature},
                     {QStringLiteral("balanced_accuracy"), intervalJson(result.balancedAccuracy)},
                     {QStringLiteral("balanced_accuracy_per_repeat"), perRepeat},
                     {QStringLiteral("auc"), intervalJson(result.auc)},
                     {QStringLiteral("failed_requests"), result.failedRequests},
                     {QStringLiteral("errors"), QJsonArray::fromStringList(result.errors)}};
    if (scoredUtc.isValid()) {
        json.insert(QStringLiteral("scored_utc"), scoredUtc.toString(Qt::ISODate));
    }
    return json;
}

}  // namespace gyrus
