#include "core/sae/sae_runs.h"

#include "core/sae/sae_training_json.h"

#include <QJsonArray>

namespace gyrus {

SaeRuns::SaeRuns(QObject *parent)
    : QObject(parent)
{}

QStringList SaeRuns::directories() const
{
    return m_directories;
}

std::optional<SaeTrainRequest> SaeRuns::requestOf(const QString &directory) const
{
    const auto found = m_requests.constFind(directory);
    if (found == m_requests.constEnd()) {
        return std::nullopt;
    }
    return *found;
}

void SaeRuns::begin(const SaeTrainRequest &request)
{
    m_lastSubmitted = request;
    if (!request.outDirectory.isEmpty()) {
        m_directories.removeAll(request.outDirectory);
        m_directories.append(request.outDirectory);
        SaeTrainRequest stored = request;
        stored.resumeCheckpoint.clear();
        m_requests.insert(request.outDirectory, stored);
    }
    m_outcome.reset();
    m_evaluation.reset();
    Q_EMIT changed();
}

void SaeRuns::addMetrics(const SaeTrainMetrics &metrics)
{
    m_history.append(metrics);
    Q_EMIT changed();
}

void SaeRuns::clearHistory()
{
    m_history.clear();
    Q_EMIT changed();
}

void SaeRuns::setPausedCheckpoint(const QString &checkpoint)
{
    m_pausedCheckpoint = checkpoint;
    Q_EMIT changed();
}

void SaeRuns::setOutcome(const SaeTrainOutcome &outcome)
{
    m_outcome = outcome;
    Q_EMIT changed();
}

void SaeRuns::setEvaluation(const SaeEvalResult &evaluation)
{
    m_evaluation = evaluation;
    Q_EMIT changed();
}

void SaeRuns::clearEvaluation()
{
    m_evaluation.reset();
    Q_EMIT changed();
}

void SaeRuns::clear()
{
    m_directories.clear();
    m_requests.clear();
    m_lastSubmitted = SaeTrainRequest();
    m_history.clear();
    m_pausedCheckpoint.clear();
    m_outcome.reset();
    m_evaluation.reset();
    Q_EMIT changed();
}

QJsonObject SaeRuns::toJson() const
{
    QJsonArray history;
    for (const SaeTrainMetrics &metrics : m_history) {
        history.append(saeTrainMetricsToJson(metrics));
    }
    QJsonArray runs;
    for (const QString &directory : m_directories) {
        runs.append(QJsonObject{
                {QStringLiteral("out"), directory},
                {QStringLiteral("request"), saeTrainRequestToJson(m_requests.value(directory))}});
    }
    QJsonObject json{
            {QStringLiteral("last_submitted"), saeTrainRequestToJson(m_lastSubmitted)},
            {QStringLiteral("history"), history},
            {QStringLiteral("runs"), runs},
            {QStringLiteral("paused_checkpoint"), m_pausedCheckpoint},
    };
    if (m_outcome) {
        json[QStringLiteral("outcome")] =
                QJsonObject{{QStringLiteral("out"), m_outcome->outDirectory},
                            {QStringLiteral("last"), saeTrainMetricsToJson(m_outcome->last)}};
    }
    if (m_evaluation) {
        json[QStringLiteral("evaluation")] = saeEvalResultToJson(*m_evaluation);
    }
    return json;
}

void SaeRuns::restore(const QJsonObject &json)
{
    m_directories.clear();
    m_requests.clear();
    m_lastSubmitted =
            saeTrainRequestFromJson(json.value(QStringLiteral("last_submitted")).toObject());
    for (const QJsonValue &run : json.value(QStringLiteral("runs")).toArray()) {
        const QString out = run.toObject().value(QStringLiteral("out")).toString();
        const QJsonObject request = run.toObject().value(QStringLiteral("request")).toObject();
        if (out.isEmpty()) {
            continue;
        }
        m_directories.append(out);
        if (!request.isEmpty()) {
            m_requests.insert(out, saeTrainRequestFromJson(request));
        }
    }
    m_history.clear();
    for (const QJsonValue &metrics : json.value(QStringLiteral("history")).toArray()) {
        m_history.append(saeTrainMetricsFromJson(metrics.toObject()));
    }
    m_pausedCheckpoint = json.value(QStringLiteral("paused_checkpoint")).toString();
    m_outcome.reset();
    if (json.contains(QStringLiteral("outcome"))) {
        const QJsonObject outcome = json.value(QStringLiteral("outcome")).toObject();
        SaeTrainOutcome restored;
        restored.outDirectory = outcome.value(QStringLiteral("out")).toString();
        restored.last = saeTrainMetricsFromJson(outcome.value(QStringLiteral("last")).toObject());
        m_outcome = restored;
    }
    m_evaluation.reset();
    if (json.contains(QStringLiteral("evaluation"))) {
        m_evaluation = saeEvalResultFromJson(json.value(QStringLiteral("evaluation")).toObject());
    }
    Q_EMIT changed();
}

QJsonObject saeEvalResultToJson(const SaeEvalResult &e)
{
    return QJsonObject{
            {QStringLiteral("sae"), e.saePath},
            {QStringLiteral("hook_name"), e.hookName},
            {QStringLiteral("tokens"), double(e.tokens)},
            {QStringLiteral("explained_variance"), e.explainedVariance},
            {QStringLiteral("mse"), e.mse},
            {QStringLiteral("l0"), e.l0},
            {QStringLiteral("dead_fraction"), e.deadFraction},
            {QStringLiteral("dense_fraction"), e.denseFraction},
            {QStringLiteral("ce_tokens"), double(e.ceTokens)},
            {QStringLiteral("ce_loss_original"), e.ceOriginal},
            {QStringLiteral("ce_loss_sae"), e.ceSae},
            {QStringLiteral("ce_loss_zero"), e.ceZero},
            {QStringLiteral("ce_loss_with_error"), e.ceWithError},
            {QStringLiteral("kl_sae"), e.klSae},
            {QStringLiteral("ce_loss_recovered"), e.ceLossRecovered},
    };
}

SaeEvalResult saeEvalResultFromJson(const QJsonObject &j)
{
    SaeEvalResult e;
    e.saePath = j.value(QStringLiteral("sae")).toString();
    e.hookName = j.value(QStringLiteral("hook_name")).toString();
    e.tokens = static_cast<qint64>(j.value(QStringLiteral("tokens")).toDouble());
    e.explainedVariance = j.value(QStringLiteral("explained_variance")).toDouble();
    e.mse = j.value(QStringLiteral("mse")).toDouble();
    e.l0 = j.value(QStringLiteral("l0")).toDouble();
    e.deadFraction = j.value(QStringLiteral("dead_fraction")).toDouble();
    e.denseFraction = j.value(QStringLiteral("dense_fraction")).toDouble();
    e.ceTokens = static_cast<qint64>(j.value(QStringLiteral("ce_tokens")).toDouble());
    e.ceOriginal = j.value(QStringLiteral("ce_loss_original")).toDouble();
    e.ceSae = j.value(QStringLiteral("ce_loss_sae")).toDouble();
    e.ceZero = j.value(QStringLiteral("ce_loss_zero")).toDouble();
    e.ceWithError = j.value(QStringLiteral("ce_loss_with_error")).toDouble();
    e.klSae = j.value(QStringLiteral("kl_sae")).toDouble();
    e.ceLossRecovered = j.value(QStringLiteral("ce_loss_recovered")).toDouble();
    return e;
}

}  // namespace gyrus
