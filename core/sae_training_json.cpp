#include "core/sae_training_json.h"

#include <QJsonArray>

namespace gyrus {

QJsonObject saeTrainRequestToJson(const SaeTrainRequest &r)
{
    return QJsonObject{
            {QStringLiteral("activations"), r.activationsPath},
            {QStringLiteral("dataset"), r.dataset},
            {QStringLiteral("corpus"), r.corpusPath},
            {QStringLiteral("context_length"), r.contextLength},
            {QStringLiteral("buffer_tokens"), double(r.bufferTokens)},
            {QStringLiteral("normalisation_tokens"), double(r.normalisationTokens)},
            {QStringLiteral("hook_name"), r.hookName},
            {QStringLiteral("architecture"), nameOf(r.architecture)},
            {QStringLiteral("d_sae"), r.dSae},
            {QStringLiteral("k"), r.k},
            {QStringLiteral("l1_coefficient"), r.l1Coefficient},
            {QStringLiteral("l0_coefficient"), r.l0Coefficient},
            {QStringLiteral("batch_size"), r.batchSize},
            {QStringLiteral("tokens"), double(r.tokens)},
            {QStringLiteral("lr"), r.learningRate},
            {QStringLiteral("device"), r.device},
            // A string: JSON numbers are doubles and lose 64-bit seeds.
            {QStringLiteral("seed"), QString::number(r.seed)},
            {QStringLiteral("out"), r.outDirectory},
            {QStringLiteral("resume_checkpoint"), r.resumeCheckpoint},
    };
}

SaeTrainRequest saeTrainRequestFromJson(const QJsonObject &j)
{
    SaeTrainRequest r;
    r.activationsPath = j.value(QStringLiteral("activations")).toString(r.activationsPath);
    r.dataset = j.value(QStringLiteral("dataset")).toString(r.dataset);
    r.corpusPath = j.value(QStringLiteral("corpus")).toString(r.corpusPath);
    r.contextLength = j.value(QStringLiteral("context_length")).toInt(r.contextLength);
    r.bufferTokens = static_cast<qint64>(
            j.value(QStringLiteral("buffer_tokens")).toDouble(double(r.bufferTokens)));
    r.normalisationTokens = static_cast<qint64>(j.value(QStringLiteral("normalisation_tokens"))
                                                        .toDouble(double(r.normalisationTokens)));
    r.hookName = j.value(QStringLiteral("hook_name")).toString(r.hookName);
    r.architecture = fromName<SaeArchitecture>(j.value(QStringLiteral("architecture")).toString())
                             .value_or(r.architecture);
    r.dSae = j.value(QStringLiteral("d_sae")).toInt(r.dSae);
    r.k = j.value(QStringLiteral("k")).toInt(r.k);
    r.l1Coefficient = j.value(QStringLiteral("l1_coefficient")).toDouble(r.l1Coefficient);
    r.l0Coefficient = j.value(QStringLiteral("l0_coefficient")).toDouble(r.l0Coefficient);
    r.batchSize = j.value(QStringLiteral("batch_size")).toInt(r.batchSize);
    r.tokens = static_cast<qint64>(j.value(QStringLiteral("tokens")).toDouble(double(r.tokens)));
    r.learningRate = j.value(QStringLiteral("lr")).toDouble(r.learningRate);
    r.device = j.value(QStringLiteral("device")).toString(r.device);
    r.seed = j.value(QStringLiteral("seed")).toString().toULongLong();
    r.outDirectory = j.value(QStringLiteral("out")).toString();
    r.resumeCheckpoint = j.value(QStringLiteral("resume_checkpoint")).toString();
    return r;
}

QJsonObject saeTrainMetricsToJson(const SaeTrainMetrics &p)
{
    QJsonArray histogram;
    for (double count : p.densityHistogram) {
        histogram.append(count);
    }
    return QJsonObject{
            {QStringLiteral("step"), double(p.step)},
            {QStringLiteral("total_steps"), double(p.totalSteps)},
            {QStringLiteral("tokens"), double(p.tokens)},
            {QStringLiteral("loss"), p.loss},
            {QStringLiteral("mse"), p.mse},
            {QStringLiteral("normalized_mse"), p.normalizedMse},
            {QStringLiteral("explained_variance"), p.explainedVariance},
            {QStringLiteral("l0"), p.l0},
            {QStringLiteral("l1"), p.l1},
            {QStringLiteral("dead_fraction"), p.deadFraction},
            {QStringLiteral("dense_fraction"), p.denseFraction},
            {QStringLiteral("lr"), p.learningRate},
            {QStringLiteral("tokens_per_second"), p.tokensPerSecond},
            {QStringLiteral("eta_seconds"), p.etaSeconds},
            {QStringLiteral("density_histogram"), histogram},
            {QStringLiteral("histogram_low"), p.histogramLow},
            {QStringLiteral("histogram_high"), p.histogramHigh},
    };
}

SaeTrainMetrics saeTrainMetricsFromJson(const QJsonObject &j)
{
    SaeTrainMetrics p;
    p.step = static_cast<qint64>(j.value(QStringLiteral("step")).toDouble());
    p.totalSteps = static_cast<qint64>(j.value(QStringLiteral("total_steps")).toDouble());
    p.tokens = static_cast<qint64>(j.value(QStringLiteral("tokens")).toDouble());
    p.loss = j.value(QStringLiteral("loss")).toDouble();
    p.mse = j.value(QStringLiteral("mse")).toDouble();
    p.normalizedMse = j.value(QStringLiteral("normalized_mse")).toDouble();
    p.explainedVariance = j.value(QStringLiteral("explained_variance")).toDouble();
    p.l0 = j.value(QStringLiteral("l0")).toDouble();
    p.l1 = j.value(QStringLiteral("l1")).toDouble();
    p.deadFraction = j.value(QStringLiteral("dead_fraction")).toDouble();
    p.denseFraction = j.value(QStringLiteral("dense_fraction")).toDouble();
    p.learningRate = j.value(QStringLiteral("lr")).toDouble();
    p.tokensPerSecond = j.value(QStringLiteral("tokens_per_second")).toDouble();
    p.etaSeconds = j.value(QStringLiteral("eta_seconds")).toDouble();
    for (const QJsonValue &count : j.value(QStringLiteral("density_histogram")).toArray()) {
        p.densityHistogram.append(count.toDouble());
    }
    p.histogramLow = j.value(QStringLiteral("histogram_low")).toDouble(p.histogramLow);
    p.histogramHigh = j.value(QStringLiteral("histogram_high")).toDouble(p.histogramHigh);
    return p;
}

}  // namespace gyrus
