#pragma once

#include "core/engine/engine_client.h"
#include "core/features/feature_inspector_types.h"
#include "core/llm/scoring.h"

#include <QJsonObject>
#include <QPointer>
#include <QWidget>

class QLabel;
class QProgressBar;
class QPushButton;

namespace gyrus {
class ChatBackend;
class ChatJob;
class RequestTracker;
}  // namespace gyrus

namespace gyrus::widgets {

/// "Score label" in the Features dock: detection scoring of the shown feature's label
/// (core/llm/scoring.h, the functions `gyrus-cli score detection` uses). Stage 1 reads, from the
/// engine's corpus scan, the examples of other features drawn with the judge's seed until
/// there are as many non-activating examples as activating ones; stage 2 asks the judge about a
/// shuffled, balanced mix in batches over several repeats at temperature 0. Progress, ETA and
/// Cancel; a cancelled or failed run leaves the previous score on screen and in the workspace.
/// The result (balanced accuracy and AUC with 95 % CIs, who judged, how) is emitted as the JSON
/// the CLI prints, with the other features used and the time.
class DetectionScoreBox : public QWidget
{
    Q_OBJECT
public:
    explicit DetectionScoreBox(EngineClient *engine, QWidget *parent = nullptr);
    ~DetectionScoreBox() override;

    /// The judge (null: none configured; Score stays off). Not owned.
    void setBackend(ChatBackend *backend);
    /// The feature on screen and how many features the scan has (to draw others from); a
    /// different feature cancels a run.
    void setFeature(const FeatureDetailsPtr &details, int featureCount);
    /// The label to score (with its description, if a suggestion gave one) and its stored score
    /// (empty: none), shown beside it.
    void setLabel(const QString &label, const QString &description, const QJsonObject &score);

    void setJudgeOptions(const JudgeOptions &options) { m_options = options; }

    JudgeOptions judgeOptions() const { return m_options; }

    void score();
    void cancel();

    bool isRunning() const { return m_running; }

    /// The other features whose examples the last run used as non-activating ones.
    QList<int> nonActivatingFeatures() const;

    QPushButton *scoreButton() const { return m_score; }

    QPushButton *cancelButton() const { return m_cancel; }

    QProgressBar *progressBar() const { return m_progress; }

    QString statusText() const;
    /// The stored score in words ("" when none).
    QString resultText() const;

    /// "balanced accuracy 0.83 [0.70, 0.96] · AUC …, judge, prompt, repeats" for a stored score.
    static QString describeScore(const QJsonObject &score, const QString &currentLabel);

Q_SIGNALS:
    /// A finished score of `feature`'s label (detectionScoreJson() plus the features used).
    void scored(int feature, const QJsonObject &score);
    /// Every run ends here (Ok, Cancelled or the reason it failed).
    void finishedRun(const gyrus::Status &status);

private:
    void requestNextOther();
    void onOtherFinished(const Status &status);
    void askJudge();
    void onAnswers(const Status &status);
    void finish(const Status &status, const QString &message);
    void updateButtons();

    EngineClient *m_engine;
    RequestTracker *m_requests;
    QPointer<ChatBackend> m_backend;
    FeatureDetailsPtr m_details;
    int m_featureCount = 0;
    QString m_label;
    QString m_description;
    QJsonObject m_stored;
    JudgeOptions m_options;

    bool m_running = false;
    QList<int> m_candidates;  ///< other features in the seeded order they are asked for
    int m_nextCandidate = 0;
    int m_retries = 0;
    FeatureDetailsPtr m_pendingOther;
    QList<FeatureDetails> m_others;
    QList<DetectionExample> m_examples;
    DetectionPlan m_plan;
    QString m_runLabel;
    QPointer<ChatJob> m_job;

    QPushButton *m_score;
    QPushButton *m_cancel;
    QProgressBar *m_progress;
    QLabel *m_status;
    QLabel *m_result;
};

}  // namespace gyrus::widgets
