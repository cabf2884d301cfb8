#pragma once

#include "core/engine_client.h"

#include <QWidget>

class QComboBox;
class QCPBars;
class QCustomPlot;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QTimer;

namespace gyrus::widgets {

/// The SAE training dock: a form for every trainer setting (recipe defaults, tooltips), start /
/// pause / resume / stop, live charts on a shared step axis (loss, explained variance, L0, dead
/// and dense fractions) and a feature-density histogram, throughput and ETA, and an evaluation
/// card when the run ends. Charts replot at most every 40 ms however fast metrics arrive.
class SaeTrainingPanel : public QWidget
{
    Q_OBJECT
public:
    explicit SaeTrainingPanel(EngineClient *engine, QWidget *parent = nullptr);

    /// The request the form describes (what Start submits).
    SaeTrainRequest request() const;
    /// Fills the form (hooks offered in the hook box come from the loaded model).
    void setRequest(const SaeTrainRequest &request);
    void setHookNames(const QStringList &hooks);

    void start();
    void pause();
    void resume();
    void stop();

    bool isTraining() const { return m_request != 0; }

    /// Points in the loss chart (for tests).
    int chartPointCount() const;
    QString statusText() const;
    QString evaluationText() const;

    /// The checkpoint a paused run can resume from (empty when none).
    QString pausedCheckpoint() const { return m_checkpoint; }

private:
    void onProgress(RequestId id, const SaeTrainProgress &progress);
    void onEnded(RequestId id, const SaeTrainOutcome &outcome);
    void onFinished(RequestId id, const Status &status);
    void submit(const SaeTrainRequest &request);
    void clearCharts();
    void updateButtons();
    void architectureChanged();
    QCustomPlot *makePlot(const QString &title, bool logY);

    EngineClient *m_engine;
    RequestId m_request = 0;
    QString m_checkpoint;
    SaeTrainRequest m_lastSubmitted;

    QLineEdit *m_activations;
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
    QCustomPlot *m_lossPlot;
    QCustomPlot *m_variancePlot;
    QCustomPlot *m_l0Plot;
    QCustomPlot *m_deadPlot;
    QCustomPlot *m_histogramPlot;
    QCPBars *m_histogram;
    QTimer *m_replot;
};

}  // namespace gyrus::widgets
