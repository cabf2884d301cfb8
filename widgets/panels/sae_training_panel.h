#pragma once

#include "core/engine/engine_client.h"
#include "core/sae/sae_checkpoints.h"
#include "core/sae/sae_run_follower.h"
#include "core/sae/sae_runs.h"

#include <QHash>
#include <QJsonObject>
#include <QPointer>
#include <QWidget>

#include <functional>
#include <memory>

class QComboBox;
class QCPBars;
class QCustomPlot;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QTimer;

namespace gyrus {
class RequestTracker;
class SessionState;
}  // namespace gyrus

namespace gyrus::widgets {

/// The SAE training dock: a form for every trainer setting (recipe defaults, tooltips), start /
/// pause / resume / stop, live charts on a shared step axis (loss, explained variance, L0, dead
/// and dense fractions) and a feature-density histogram, throughput and ETA, and an evaluation
/// card when the run ends (training metrics, then the engine's held-out evaluation with CE-loss
/// recovered). The checkpoints and exported SAEs of this session's and the workspace's runs are
/// listed: resume a checkpoint, load an SAE into the engine, or evaluate it. Charts replot at
/// most every 40 ms however fast metrics arrive. Its state (form, chart series, runs, last
/// evaluation) is saved in the workspace (workspaceState / restoreWorkspaceState).
class SaeTrainingPanel : public QWidget
{
    Q_OBJECT
public:
    /// `session` is what the dock observes (the loaded model's hooks) and keeps its runs in;
    /// null: one of its own that follows `engine`.
    explicit SaeTrainingPanel(EngineClient *engine, SessionState *session = nullptr,
                              QWidget *parent = nullptr);

    /// The request the form describes (what Start submits).
    SaeTrainRequest request() const;
    /// Fills the form (hooks offered in the hook box come from the loaded model).
    void setRequest(const SaeTrainRequest &request);
    /// The hooks the hook box offers (the session's model sets them; the choice is kept when
    /// still offered, else the middle layer's residual stream).
    void setHookNames(const QStringList &hooks);
    /// The corpus the form offers until the user picks one (streaming and caching read it).
    void setDefaultCorpus(const QString &path);

    /// Where the training data come from: an activation file, or the loaded model streamed over
    /// the corpus (nothing written to disk first).
    void setStreaming(bool streaming);
    bool isStreaming() const;

    /// Caches the loaded model's activations at the form's hook over the form's corpus (context
    /// length and cache length from the form) into `outPath`, with stage, progress, ETA and
    /// cancel; the file appears only when complete, and then becomes the form's activation
    /// file. `overwrite` replaces an existing file (the file dialog asks first).
    void createCache(const QString &outPath, bool overwrite);
    /// The cache's length in activations (0: the whole corpus).
    void setCacheTokens(qint64 tokens);
    void cancelCache();
    bool isCaching() const;
    QString cacheStatusText() const;

    /// Starts a new run. When the output folder already holds a run (cfg.json, weights, a
    /// training log or checkpoints) it asks first (setOverwriteQuestion) and does nothing on no.
    void start();
    /// What start() asks before overwriting `directory`, which holds `files` (true: go ahead).
    /// The default is a Yes/Cancel question box; tests answer without one.
    void setOverwriteQuestion(
            std::function<bool(const QString &directory, const QStringList &files)> ask);
    void pause();
    void resume();
    void stop();

    bool isTraining() const;

    /// Points in the loss chart (for tests).
    int chartPointCount() const;
    QString statusText() const;
    QString evaluationText() const;

    /// The checkpoint a paused run can resume from (empty when none).
    QString pausedCheckpoint() const { return m_runs->pausedCheckpoint(); }

    /// Held-out text for the evaluation card (datasets/corpus/heldout.txt); without it a
    /// finished run shows its training metrics only.
    void setEvaluationText(const QString &path);
    /// Evaluates an exported SAE on the held-out text (explained variance, L0, dead fraction,
    /// CE-loss recovered) and shows the card. Done automatically when a run finishes.
    void evaluate(const QString &saeDirectory);

    /// The checkpoints and exported SAEs of the runs this panel knows (re-read from disk).
    void refreshArtifacts();

    QList<SaeRunArtifact> artifacts() const { return m_artifactEntries; }

    /// Continues training from a checkpoint directory (`<out>.checkpoint`).
    void resumeFrom(const QString &checkpoint);
    /// Loads an exported SAE into the engine (EngineClient::loadSae).
    void loadSae(const QString &saeDirectory);

