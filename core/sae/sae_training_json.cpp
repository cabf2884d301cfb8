#include "core/sae/sae_training_json.h"

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
            {QStringLiteral("hook_name"), r.sae.hookName},
            {QStringLiteral("architecture"), nameOf(r.sae.architecture)},
            {QStringLiteral("d_sae"), int(r.sae.dSae)},
            {QStringLiteral("k"), int(r.sae.k)},
            {QStringLiteral("l1_coefficient"), r.l1Coefficient},
            {QStringLiteral("l0_coefficient"), r.l0Coefficient},
            {QStringLiteral("batch_size"), int(r.batchSize)},
            {QStringLiteral("tokens"), double(r.totalTokens)},
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
    r.sae.hookName = j.value(QStringLiteral("hook_name")).toString(r.sae.hookName);
    r.sae.architecture =
            fromName<SaeArchitecture>(j.value(QStringLiteral("architecture")).toString())
                    .value_or(r.sae.architecture);
    r.sae.dSae = j.value(QStringLiteral("d_sae")).toInt(int(r.sae.dSae));
    r.sae.k = j.value(QStringLiteral("k")).toInt(int(r.sae.k));
    r.l1Coefficient = j.value(QStringLiteral("l1_coefficient")).toDouble(r.l1Coefficient);
    r.l0Coefficient = j.value(QStringLiteral("l0_coefficient")).toDouble(r.l0Coefficient);
    r.batchSize = j.value(QStringLiteral("batch_size")).toInt(int(r.batchSize));
    r.totalTokens =
            static_cast<int64_t>(j.value(QStringLiteral("tokens")).toDouble(double(r.totalTokens)));
    r.learningRate = j.value(QStringLiteral("lr")).toDouble(r.learningRate);
    r.device = j.value(QStringLiteral("device")).toString(r.device);
    r.seed = j.value(QStringLiteral("seed")).toString().toULongLong();
    r.outDirectory = j.value(QStringLiteral("out")).toString();
    r.resumeCheckpoint = j.value(QStringLiteral("resume_checkpoint")).toString();
    return r;
}

namespace {

// Which writers carry a key. Each writer keeps the keys it always wrote, so files written before
// the one codec read the same, and every reader reads any of them.
enum FieldSet : unsigned
{
    InWorkspace = 1U << unsigned(SaeMetricsFields::Workspace),
    InSummary = 1U << unsigned(SaeMetricsFields::Summary),
    InLog = 1U << unsigned(SaeMetricsFields::Log),
};

struct CountField
{
    const char *key;
    qint64 SaeTrainMetrics::*member;
    unsigned sets;
};

struct NumberField
{
    const char *key;
    double SaeTrainMetrics::*member;
    unsigned sets;
};

constexpr CountField kCounts[] = {
        {"step", &SaeTrainMetrics::step, InWorkspace | InLog},
        {"total_steps", &SaeTrainMetrics::totalSteps, InWorkspace | InLog},
        {"tokens", &SaeTrainMetrics::tokens, InWorkspace | InLog},
};

constexpr unsigned kEvery = InWorkspace | InSummary | InLog;

constexpr NumberField kNumbers[] = {
        {"loss", &SaeTrainMetrics::loss, InWorkspace | InLog},
        {"mse", &SaeTrainMetrics::mse, kEvery},
        {"normalized_mse", &SaeTrainMetrics::normalizedMse, kEvery},
        {"explained_variance", &SaeTrainMetrics::explainedVariance, kEvery},
        {"l0", &SaeTrainMetrics::l0, kEvery},
        {"l1", &SaeTrainMetrics::l1, kEvery},
        {"sparsity_loss", &SaeTrainMetrics::sparsityLoss, InLog},
        {"auxk_loss", &SaeTrainMetrics::auxKLoss, InLog},
        {"dead_fraction", &SaeTrainMetrics::deadFraction, kEvery},
        {"dense_fraction", &SaeTrainMetrics::denseFraction, kEvery},
        {"lr", &SaeTrainMetrics::learningRate, InWorkspace | InLog},
        {"sparsity_coefficient", &SaeTrainMetrics::sparsityCoefficient, InLog},
        {"grad_norm", &SaeTrainMetrics::gradientNorm, InLog},
        {"tokens_per_second", &SaeTrainMetrics::tokensPerSecond, kEvery},
        {"eta_seconds", &SaeTrainMetrics::etaSeconds, InWorkspace | InLog},
        {"step_seconds", &SaeTrainMetrics::stepSeconds, InSummary | InLog},
        // The log has it only in a data-parallel run (the trainer adds it with world_size).
        {"collective_seconds", &SaeTrainMetrics::collectiveSeconds, InSummary},
};

// The workspace's name for the histogram and the trainer log's (whose bins always span the
// defaults, log10 density −10..0).
const QLatin1String kHistogram("density_histogram");
const QLatin1String kLogHistogram("log10_density_histogram");

}  // namespace

QJsonObject saeTrainMetricsToJson(const SaeTrainMetrics &metrics, SaeMetricsFields fields)
{
    const unsigned set = 1U << unsigned(fields);
    QJsonObject json;
    for (const CountField &field : kCounts) {
        if (field.sets & set) {
            json[QLatin1String(field.key)] = double(metrics.*field.member);
        }
    }
    for (const NumberField &field : kNumbers) {
        if (field.sets & set) {
            json[QLatin1String(field.key)] = metrics.*field.member;
        }
    }
    QJsonArray histogram;
    for (double count : metrics.densityHistogram) {
        histogram.append(count);
    }
    if (fields == SaeMetricsFields::Workspace) {
        json[kHistogram] = histogram;
        json[QStringLiteral("histogram_low")] = metrics.histogramLow;
        json[QStringLiteral("histogram_high")] = metrics.histogramHigh;
    } else if (fields == SaeMetricsFields::Log) {
        json[kLogHistogram] = histogram;
    }
    return json;
}

SaeTrainMetrics saeTrainMetricsFromJson(const QJsonObject &json)
{
    SaeTrainMetrics metrics;
    for (const CountField &field : kCounts) {
        metrics.*field.member =
                static_cast<qint64>(json.value(QLatin1String(field.key)).toDouble());
    }
    for (const NumberField &field : kNumbers) {
        metrics.*field.member = json.value(QLatin1String(field.key)).toDouble();
    }
    const QJsonValue histogram =
            json.contains(kHistogram) ? json.value(kHistogram) : json.value(kLogHistogram);
    for (const QJsonValue &count : histogram.toArray()) {
        metrics.densityHistogram.append(count.toDouble());
    }
    metrics.histogramLow =
            json.value(QStringLiteral("histogram_low")).toDouble(metrics.histogramLow);
    metrics.histogramHigh =
            json.value(QStringLiteral("histogram_high")).toDouble(metrics.histogramHigh);
    return metrics;
}

}  // namespace gyrus
