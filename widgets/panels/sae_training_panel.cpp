#include "widgets/panels/sae_training_panel.h"

#include "core/base/table_export.h"
#include "core/engine/request_tracker.h"
#include "core/sae/sae_training_json.h"
#include "core/session/session_state.h"
#include "widgets/common/export_button.h"
#include "widgets/common/export_tables.h"
#include "widgets/common/icons.h"
#include "widgets/common/plot_style.h"
#include "widgets/common/vocabulary_combo.h"

#include <QComboBox>
#include <QCoreApplication>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QJsonArray>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollArea>
#include <QSignalBlocker>
#include <QSpinBox>
#include <QSplitter>
#include <QStandardItemModel>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>
#include <qcustomplot.h>

#include <algorithm>
#include <cmath>

namespace gyrus::widgets {

namespace {

QString formatEta(double seconds)
{
    if (!std::isfinite(seconds) || seconds <= 0) {
        return QStringLiteral("—");
    }
    const auto s = static_cast<qint64>(seconds);
    return s >= 3600 ? QStringLiteral("%1 h %2 min").arg(s / 3600).arg((s % 3600) / 60)
                     : QStringLiteral("%1 min %2 s").arg(s / 60).arg(s % 60);
}

QString introductionText()
{
    return QCoreApplication::translate(
            "SaeTrainingPanel",
            "Stream from the loaded model over a corpus, or train on an activation cache "
            "(create one below); then Start.");
}

void addPoint(QCustomPlot *plot, int graph, double x, double y)
{
    if (std::isfinite(y)) {
        plot->graph(graph)->addData(x, y);
    }
}

}  // namespace

SaeTrainingPanel::SaeTrainingPanel(EngineClient *engine, SessionState *session, QWidget *parent)
    : QWidget(parent)
    , m_engine(engine)
    , m_session(sessionOrFollowing(session, engine, this))
    , m_runs(m_session->saeRuns())
    , m_dataSource(new QComboBox(this))
    , m_activations(new QLineEdit(this))
    , m_corpus(new QLineEdit(this))
    , m_contextLength(new QSpinBox(this))
    , m_cacheMillionTokens(new QDoubleSpinBox(this))
    , m_createCache(new QPushButton(tr("Create activation cache…"), this))
    , m_cacheProgress(new QProgressBar(this))
    , m_cacheStatus(new QLabel(this))
    , m_hook(new QComboBox(this))
    , m_architecture(new QComboBox(this))
    , m_dSae(new QSpinBox(this))
    , m_k(new QSpinBox(this))
    , m_l1(new QDoubleSpinBox(this))
    , m_l0Coefficient(new QDoubleSpinBox(this))
    , m_batch(new QSpinBox(this))
    , m_millionTokens(new QDoubleSpinBox(this))
    , m_learningRate(new QDoubleSpinBox(this))
    , m_device(new QComboBox(this))
    , m_seed(new QSpinBox(this))
    , m_outDirectory(new QLineEdit(this))
    , m_start(new QPushButton(tr("Start"), this))
    , m_pause(new QPushButton(tr("Pause"), this))
    , m_stop(new QPushButton(tr("Stop"), this))
    , m_progress(new QProgressBar(this))
    , m_status(new QLabel(this))
    , m_evaluation(new QLabel(this))
    , m_artifactList(new QListWidget(this))
    , m_resumeArtifact(new QPushButton(tr("Resume"), this))
    , m_loadArtifact(new QPushButton(tr("Load SAE"), this))
    , m_evaluateArtifact(new QPushButton(tr("Evaluate"), this))
    , m_follow(new QPushButton(tr("Follow run…"), this))
    , m_followTimer(new QTimer(this))
    , m_replot(new QTimer(this))
{
    m_start->setIcon(uiIcon(QStringLiteral("start")));
    m_pause->setIcon(uiIcon(QStringLiteral("pause")));
    m_stop->setIcon(uiIcon(QStringLiteral("stop")));
    m_resumeArtifact->setIcon(uiIcon(QStringLiteral("start")));
    m_activations->setPlaceholderText(tr("activations.h5 (gyrus-cli cache)"));
    m_activations->setToolTip(
            tr("HDF5 file with /activations [tokens, d_model] cached at one hook point."));
    auto *browse = new QToolButton(this);
    browse->setText(tr("…"));
    browse->setToolTip(tr("Choose the activation file"));
    connect(browse, &QToolButton::clicked, this, [this] {
        const QString path = QFileDialog::getOpenFileName(
                this, tr("Activations"), m_activations->text(), tr("HDF5 (*.h5 *.hdf5)"));
        if (!path.isEmpty()) {
            m_activations->setText(path);
        }
    });
    auto *activationsRow = new QHBoxLayout;
    activationsRow->addWidget(m_activations, 1);
    activationsRow->addWidget(browse);
    m_dataSource->setObjectName(QStringLiteral("saeDataSource"));
    m_dataSource->addItem(tr("Activation file"));
    m_dataSource->addItem(tr("Stream from the loaded model"));
    m_dataSource->setToolTip(
            tr("Activation file: train on an HDF5 cache (make one below or with gyrus-cli cache).\n"
               "Stream: run the corpus through the loaded model while training, in windows of "
               "the context length, mixed in a shuffle buffer; nothing is written first."));
    m_corpus->setObjectName(QStringLiteral("saeCorpus"));
    m_corpus->setPlaceholderText(tr("corpus.txt (one sentence or paragraph per line)"));
    m_corpus->setToolTip(tr("Text the loaded model reads, for streaming and for caching."));
    auto *browseCorpus = new QToolButton(this);
    browseCorpus->setText(tr("…"));
    browseCorpus->setToolTip(tr("Choose the corpus"));
    connect(browseCorpus, &QToolButton::clicked, this, [this] {
        const QString path = QFileDialog::getOpenFileName(this, tr("Corpus"), m_corpus->text(),
                                                          tr("Text (*.txt);;All files (*)"));
        if (!path.isEmpty()) {
            m_corpus->setText(path);
        }
    });
    auto *corpusRow = new QHBoxLayout;
    corpusRow->addWidget(m_corpus, 1);
    corpusRow->addWidget(browseCorpus);
    m_contextLength->setRange(2, 1 << 16);
    m_contextLength->setValue(128);
    m_contextLength->setToolTip(
            tr("Tokens per window, BOS included (BOS rows are dropped), for streaming and "
               "caching."));
    m_cacheMillionTokens->setRange(0.0, 100000.0);
    m_cacheMillionTokens->setDecimals(3);
    m_cacheMillionTokens->setValue(1.0);
    m_cacheMillionTokens->setSuffix(tr(" M tokens"));
    m_cacheMillionTokens->setSpecialValueText(tr("whole corpus"));
    m_cacheMillionTokens->setToolTip(
            tr("Activations to cache (float16, d_model × 2 bytes each); 0: the whole corpus."));
    m_createCache->setObjectName(QStringLiteral("saeCreateCache"));
    m_createCache->setToolTip(
            tr("Run the corpus through the loaded model and write the hook's activations to an "
               "HDF5 file (what gyrus-cli cache writes). The file appears only when complete."));
    m_cacheProgress->setRange(0, 1000);
    m_cacheProgress->setVisible(false);
    m_cacheStatus->setWordWrap(true);
    m_cacheStatus->setObjectName(QStringLiteral("saeCacheStatus"));
    m_hook->setObjectName(QStringLiteral("saeTraining.hook"));
    m_hook->setEditable(true);
    m_hook->setToolTip(tr("The hook point the activations come from; recorded in cfg.json."));
    addChoices(m_architecture, {SaeArchitecture::TopK, SaeArchitecture::BatchTopK,
                                SaeArchitecture::Relu, SaeArchitecture::JumpRelu});
    m_architecture->setToolTip(
            tr("topk: exactly k latents per token, AuxK revives dead ones (Gao et al.).\n"
               "batchtopk: k per token on average over the batch (Bussmann et al.).\n"
               "relu: Anthropic's April 2024 recipe, decoder-norm-weighted L1.\n"
               "jumprelu: per-latent thresholds with an L0 penalty (Gemma Scope)."));
    m_dSae->setRange(16, 1 << 20);
    m_dSae->setValue(4096);
    m_dSae->setToolTip(tr("Number of latents (dictionary size); 8–16× d_model is typical."));
    m_k->setRange(1, 4096);
    m_k->setValue(32);
    m_k->setToolTip(tr("Active latents per token (TopK, BatchTopK): the target L0."));
    m_l1->setRange(0.0, 1000.0);
    m_l1->setDecimals(3);
    m_l1->setValue(5.0);
    m_l1->setToolTip(
            tr("ReLU: λ of the decoder-norm-weighted L1 penalty, inputs scaled so E‖x‖ = √d. "
               "Warmed up over the first 5% of steps."));
    // λ is in training units (inputs scaled so E‖x‖² = d_in): the recipe's 0.01·d_in is 1.9 for
    // the demo's d_in 192 and 23 for Gemma-2-2B's 2304, so the range reaches far above 10.
    m_l0Coefficient->setRange(0.0, 10000.0);
    m_l0Coefficient->setDecimals(4);
    m_l0Coefficient->setSpecialValueText(tr("recipe default"));
    m_l0Coefficient->setValue(0.0);
    m_l0Coefficient->setToolTip(
            tr("JumpReLU: λ of the L0 penalty. 0: the recipe's 0.01·d_in (one more active latent "
               "must explain 1% of E‖x‖² to pay for itself), as gyrus-cli sae train uses."));
    m_batch->setRange(16, 1 << 16);
    m_batch->setValue(4096);
    m_batch->setToolTip(tr("Tokens per optimiser step."));
    m_millionTokens->setRange(0.001, 100000.0);
    m_millionTokens->setDecimals(3);
    m_millionTokens->setValue(10.0);
    m_millionTokens->setSuffix(tr(" M tokens"));
    m_millionTokens->setToolTip(tr("Training length; the activations are reshuffled each epoch."));
    m_learningRate->setRange(0.0, 1.0);
    m_learningRate->setDecimals(6);
    m_learningRate->setSingleStep(1e-5);
    m_learningRate->setSpecialValueText(tr("recipe default"));
    m_learningRate->setToolTip(
            tr("0: the recipe's (5e-5 for ReLU, 2e-4/√(d_sae/16384) otherwise). "
               "Linear decay to 0 over the last 20% of steps."));
    m_device->addItem(QStringLiteral("cpu"));
    m_seed->setRange(0, 1'000'000);
    m_outDirectory->setPlaceholderText(tr("output directory (SAELens layout)"));

    auto *form = new QFormLayout;
    form->addRow(tr("Data"), m_dataSource);
    form->addRow(tr("Activations"), activationsRow);
    form->addRow(tr("Corpus"), corpusRow);
    form->addRow(tr("Hook"), m_hook);
    form->addRow(tr("Context"), m_contextLength);
    form->addRow(tr("Architecture"), m_architecture);
    form->addRow(tr("d_sae"), m_dSae);
    form->addRow(tr("k"), m_k);
    form->addRow(tr("L1 λ"), m_l1);
    form->addRow(tr("L0 λ"), m_l0Coefficient);
    form->addRow(tr("Batch"), m_batch);
    form->addRow(tr("Length"), m_millionTokens);
    form->addRow(tr("Learning rate"), m_learningRate);
    form->addRow(tr("Device"), m_device);
    form->addRow(tr("Seed"), m_seed);
    form->addRow(tr("Save to"), m_outDirectory);
    auto *buttons = new QHBoxLayout;
    buttons->addWidget(m_start);
    buttons->addWidget(m_pause);
    buttons->addWidget(m_stop);
    m_start->setObjectName(QStringLiteral("saeStart"));
    m_pause->setObjectName(QStringLiteral("saePause"));
    m_stop->setObjectName(QStringLiteral("saeStop"));
    m_status->setWordWrap(true);
    m_evaluation->setWordWrap(true);
    m_evaluation->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_progress->setRange(0, 1000);

    auto *formWidget = new QWidget(this);
    auto *formLayout = new QVBoxLayout(formWidget);
    formLayout->addLayout(form);
    formLayout->addLayout(buttons);
    formLayout->addWidget(m_progress);
    formLayout->addWidget(m_status);
    formLayout->addWidget(m_evaluation);

    // An activation cache made from the loaded model, for runs that reuse the same data.
    auto *cacheBox = new QGroupBox(tr("Activation cache"), formWidget);
    auto *cacheLayout = new QFormLayout(cacheBox);
    cacheLayout->addRow(tr("Length"), m_cacheMillionTokens);
    cacheLayout->addRow(m_createCache);
    cacheLayout->addRow(m_cacheProgress);
    cacheLayout->addRow(m_cacheStatus);
    formLayout->addWidget(cacheBox);
    connect(m_createCache, &QPushButton::clicked, this, [this] {
        if (isCaching()) {
            cancelCache();
            return;
        }
        const QString path = QFileDialog::getSaveFileName(this, tr("Create activation cache"),
                                                          m_activations->text().isEmpty()
                                                                  ? QStringLiteral("activations.h5")
                                                                  : m_activations->text(),
                                                          tr("HDF5 (*.h5 *.hdf5)"));
        if (!path.isEmpty()) {
            // The save dialog has asked before replacing an existing file.
            createCache(path, true);
        }
    });
    connect(m_dataSource, qOverload<int>(&QComboBox::currentIndexChanged), this,
            &SaeTrainingPanel::dataSourceChanged);

    // Checkpoints and SAEs of this session's (and the workspace's) runs.
    auto *runs = new QGroupBox(tr("Checkpoints and trained SAEs"), formWidget);
    auto *runsLayout = new QVBoxLayout(runs);
    m_artifactList->setObjectName(QStringLiteral("saeArtifacts"));
    m_artifactList->setToolTip(
            tr("A checkpoint (written when you pause) resumes training; a trained SAE loads "
               "into the feature views or gets an evaluation card."));
    m_artifactList->setMinimumHeight(70);
    runsLayout->addWidget(m_artifactList);
    auto *runButtons = new QHBoxLayout;
    auto *refresh = new QPushButton(tr("Refresh"), runs);
    m_resumeArtifact->setObjectName(QStringLiteral("saeResumeCheckpoint"));
    m_loadArtifact->setObjectName(QStringLiteral("saeLoadTrained"));
    m_evaluateArtifact->setObjectName(QStringLiteral("saeEvaluate"));
    m_resumeArtifact->setToolTip(tr("Continue training from the selected checkpoint."));
    m_loadArtifact->setToolTip(tr("Load the selected SAE into the engine (Model dock's SAE)."));
    m_evaluateArtifact->setToolTip(
            tr("Explained variance, L0, dead fraction and CE-loss recovered on held-out text."));
    runButtons->addWidget(m_resumeArtifact);
    runButtons->addWidget(m_loadArtifact);
    runButtons->addWidget(m_evaluateArtifact);
    runButtons->addWidget(refresh);
    runsLayout->addLayout(runButtons);
    // A run started elsewhere (gyrus-cli sae train, a cluster job) is watched from here.
    m_follow->setObjectName(QStringLiteral("saeFollowRun"));
    m_follow->setToolTip(
            tr("Plot a run another process writes: choose its output directory (train_log.jsonl "
               "and checkpoints, local or on a mounted file system). Load SAE then loads its "
               "latest export."));
    runsLayout->addWidget(m_follow);
    m_followTimer->setInterval(1000);
    connect(m_followTimer, &QTimer::timeout, this, &SaeTrainingPanel::pollFollowedRun);
    connect(m_follow, &QPushButton::clicked, this, [this] {
        if (isFollowing()) {
            stopFollowing();
            return;
        }
        const QString directory = QFileDialog::getExistingDirectory(
                this, tr("Follow a training run"), m_outDirectory->text());
        if (!directory.isEmpty()) {
            followRun(directory);
        }
    });
    formLayout->addWidget(runs);
    formLayout->addStretch(1);
    connect(refresh, &QPushButton::clicked, this, &SaeTrainingPanel::refreshArtifacts);
    connect(m_artifactList, &QListWidget::currentRowChanged, this,
            &SaeTrainingPanel::updateButtons);
    connect(m_resumeArtifact, &QPushButton::clicked, this,
            [this] { resumeFrom(selectedArtifactPath(SaeRunArtifact::Kind::Checkpoint)); });
    connect(m_loadArtifact, &QPushButton::clicked, this, [this] {
        loadSae(isFollowing() ? m_follower->latestExport()
                              : selectedArtifactPath(SaeRunArtifact::Kind::ExportedSae));
    });
    connect(m_evaluateArtifact, &QPushButton::clicked, this,
            [this] { evaluate(selectedArtifactPath(SaeRunArtifact::Kind::ExportedSae)); });
    auto *scroll = new QScrollArea(this);
    scroll->setWidget(formWidget);
    scroll->setWidgetResizable(true);

    m_lossPlot = makePlot(tr("loss"), true);
    m_lossPlot->addGraph();
    m_lossPlot->graph(1)->setName(tr("normalised MSE"));
    m_lossPlot->graph(1)->setPen(QPen(QColor(38, 139, 210), 1.5));
    placeLegendAbove(m_lossPlot);
    m_lossPlot->legend->setVisible(true);
    m_variancePlot = makePlot(tr("expl. variance"), false);
    m_l0Plot = makePlot(tr("L0"), false);
    m_l0Plot->graph(0)->setName(tr("active latents per token"));
    m_deadPlot = makePlot(tr("fraction"), false);
    m_deadPlot->graph(0)->setName(tr("dead"));
    m_deadPlot->addGraph();
    m_deadPlot->graph(1)->setName(tr("dense (>10% of tokens)"));
    m_deadPlot->graph(1)->setPen(QPen(QColor(211, 54, 130), 1.5));
    placeLegendAbove(m_deadPlot);
    m_deadPlot->legend->setVisible(true);
    m_histogramPlot = new QCustomPlot(this);
    applyPlotStyle(m_histogramPlot);
    m_histogram = new QCPBars(m_histogramPlot->xAxis, m_histogramPlot->yAxis);
    m_histogram->setPen(Qt::NoPen);
    m_histogram->setBrush(QColor(42, 161, 152));
    m_histogramPlot->xAxis->setLabel(tr("log10 feature density"));
    m_histogramPlot->yAxis->setLabel(tr("latents"));
    m_histogramPlot->setMinimumHeight(120);
    for (QCustomPlot *plot : {m_variancePlot, m_l0Plot, m_deadPlot}) {
        // One step axis for every chart: zooming one zooms all.
        connect(m_lossPlot->xAxis, qOverload<const QCPRange &>(&QCPAxis::rangeChanged), plot->xAxis,
                qOverload<const QCPRange &>(&QCPAxis::setRange));
    }
    auto *charts = new QWidget(this);
    auto *grid = new QGridLayout(charts);
    grid->setContentsMargins(0, 0, 0, 0);
    grid->addWidget(m_lossPlot, 1, 0);
    grid->addWidget(m_variancePlot, 1, 1);
    grid->addWidget(m_l0Plot, 2, 0);
    grid->addWidget(m_deadPlot, 2, 1);
    grid->addWidget(m_histogramPlot, 3, 0, 1, 2);
    const QList<QCustomPlot *> curves = {m_lossPlot, m_variancePlot, m_l0Plot, m_deadPlot};
    auto writeCurves = [curves](const QString &path) {
        return writeTable(*curvesTable(curves), path);
    };
    QList<ExportChoice> figures;
    for (const auto &[plot, what] :
         {std::pair{m_lossPlot, tr("Loss plot")}, std::pair{m_variancePlot, tr("Variance plot")},
          std::pair{m_l0Plot, tr("L0 plot")}, std::pair{m_deadPlot, tr("Dead-latents plot")},
          std::pair{m_histogramPlot, tr("Density histogram")}}) {
        figures.append(plotExportChoices(plot, QSize(640, 360), what));
    }
    QToolButton *exportCharts = makeExportButton(
            this,
            {{{tr("Training curves as CSV…"), QStringLiteral("csv"), writeCurves},
              {tr("Training curves as HDF5…"), QStringLiteral("h5"), writeCurves}},
             widgetExportChoices(charts, tr("All charts")),
             figures},
            [] { return QStringLiteral("sae-training"); },
            [this](const Status &status, const QString &path) {
                m_status->setText(status.isOk() ? tr("Wrote %1").arg(path) : status.message());
            });
    exportCharts->setObjectName(QStringLiteral("saeTraining.export"));
    exportCharts->setToolTip(
            tr("The training curves as data (one row per step, CSV or HDF5), "
               "or the charts as figures"));
    auto *chartBar = new QHBoxLayout;
    chartBar->addStretch(1);
    chartBar->addWidget(exportCharts);
    grid->addLayout(chartBar, 0, 0, 1, 2);

    auto *splitter = new QSplitter(Qt::Horizontal, this);
    splitter->addWidget(scroll);
    splitter->addWidget(charts);
    splitter->setStretchFactor(1, 3);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(2, 2, 2, 2);
    layout->addWidget(splitter);

    m_askOverwrite = [this](const QString &directory, const QStringList &files) {
        return QMessageBox::question(
                       this, tr("Overwrite the run?"),
                       tr("%1 already holds a run (%2). Training a new SAE there replaces it.")
                               .arg(QDir::toNativeSeparators(directory),
                                    files.join(QStringLiteral(", "))),
                       QMessageBox::Yes | QMessageBox::Cancel,
                       QMessageBox::Cancel) == QMessageBox::Yes;
    };
    m_replot->setSingleShot(true);
    m_replot->setInterval(40);
    connect(m_replot, &QTimer::timeout, this, [this] {
        for (QCustomPlot *plot :
             {m_lossPlot, m_variancePlot, m_l0Plot, m_deadPlot, m_histogramPlot}) {
            plot->rescaleAxes();
            plot->replot(QCustomPlot::rpQueuedReplot);
        }
    });
    connect(m_start, &QPushButton::clicked, this, [this] {
        if (!m_runs->pausedCheckpoint().isEmpty() && !isTraining()) {
            resume();
        } else {
            start();
        }
    });
    connect(m_pause, &QPushButton::clicked, this, &SaeTrainingPanel::pause);
    connect(m_stop, &QPushButton::clicked, this, &SaeTrainingPanel::stop);
    connect(m_architecture, &QComboBox::currentTextChanged, this,
            &SaeTrainingPanel::architectureChanged);
    m_requests = new RequestTracker(m_engine, this);
    m_requests->onResult(Train, &EngineClient::saeTrainingProgress,
                         [this](const SaeTrainMetrics &progress) { onProgress(progress); });
    m_requests->onResult(Train, &EngineClient::saeTrainingEnded,
                         [this](const SaeTrainOutcome &outcome) { onEnded(outcome); });
    m_requests->onFinished(Train, [this](const Status &status) { onTrainingFinished(status); });
    m_requests->onResult(
            Cache, &EngineClient::activationsCached, [this](const ActivationCacheOutcome &outcome) {
                m_activations->setText(outcome.outPath);
                setStreaming(false);
                m_cacheStatus->setText(tr("Cached %1 activations of %2 documents in %3 s: %4")
                                               .arg(outcome.rows)
                                               .arg(outcome.documents)
                                               .arg(outcome.seconds, 0, 'f', 1)
                                               .arg(QDir::toNativeSeparators(outcome.outPath)));
            });
    m_requests->onProgress(Cache, [this](const JobProgress &progress) {
        m_cacheProgress->setValue(static_cast<int>(1000 * std::clamp(progress.fraction, 0.0, 1.0)));
        m_cacheStatus->setText(progress.message);
    });
    m_requests->onFinished(Cache, [this](const Status &status) { onCacheFinished(status); });
    m_requests->onResult(Evaluate, &EngineClient::saeEvaluated,
                         [this](const SaeEvalResult &result) { onEvaluated(result); });
    m_requests->onFinished(Evaluate, [this](const Status &status) {
        if (!status.isOk()) {
            m_evaluationStatus = status.code() == Status::Code::Cancelled
                                         ? tr("Evaluation cancelled.")
                                         : tr("Evaluation failed: %1").arg(status.message());
            showEvaluationCard();
        }
    });
    // Form edits are workspace state too.
    connect(m_dataSource, &QComboBox::currentTextChanged, this, &SaeTrainingPanel::stateChanged);
    connect(m_contextLength, qOverload<int>(&QSpinBox::valueChanged), this,
            &SaeTrainingPanel::stateChanged);
    for (QLineEdit *edit : {m_activations, m_corpus, m_outDirectory}) {
        connect(edit, &QLineEdit::textChanged, this, &SaeTrainingPanel::stateChanged);
    }
    for (QComboBox *box : {m_hook, m_architecture, m_device}) {
        connect(box, &QComboBox::currentTextChanged, this, &SaeTrainingPanel::stateChanged);
    }
    for (QSpinBox *box : {m_dSae, m_k, m_batch, m_seed}) {
        connect(box, qOverload<int>(&QSpinBox::valueChanged), this,
                &SaeTrainingPanel::stateChanged);
    }
    for (QDoubleSpinBox *box : {m_l1, m_l0Coefficient, m_millionTokens, m_learningRate}) {
        connect(box, qOverload<double>(&QDoubleSpinBox::valueChanged), this,
                &SaeTrainingPanel::stateChanged);
    }
    m_status->setText(introductionText());
    architectureChanged();
    dataSourceChanged();
    updateButtons();
    // The hook box offers the loaded model's hook points.
    if (m_session->hasModel()) {
        setHookNames(m_session->model().hookNames);
    }
    connect(m_session, &SessionState::modelChanged, this,
            [this](const ModelInfo &model) { setHookNames(model.hookNames); });
}

QCustomPlot *SaeTrainingPanel::makePlot(const QString &title, bool logY)
{
    auto *plot = new QCustomPlot(this);
    applyPlotStyle(plot);
    plot->addGraph();
    plot->graph(0)->setName(title);
    plot->graph(0)->setPen(QPen(QColor(203, 75, 22), 1.5));
    plot->xAxis->setLabel(tr("step"));
    plot->yAxis->setLabel(title);
    if (logY) {
        plot->yAxis->setScaleType(QCPAxis::stLogarithmic);
        plot->yAxis->setTicker(QSharedPointer<QCPAxisTickerLog>(new QCPAxisTickerLog));
    }
    plot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    plot->setMinimumSize(160, 110);
    return plot;
}

SaeTrainRequest SaeTrainingPanel::request() const
{
    SaeTrainRequest request;
    request.activationsPath = isStreaming() ? QString() : m_activations->text().trimmed();
    request.corpusPath = m_corpus->text().trimmed();
    request.contextLength = m_contextLength->value();
    request.bufferTokens = m_bufferTokens;
    request.normalisationTokens = m_normalisationTokens;
    request.sae.hookName = m_hook->currentText().trimmed();
    request.sae.architecture = currentChoice(m_architecture, SaeArchitecture::TopK);
    request.sae.dSae = m_dSae->value();
    request.sae.k = m_k->value();
    request.l1Coefficient = m_l1->value();
    request.l0Coefficient = m_l0Coefficient->value();
    request.batchSize = m_batch->value();
    request.totalTokens = static_cast<int64_t>(std::llround(m_millionTokens->value() * 1e6));
    request.learningRate = m_learningRate->value();
    request.device = m_device->currentText();
    request.seed = static_cast<quint64>(m_seed->value());
    request.outDirectory = m_outDirectory->text().trimmed();
    return request;
}

void SaeTrainingPanel::setRequest(const SaeTrainRequest &request)
{
    setStreaming(request.streams());
    m_activations->setText(request.activationsPath);
    m_corpus->setText(request.corpusPath);
    m_contextLength->setValue(request.contextLength);
    m_bufferTokens = request.bufferTokens;
    m_normalisationTokens = request.normalisationTokens;
    m_hook->setCurrentText(request.sae.hookName);
    selectChoice<SaeArchitecture>(m_architecture, nameOf(request.sae.architecture));
    m_dSae->setValue(static_cast<int>(request.sae.dSae));
    m_k->setValue(static_cast<int>(request.sae.k));
    m_l1->setValue(request.l1Coefficient);
    m_l0Coefficient->setValue(request.l0Coefficient);
    m_batch->setValue(static_cast<int>(request.batchSize));
    m_millionTokens->setValue(double(request.totalTokens) / 1e6);
    m_learningRate->setValue(request.learningRate);
    m_device->setCurrentText(request.device);
    m_seed->setValue(static_cast<int>(request.seed));
    m_outDirectory->setText(request.outDirectory);
}

void SaeTrainingPanel::setHookNames(const QStringList &hooks)
{
    QString current = m_hook->currentText();
    if (current.isEmpty()) {
        // The middle of the residual stream: where SAEs are usually trained first.
        int layers = 0;
        while (hooks.contains(QStringLiteral("blocks.%1.hook_resid_post").arg(layers))) {
            ++layers;
        }
        if (layers > 0) {
            current = QStringLiteral("blocks.%1.hook_resid_post").arg(layers / 2);
        }
    }
    m_hook->clear();
    m_hook->addItems(hooks);
    m_hook->setCurrentText(current);
}

void SaeTrainingPanel::setDefaultCorpus(const QString &path)
{
    if (m_corpus->text().isEmpty()) {
        // A default is not an edit: the workspace stays unmodified.
        const QSignalBlocker quiet(m_corpus);
        m_corpus->setText(path);
    }
}

void SaeTrainingPanel::setStreaming(bool streaming)
{
    m_dataSource->setCurrentIndex(streaming ? 1 : 0);
}

bool SaeTrainingPanel::isStreaming() const
{
    return m_dataSource->currentIndex() == 1;
}

void SaeTrainingPanel::dataSourceChanged()
{
    m_activations->setEnabled(!isStreaming());
}

void SaeTrainingPanel::createCache(const QString &outPath, bool overwrite)
{
    ActivationCacheRequest r;
    r.corpusPath = m_corpus->text().trimmed();
    r.hookName = m_hook->currentText().trimmed();
    r.contextLength = m_contextLength->value();
    r.tokens = static_cast<qint64>(std::llround(m_cacheMillionTokens->value() * 1e6));
    r.outPath = outPath;
    r.overwrite = overwrite;
    if (r.corpusPath.isEmpty() || r.hookName.isEmpty() || r.outPath.isEmpty()) {
        m_cacheStatus->setText(tr("Choose the corpus, the hook and the cache file first."));
        return;
    }
    m_cachePath = outPath;
    m_cacheProgress->setValue(0);
    m_cacheProgress->setVisible(true);
    m_cacheStatus->setText(tr("Starting …"));
    m_requests->start(Cache, m_engine->cacheActivations(r));
    updateButtons();
}

void SaeTrainingPanel::setCacheTokens(qint64 tokens)
{
    m_cacheMillionTokens->setValue(double(tokens) / 1e6);
}

void SaeTrainingPanel::cancelCache()
{
    m_requests->cancel(Cache);
    updateButtons();
}

bool SaeTrainingPanel::isCaching() const
{
    return m_requests->isRunning(Cache);
}

QString SaeTrainingPanel::cacheStatusText() const
{
    return m_cacheStatus->text();
}

void SaeTrainingPanel::onCacheFinished(const Status &status)
{
    m_cacheProgress->setVisible(false);
    if (status.code() == Status::Code::Cancelled) {
        m_cacheStatus->setText(tr("Cancelled: nothing was written to %1.")
                                       .arg(QDir::toNativeSeparators(m_cachePath)));
    } else if (!status.isOk()) {
        m_cacheStatus->setText(tr("Caching failed: %1").arg(status.message()));
    }
    updateButtons();
}

void SaeTrainingPanel::architectureChanged()
{
    const SaeArchitecture architecture = currentChoice(m_architecture, SaeArchitecture::TopK);
    m_k->setEnabled(architecture == SaeArchitecture::TopK ||
                    architecture == SaeArchitecture::BatchTopK);
    m_l1->setEnabled(architecture == SaeArchitecture::Relu);
    m_l0Coefficient->setEnabled(architecture == SaeArchitecture::JumpRelu);
}

void SaeTrainingPanel::start()
{
    const SaeTrainRequest r = request();
    if (isStreaming() ? r.corpusPath.isEmpty() : r.activationsPath.isEmpty()) {
        m_status->setText(isStreaming() ? tr("Choose the corpus the loaded model streams first.")
                                        : tr("Choose the activations file first (or stream from "
                                             "the loaded model)."));
        return;
    }
    if (r.outDirectory.isEmpty()) {
        m_status->setText(tr("Choose where to save the SAE first."));
        return;
    }
    const QStringList existing =
            QDir(r.outDirectory)
                    .entryList({QStringLiteral("cfg.json"), QStringLiteral("*.safetensors"),
                                QStringLiteral("train_log.jsonl"), QStringLiteral("checkpoints")},
                               QDir::Files | QDir::Dirs | QDir::NoDotAndDotDot);
    if (!existing.isEmpty() && !m_askOverwrite(r.outDirectory, existing)) {
        m_status->setText(tr("Not started: %1 keeps its run. Choose another folder, or Resume "
                             "from one of its checkpoints.")
                                  .arg(QDir::toNativeSeparators(r.outDirectory)));
        return;
    }
    m_runs->setPausedCheckpoint(QString());
    clearCharts();
    submit(r);
}

void SaeTrainingPanel::setOverwriteQuestion(
        std::function<bool(const QString &directory, const QStringList &files)> ask)
{
    m_askOverwrite = std::move(ask);
}

void SaeTrainingPanel::resume()
{
    if (m_runs->pausedCheckpoint().isEmpty()) {
        return;
    }
    SaeTrainRequest r = m_runs->lastSubmitted();
    r.resumeCheckpoint = m_runs->pausedCheckpoint();
    m_runs->setPausedCheckpoint(QString());
    submit(r);
}

void SaeTrainingPanel::submit(const SaeTrainRequest &request)
{
    if (isFollowing()) {
        // The charts are this panel's run's from now on.
        m_followTimer->stop();
        m_follower.reset();
        clearCharts();
    }
    m_runs->begin(request);
    refreshArtifacts();
    m_evaluationStatus.clear();
    m_evaluation->clear();
    m_requests->start(Train, m_engine->trainSae(request));
    m_status->setText(tr("Starting …"));
    updateButtons();
}

bool SaeTrainingPanel::isTraining() const
{
    return m_requests->isRunning(Train);
}

void SaeTrainingPanel::pause()
{
    if (m_requests->isRunning(Train)) {
        m_engine->pauseTraining(m_requests->current(Train));
    }
}

void SaeTrainingPanel::stop()
{
    m_requests->cancel(Train);
    m_runs->setPausedCheckpoint(QString());
    updateButtons();
}

int SaeTrainingPanel::chartPointCount() const
{
    return m_lossPlot->graph(0)->dataCount();
}

QString SaeTrainingPanel::statusText() const
{
    return m_status->text();
}

QString SaeTrainingPanel::evaluationText() const
{
    return m_evaluation->text();
}

void SaeTrainingPanel::onProgress(const SaeTrainMetrics &p)
{
    m_runs->addMetrics(p);
    plotProgress(p);
    m_status->setText(tr("Step %1 / %2 · %3 tokens/s · ETA %4")
                              .arg(p.step)
                              .arg(p.totalSteps)
                              .arg(p.tokensPerSecond, 0, 'f', 0)
                              .arg(formatEta(p.etaSeconds)));
    Q_EMIT stateChanged();
}

void SaeTrainingPanel::plotProgress(const SaeTrainMetrics &p)
{
    const double x = double(p.step);
    addPoint(m_lossPlot, 0, x, p.loss > 0 ? p.loss : NAN);
    addPoint(m_lossPlot, 1, x, p.normalizedMse > 0 ? p.normalizedMse : NAN);
    addPoint(m_variancePlot, 0, x, p.explainedVariance);
    addPoint(m_l0Plot, 0, x, p.l0);
    addPoint(m_deadPlot, 0, x, p.deadFraction);
    addPoint(m_deadPlot, 1, x, p.denseFraction);
    if (!p.densityHistogram.isEmpty()) {
        const int bins = static_cast<int>(p.densityHistogram.size());
        const double width = (p.histogramHigh - p.histogramLow) / bins;
        QVector<double> centres(bins);
        for (int i = 0; i < bins; ++i) {
            centres[i] = p.histogramLow + (i + 0.5) * width;
        }
        m_histogram->setWidth(width * 0.9);
        m_histogram->setData(centres, p.densityHistogram, true);
    }
    m_progress->setValue(p.totalSteps > 0 ? static_cast<int>(1000 * p.step / p.totalSteps) : 0);
    if (!m_replot->isActive()) {
        m_replot->start();
    }
}

void SaeTrainingPanel::onEnded(const SaeTrainOutcome &outcome)
{
    const SaeTrainMetrics &p = outcome.last;
    if (outcome.paused) {
        m_runs->setPausedCheckpoint(outcome.checkpoint);
        m_status->setText(tr("Paused at step %1; Resume continues from %2.")
                                  .arg(p.step)
                                  .arg(outcome.checkpoint));
        refreshArtifacts();
        Q_EMIT stateChanged();
        return;
    }
    m_runs->setOutcome(outcome);
    showEvaluationCard();
    refreshArtifacts();
    Q_EMIT stateChanged();
    evaluate(outcome.outDirectory);
}

void SaeTrainingPanel::showEvaluationCard()
{
    QString html;
    if (const std::optional<SaeTrainOutcome> &outcome = m_runs->outcome()) {
        const SaeTrainMetrics &p = outcome->last;
        html = tr("<b>Training</b> (last report, training batches)<br>"
                  "explained variance %1 · L0 %2 · dead %3% · dense %4%<br>saved to %5")
                       .arg(p.explainedVariance, 0, 'f', 3)
                       .arg(p.l0, 0, 'f', 1)
                       .arg(100 * p.deadFraction, 0, 'f', 1)
                       .arg(100 * p.denseFraction, 0, 'f', 1)
                       .arg(outcome->outDirectory.toHtmlEscaped());
    }
    if (const std::optional<SaeEvalResult> &evaluation = m_runs->evaluation()) {
        const SaeEvalResult &e = *evaluation;
        if (!html.isEmpty()) {
            html += QStringLiteral("<br>");
        }
        html += tr("<b>Evaluation</b> on held-out text (%1 activations, %2 predicted tokens)"
                   "<br>explained variance <b>%3</b> · L0 <b>%4</b> · dead <b>%5%</b> · dense "
                   "%6%<br>CE-loss recovered <b>%7</b> (CE %8 → %9 with the SAE, %10 "
                   "zero-ablated; KL %11)<br>%12")
                        .arg(e.tokens)
                        .arg(e.ceTokens)
                        .arg(e.explainedVariance, 0, 'f', 3)
                        .arg(e.l0, 0, 'f', 1)
                        .arg(100 * e.deadFraction, 0, 'f', 1)
                        .arg(100 * e.denseFraction, 0, 'f', 1)
                        .arg(e.ceLossRecovered, 0, 'f', 3)
                        .arg(e.ceOriginal, 0, 'f', 3)
                        .arg(e.ceSae, 0, 'f', 3)
                        .arg(e.ceZero, 0, 'f', 3)
                        .arg(e.klSae, 0, 'f', 3)
                        .arg(e.saePath.toHtmlEscaped());
    } else if (!m_evaluationStatus.isEmpty()) {
        html += (html.isEmpty() ? QString() : QStringLiteral("<br>")) +
                m_evaluationStatus.toHtmlEscaped();
    }
    m_evaluation->setText(html);
}

void SaeTrainingPanel::setEvaluationText(const QString &path)
{
    m_evaluationText = path;
}

void SaeTrainingPanel::evaluate(const QString &saeDirectory)
{
    if (saeDirectory.isEmpty()) {
        return;
    }
    if (m_evaluationText.isEmpty()) {
        m_evaluationStatus =
                tr("No held-out text to evaluate on (datasets/corpus/heldout.txt "
                   "was not found).");
        showEvaluationCard();
        return;
    }
    SaeEvalRequest request;
    request.saePath = saeDirectory;
    request.textPath = m_evaluationText;
    request.device = m_device->currentText();
    m_runs->clearEvaluation();
    m_evaluationStatus = tr("Evaluating %1 on held-out text …").arg(saeDirectory);
    showEvaluationCard();
    m_requests->start(Evaluate, m_engine->evaluateSae(request));  // cancels an older one
}

void SaeTrainingPanel::onEvaluated(const SaeEvalResult &result)
{
    m_runs->setEvaluation(result);
    m_evaluationStatus.clear();
    showEvaluationCard();
    Q_EMIT stateChanged();
}

void SaeTrainingPanel::refreshArtifacts()
{
    const QString previous = m_artifactList->currentItem()
                                     ? m_artifactList->currentItem()->data(Qt::UserRole).toString()
                                     : QString();
    QStringList runs = m_runs->directories();
    const QString formRun = m_outDirectory->text().trimmed();
    if (!formRun.isEmpty() && !runs.contains(formRun)) {
        runs.append(formRun);
    }
    // Newest run first.
    std::reverse(runs.begin(), runs.end());
    m_artifactEntries = findSaeRunArtifacts(runs);
    m_artifactList->clear();
    for (const SaeRunArtifact &artifact : m_artifactEntries) {
        auto *item = new QListWidgetItem(describeSaeRunArtifact(artifact), m_artifactList);
        item->setData(Qt::UserRole, artifact.path);
        item->setData(Qt::UserRole + 1, static_cast<int>(artifact.kind));
        item->setToolTip(QStringLiteral("%1\n%2").arg(
                artifact.path, artifact.modified.toString(QStringLiteral("yyyy-MM-dd "
                                                                         "HH:mm:ss"))));
        if (artifact.path == previous) {
            m_artifactList->setCurrentItem(item);
        }
    }
    if (!m_artifactList->currentItem() && m_artifactList->count() > 0) {
        m_artifactList->setCurrentRow(0);
    }
    updateButtons();
}

QString SaeTrainingPanel::selectedArtifactPath(SaeRunArtifact::Kind kind) const
{
    const QListWidgetItem *item = m_artifactList->currentItem();
    if (!item || item->data(Qt::UserRole + 1).toInt() != static_cast<int>(kind)) {
        return QString();
    }
    return item->data(Qt::UserRole).toString();
}

void SaeTrainingPanel::resumeFrom(const QString &checkpoint)
{
    if (checkpoint.isEmpty() || isTraining()) {
        return;
    }
    QString run = checkpoint;
    if (run.endsWith(QLatin1String(".checkpoint"))) {
        run.chop(static_cast<int>(qstrlen(".checkpoint")));
    }
    // The run's own settings when known; the trainer takes its configuration from the
    // checkpoint anyway, the request supplies the activations and where to export.
    SaeTrainRequest r = m_runs->requestOf(run).value_or(request());
    if (r.activationsPath.isEmpty()) {
        r.activationsPath = request().activationsPath;
    }
    r.outDirectory = run;
    r.resumeCheckpoint = checkpoint;
    m_runs->setPausedCheckpoint(QString());
    m_status->setText(tr("Resuming from %1 …").arg(checkpoint));
    submit(r);
}

void SaeTrainingPanel::loadSae(const QString &saeDirectory)
{
    if (saeDirectory.isEmpty()) {
        return;
    }
    SaeSpec spec;
    spec.path = saeDirectory;
    const QString device = m_engine->currentModel().device;
    if (!device.isEmpty()) {
        spec.device = device;
    }
    m_engine->loadSae(spec);
    m_status->setText(tr("Loading %1 into the engine …").arg(saeDirectory));
}

void SaeTrainingPanel::onTrainingFinished(const Status &status)
{
    if (status.isOk()) {
        m_progress->setValue(1000);
        m_status->setText(tr("Done."));
    } else if (status.code() == Status::Code::Cancelled) {
        if (m_runs->pausedCheckpoint().isEmpty()) {
            m_status->setText(tr("Stopped."));
        }
    } else {
        m_status->setText(tr("Training failed: %1").arg(status.message()));
    }
    updateButtons();
    Q_EMIT stateChanged();
}

void SaeTrainingPanel::followRun(const QString &runDirectory)
{
    if (isTraining()) {
        m_status->setText(tr("Stop or pause the training before following another run."));
        return;
    }
    m_follower = std::make_unique<SaeRunFollower>(runDirectory);
    clearCharts();
    m_status->setText(
            tr("Following %1: waiting for %2 …").arg(runDirectory, m_follower->logPath()));
    m_followTimer->start();
    pollFollowedRun();
}

void SaeTrainingPanel::stopFollowing()
{
    m_followTimer->stop();
    m_follower.reset();
    m_status->setText(tr("Stopped following."));
    updateButtons();
}

void SaeTrainingPanel::pollFollowedRun()
{
    if (!m_follower) {
        return;
    }
    const SaeRunFollower::Update update = m_follower->poll();
    if (update.restarted) {
        clearCharts();
    }
    for (const SaeTrainMetrics &p : update.lines) {
        m_runs->addMetrics(p);
        plotProgress(p);
    }
    if (!update.lines.isEmpty() || !update.problem.isEmpty()) {
        const QVector<SaeTrainMetrics> &history = m_runs->history();
        QString text =
                tr("Following %1 · step %2 / %3 · %4 tokens/s · ETA %5")
                        .arg(QDir::toNativeSeparators(m_follower->runDirectory()))
                        .arg(history.isEmpty() ? 0 : history.last().step)
                        .arg(history.isEmpty() ? 0 : history.last().totalSteps)
                        .arg(history.isEmpty() ? 0.0 : history.last().tokensPerSecond, 0, 'f', 0)
                        .arg(formatEta(history.isEmpty() ? 0 : history.last().etaSeconds));
        if (!update.problem.isEmpty()) {
            text += QStringLiteral("\n") + update.problem;
        }
        m_status->setText(text);
        Q_EMIT stateChanged();
    }
    updateButtons();
}

void SaeTrainingPanel::clearCharts()
{
    for (QCustomPlot *plot : {m_lossPlot, m_variancePlot, m_l0Plot, m_deadPlot}) {
        for (int i = 0; i < plot->graphCount(); ++i) {
            plot->graph(i)->data()->clear();
        }
    }
    m_histogram->data()->clear();
    m_runs->clearHistory();
    m_replot->start();
}

void SaeTrainingPanel::updateButtons()
{
    const bool training = isTraining();
    m_start->setEnabled(!training);
    const bool paused = !m_runs->pausedCheckpoint().isEmpty();
    m_start->setText(paused && !training ? tr("Resume") : tr("Start"));
    m_pause->setEnabled(training);
    m_stop->setEnabled(training || paused);
    const QListWidgetItem *item = m_artifactList->currentItem();
    const int kind = item ? item->data(Qt::UserRole + 1).toInt() : -1;
    m_resumeArtifact->setEnabled(!training &&
                                 kind == static_cast<int>(SaeRunArtifact::Kind::Checkpoint));
    m_loadArtifact->setEnabled(
            isFollowing() ? !m_follower->latestExport().isEmpty()
                          : kind == static_cast<int>(SaeRunArtifact::Kind::ExportedSae));
    m_follow->setEnabled(!training);
    m_follow->setText(isFollowing() ? tr("Stop following") : tr("Follow run…"));
    m_evaluateArtifact->setEnabled(kind == static_cast<int>(SaeRunArtifact::Kind::ExportedSae));
    m_createCache->setText(isCaching() ? tr("Cancel caching") : tr("Create activation cache…"));
}

QJsonObject SaeTrainingPanel::workspaceState() const
{
    QJsonObject state = m_runs->toJson();
    state[QStringLiteral("version")] = 1;
    state[QStringLiteral("form")] = saeTrainRequestToJson(request());
    return state;
}

Status SaeTrainingPanel::restoreWorkspaceState(const QJsonObject &state)
{
    if (isTraining()) {
        return Status::invalidInput(
                tr("an SAE training is running: pause or stop it before opening a workspace"));
    }
    resetState();
    setRequest(saeTrainRequestFromJson(state.value(QStringLiteral("form")).toObject()));
    m_runs->restore(state);
    for (const SaeTrainMetrics &p : m_runs->history()) {
        plotProgress(p);
    }
    showEvaluationCard();
    if (!m_runs->history().isEmpty()) {
        const SaeTrainMetrics &last = m_runs->history().constLast();
        const QString &checkpoint = m_runs->pausedCheckpoint();
        m_status->setText(
                checkpoint.isEmpty()
                        ? tr("Restored a run of %1 steps from the workspace.").arg(last.step)
                        : tr("Paused at step %1; Resume continues from %2.")
                                  .arg(last.step)
                                  .arg(checkpoint));
    }
    refreshArtifacts();
    return Status::ok();
}

void SaeTrainingPanel::resetState()
{
    m_requests->start(Train, 0);  // cancels and forgets a running training
    clearCharts();
    m_progress->setValue(0);
    m_runs->clear();
    m_evaluationStatus.clear();
    m_evaluation->clear();
    m_status->setText(introductionText());
    refreshArtifacts();
    updateButtons();
}

}  // namespace gyrus::widgets