    /// Follows a run another process writes (gyrus-cli sae train, on this machine or a cluster
    /// whose output directory is mounted here): its train_log.jsonl is plotted as it grows
    /// (polled every second), and Load SAE loads the run's latest export (OUT/checkpoint/sae
    /// at each checkpoint, OUT at the end). Refused while this panel trains.
    void followRun(const QString &runDirectory);
    void stopFollowing();

    bool isFollowing() const { return m_follower != nullptr; }

    /// Reads what the followed run's log gained (the timer calls it; tests call it directly).
    void pollFollowedRun();

    /// Metrics received for the current run, in order (the charts' series).
    const QVector<SaeTrainMetrics> &history() const { return m_runs->history(); }

    /// The dock's state for the workspace: form, last submitted request, chart series, known
    /// runs, paused checkpoint and the last evaluation.
    QJsonObject workspaceState() const;
    /// Refused while a training runs (stop or pause it first).
    Status restoreWorkspaceState(const QJsonObject &state);
    /// Back to a new workspace's state (stops a running training).
    void resetState();

Q_SIGNALS:
    /// Something saved in the workspace changed (form, metrics, runs, evaluation).
    void stateChanged();

private:
    void plotProgress(const SaeTrainMetrics &progress);
    void showEvaluationCard();
    void onEvaluated(const SaeEvalResult &result);
    QString selectedArtifactPath(SaeRunArtifact::Kind kind) const;

    void onProgress(const SaeTrainMetrics &progress);
    void onEnded(const SaeTrainOutcome &outcome);
    void onTrainingFinished(const Status &status);
    void submit(const SaeTrainRequest &request);
    void clearCharts();
    void updateButtons();
    void architectureChanged();
    QCustomPlot *makePlot(const QString &title, bool logY);

    EngineClient *m_engine;
    QPointer<SessionState> m_session;

    enum Slot
    {
        Train,
        Evaluate,
        Cache,
    };

    RequestTracker *m_requests = nullptr;
    SaeRuns *m_runs;  // the runs, their history, outcome and evaluation (the session's)
    QList<SaeRunArtifact> m_artifactEntries;
    QString m_evaluationText;
    QString m_evaluationStatus;
    // Streaming settings the form has no box for: kept from setRequest() (a workspace, a test)
    // and passed on by request().
    qint64 m_bufferTokens = SaeTrainRequest().bufferTokens;
    qint64 m_normalisationTokens = SaeTrainRequest().normalisationTokens;

    void dataSourceChanged();
    void onCacheFinished(const Status &status);

    QComboBox *m_dataSource;
    QLineEdit *m_activations;
    QLineEdit *m_corpus;
    QSpinBox *m_contextLength;
    QDoubleSpinBox *m_cacheMillionTokens;
    QPushButton *m_createCache;
    QProgressBar *m_cacheProgress;
    QLabel *m_cacheStatus;
    QString m_cachePath;  // the file the running cache writes
    QComboBox *m_hook;
    QComboBox *m_architecture;
    QSpinBox *m_dSae;
    QSpinBox *m_k;
    QDoubleSpinBox *m_l1;
    QDoubleSpinBox *m_l0Coefficient;
    QSpinBox *m_batch;
    QDoubleSpinBox *m_millionTokens;
    QDoubleSpinBox *m_learningRate;
    QComboBox *m_device;
    QSpinBox *m_seed;
    QLineEdit *m_outDirectory;
    QPushButton *m_start;
    QPushButton *m_pause;
    QPushButton *m_stop;
    QProgressBar *m_progress;
    QLabel *m_status;
    QLabel *m_evaluation;
    QListWidget *m_artifactList;
    QPushButton *m_resumeArtifact;
    QPushButton *m_loadArtifact;
    QPushButton *m_evaluateArtifact;
    QPushButton *m_follow;
    std::unique_ptr<SaeRunFollower> m_follower;
    QTimer *m_followTimer;
    QCustomPlot *m_lossPlot;
    QCustomPlot *m_variancePlot;
    QCustomPlot *m_l0Plot;
    QCustomPlot *m_deadPlot;
    QCustomPlot *m_histogramPlot;
    QCPBars *m_histogram;
    QTimer *m_replot;
    std::function<bool(const QString &, const QStringList &)> m_askOverwrite;
};

}  // namespace gyrus::widgets
