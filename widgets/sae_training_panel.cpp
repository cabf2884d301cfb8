#include "widgets/sae_training_panel.h"

#include "widgets/plot_style.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollArea>
#include <QSpinBox>
#include <QSplitter>
#include <QTimer>
#include <QVBoxLayout>
#include <qcustomplot.h>

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

void addPoint(QCustomPlot *plot, int graph, double x, double y)
{
    if (std::isfinite(y)) {
        plot->graph(graph)->addData(x, y);
    }
}

}  // namespace

SaeTrainingPanel::SaeTrainingPanel(EngineClient *engine, QWidget *parent)
    : QWidget(parent)
    , m_engine(engine)
    , m_activations(new QLineEdit(this))
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
    , m_replot(new QTimer(this))
{
    m_activations->setPlaceholderText(tr("activations.h5 (gyrus-cli cache)"));
    m_activations->setToolTip(
            tr("HDF5 file with /activations [tokens, d_model] cached at one hook point."));
    auto *browse = new QPushButton(tr("…"), this);
    browse->setMaximumWidth(28);
    connect(browse, &QPushButton::clicked, this, [this] {
        const QString path = QFileDialog::getOpenFileName(
                this, tr("Activations"), m_activations->text(), tr("HDF5 (*.h5 *.hdf5)"));
        if (!path.isEmpty()) {
            m_activations->setText(path);
        }
    });
    auto *activationsRow = new QHBoxLayout;
    activationsRow->addWidget(m_activations, 1);
    activationsRow->addWidget(browse);
    m_hook->setEditable(true);
    m_hook->setToolTip(tr("The hook point the activations come from; recorded in cfg.json."));
    m_architecture->addItems({QStringLiteral("topk"), QStringLiteral("batchtopk"),
                              QStringLiteral("relu"), QStringLiteral("jumprelu")});
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
    m_l0Coefficient->setRange(0.0, 10.0);
    m_l0Coefficient->setDecimals(4);
    m_l0Coefficient->setValue(0.01);
    m_l0Coefficient->setToolTip(tr("JumpReLU: λ of the L0 penalty."));
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
    form->addRow(tr("Activations"), activationsRow);
    form->addRow(tr("Hook"), m_hook);
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
    formLayout->addStretch(1);
    auto *scroll = new QScrollArea(this);
    scroll->setWidget(formWidget);
    scroll->setWidgetResizable(true);

    m_lossPlot = makePlot(tr("loss"), true);
    m_lossPlot->addGraph();
    m_lossPlot->graph(1)->setName(tr("normalised MSE"));
    m_lossPlot->graph(1)->setPen(QPen(QColor(38, 139, 210), 1.5));
    m_lossPlot->legend->setVisible(true);
    m_variancePlot = makePlot(tr("expl. variance"), false);
    m_l0Plot = makePlot(tr("L0"), false);
    m_l0Plot->graph(0)->setName(tr("active latents per token"));
    m_deadPlot = makePlot(tr("fraction"), false);
    m_deadPlot->graph(0)->setName(tr("dead"));
    m_deadPlot->addGraph();
    m_deadPlot->graph(1)->setName(tr("dense (>10% of tokens)"));
    m_deadPlot->graph(1)->setPen(QPen(QColor(211, 54, 130), 1.5));
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
    grid->addWidget(m_lossPlot, 0, 0);
    grid->addWidget(m_variancePlot, 0, 1);
    grid->addWidget(m_l0Plot, 1, 0);
    grid->addWidget(m_deadPlot, 1, 1);
    grid->addWidget(m_histogramPlot, 2, 0, 1, 2);

    auto *splitter = new QSplitter(Qt::Horizontal, this);
    splitter->addWidget(scroll);
    splitter->addWidget(charts);
    splitter->setStretchFactor(1, 3);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(2, 2, 2, 2);
    layout->addWidget(splitter);

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
        if (!m_checkpoint.isEmpty() && !isTraining()) {
            resume();
        } else {
            start();
        }
    });
    connect(m_pause, &QPushButton::clicked, this, &SaeTrainingPanel::pause);
    connect(m_stop, &QPushButton::clicked, this, &SaeTrainingPanel::stop);
    connect(m_architecture, &QComboBox::currentTextChanged, this,
            &SaeTrainingPanel::architectureChanged);
    connect(m_engine, &EngineClient::saeTrainingProgress, this, &SaeTrainingPanel::onProgress);
    connect(m_engine, &EngineClient::saeTrainingEnded, this, &SaeTrainingPanel::onEnded);
    connect(m_engine, &EngineClient::finished, this, &SaeTrainingPanel::onFinished);
    m_status->setText(
            tr("Cache activations at a hook (gyrus-cli cache), choose them here, then Start."));
    architectureChanged();
    updateButtons();
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
    request.activationsPath = m_activations->text().trimmed();
    request.hookName = m_hook->currentText().trimmed();
    request.architecture = m_architecture->currentText();
    request.dSae = m_dSae->value();
    request.k = m_k->value();
    request.l1Coefficient = m_l1->value();
    request.l0Coefficient = m_l0Coefficient->value();
    request.batchSize = m_batch->value();
    request.tokens = static_cast<qint64>(std::llround(m_millionTokens->value() * 1e6));
    request.learningRate = m_learningRate->value();
    request.device = m_device->currentText();
    request.seed = static_cast<quint64>(m_seed->value());
    request.outDirectory = m_outDirectory->text().trimmed();
    return request;
}

