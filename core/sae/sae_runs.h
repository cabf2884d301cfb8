#pragma once
// The SAE training runs of a session: the directories the SAE training dock trained into (each
// with its request, for Resume), the running or last run's metrics history, how it ended, its
// paused checkpoint and its evaluation. Kept in core so the dock only shows it and a workspace
// saves and restores it without a widget (the "sae_training" section's keys besides the form).

#include "core/sae/sae_evaluation_types.h"
#include "core/sae/sae_training_types.h"

#include <QHash>
#include <QJsonObject>
#include <QObject>
#include <QString>
#include <QStringList>
#include <QVector>

#include <optional>

namespace gyrus {

class SaeRuns : public QObject
{
    Q_OBJECT
public:
    explicit SaeRuns(QObject *parent = nullptr);

    /// Directories trained into, oldest first (a directory trained into again moves last).
    QStringList directories() const;
    /// The request a directory was last trained with (its resume checkpoint cleared).
    std::optional<SaeTrainRequest> requestOf(const QString &directory) const;

    /// A run was submitted: it is the one Resume continues, its directory is remembered, and the
    /// previous run's outcome and evaluation are dropped (its charts are the caller's).
    void begin(const SaeTrainRequest &request);

    const SaeTrainRequest &lastSubmitted() const { return m_lastSubmitted; }

    void addMetrics(const SaeTrainMetrics &metrics);
    void clearHistory();

    const QVector<SaeTrainMetrics> &history() const { return m_history; }

    /// Where a paused run resumes from; empty when none is paused.
    void setPausedCheckpoint(const QString &checkpoint);

    const QString &pausedCheckpoint() const { return m_pausedCheckpoint; }

    /// How the run ended (not paused).
    void setOutcome(const SaeTrainOutcome &outcome);

    const std::optional<SaeTrainOutcome> &outcome() const { return m_outcome; }

    void setEvaluation(const SaeEvalResult &evaluation);
    void clearEvaluation();

    const std::optional<SaeEvalResult> &evaluation() const { return m_evaluation; }

    /// Forgets everything (a new workspace).
    void clear();

    /// The workspace keys: "runs", "last_submitted", "history", "paused_checkpoint" and, when
    /// there are, "outcome" and "evaluation".
    QJsonObject toJson() const;
    /// Replaces everything with what toJson() wrote; missing keys read as empty.
    void restore(const QJsonObject &json);

Q_SIGNALS:
    void changed();

private:
    QStringList m_directories;
    QHash<QString, SaeTrainRequest> m_requests;
    SaeTrainRequest m_lastSubmitted;
    QVector<SaeTrainMetrics> m_history;
    QString m_pausedCheckpoint;
    std::optional<SaeTrainOutcome> m_outcome;
    std::optional<SaeEvalResult> m_evaluation;
};

/// The evaluation card as JSON (the workspace's "evaluation") and back.
QJsonObject saeEvalResultToJson(const SaeEvalResult &result);
SaeEvalResult saeEvalResultFromJson(const QJsonObject &json);

}  // namespace gyrus