void SaeTrainingPanel::setRequest(const SaeTrainRequest &request)
{
    m_activations->setText(request.activationsPath);
    m_hook->setCurrentText(request.hookName);
    m_architecture->setCurrentText(request.architecture);
    m_dSae->setValue(request.dSae);
    m_k->setValue(request.k);
    m_l1->setValue(request.l1Coefficient);
    m_l0Coefficient->setValue(request.l0Coefficient);
    m_batch->setValue(request.batchSize);
    m_millionTokens->setValue(double(request.tokens) / 1e6);
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

void SaeTrainingPanel::architectureChanged()
{
    const QString arch = m_architecture->currentText();
    const bool usesK = arch == QLatin1String("topk") || arch == QLatin1String("batchtopk");
    m_k->setEnabled(usesK);
    m_l1->setEnabled(arch == QLatin1String("relu"));
    m_l0Coefficient->setEnabled(arch == QLatin1String("jumprelu"));
}

void SaeTrainingPanel::start()
{
    const SaeTrainRequest r = request();
    if (r.activationsPath.isEmpty() || r.outDirectory.isEmpty()) {
        m_status->setText(tr("Choose the activations file and where to save the SAE first."));
        return;
    }
    m_checkpoint.clear();
    clearCharts();
    submit(r);
}

void SaeTrainingPanel::resume()
{
    if (m_checkpoint.isEmpty()) {
        return;
    }
    SaeTrainRequest r = m_lastSubmitted;
    r.resumeCheckpoint = m_checkpoint;
    m_checkpoint.clear();
    submit(r);
}

void SaeTrainingPanel::submit(const SaeTrainRequest &request)
{
    m_lastSubmitted = request;
    m_evaluation->clear();
    m_request = m_engine->trainSae(request);
    m_status->setText(tr("Starting …"));
    updateButtons();
}

void SaeTrainingPanel::pause()
{
    if (m_request != 0) {
        m_engine->pauseTraining(m_request);
    }
}

void SaeTrainingPanel::stop()
{
    if (m_request != 0) {
        m_engine->cancel(m_request);
    }
    m_checkpoint.clear();
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

void SaeTrainingPanel::onProgress(RequestId id, const SaeTrainProgress &p)
{
    if (id != m_request) {
        return;
    }
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
    m_status->setText(tr("Step %1 / %2 · %3 tokens/s · ETA %4")
                              .arg(p.step)
                              .arg(p.totalSteps)
                              .arg(p.tokensPerSecond, 0, 'f', 0)
                              .arg(formatEta(p.etaSeconds)));
    if (!m_replot->isActive()) {
        m_replot->start();
    }
}

void SaeTrainingPanel::onEnded(RequestId id, const SaeTrainOutcome &outcome)
{
    if (id != m_request) {
        return;
    }
    const SaeTrainProgress &p = outcome.last;
    if (outcome.paused) {
        m_checkpoint = outcome.checkpoint;
        m_status->setText(tr("Paused at step %1; Resume continues from %2.")
                                  .arg(p.step)
                                  .arg(outcome.checkpoint));
        return;
    }
    m_evaluation->setText(tr("<b>Evaluation</b> (training batches, last report)<br>"
                             "explained variance %1 · L0 %2 · dead %3% · dense %4%<br>saved to %5")
                                  .arg(p.explainedVariance, 0, 'f', 3)
                                  .arg(p.l0, 0, 'f', 1)
                                  .arg(100 * p.deadFraction, 0, 'f', 1)
                                  .arg(100 * p.denseFraction, 0, 'f', 1)
                                  .arg(outcome.outDirectory.toHtmlEscaped()));
}

void SaeTrainingPanel::onFinished(RequestId id, const Status &status)
{
    if (id != m_request) {
        return;
    }
    m_request = 0;
    if (status.isOk()) {
        m_progress->setValue(1000);
        m_status->setText(tr("Done."));
    } else if (status.code() == Status::Code::Cancelled) {
        if (m_checkpoint.isEmpty()) {
            m_status->setText(tr("Stopped."));
        }
    } else {
        m_status->setText(tr("Training failed: %1").arg(status.message()));
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
    m_replot->start();
}

void SaeTrainingPanel::updateButtons()
{
    const bool training = isTraining();
    m_start->setEnabled(!training);
    m_start->setText(!m_checkpoint.isEmpty() && !training ? tr("Resume") : tr("Start"));
    m_pause->setEnabled(training);
    m_stop->setEnabled(training || !m_checkpoint.isEmpty());
}

}  // namespace gyrus::widgets
