#include "widgets/panels/concept_sweep_tab.h"

#include "core/engine/request_tracker.h"
#include "core/features/token_display.h"
#include "core/session/session_state.h"
#include "widgets/common/combo_choices.h"
#include "widgets/common/eliding_style.h"
#include "widgets/common/export_button.h"
#include "widgets/common/flow_layout.h"
#include "widgets/common/plot_style.h"
#include "widgets/common/status_line.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QToolButton>
#include <QVBoxLayout>
#include <qcustomplot.h>

#include <algorithm>
#include <cmath>

namespace gyrus::widgets {

namespace {

enum Slot
{
    SweepSlot,
};

}  // namespace

ConceptSweepTab::ConceptSweepTab(EngineClient *engine, SessionState *session, QWidget *parent)
    : QWidget(parent)
    , m_engine(engine)
    , m_session(sessionOrFollowing(session, engine, this))
    , m_sideA(new ElidingComboBox(this))
    , m_sideB(new ElidingComboBox(this))
    , m_features(new QSpinBox(this))
    , m_from(new QDoubleSpinBox(this))
    , m_to(new QDoubleSpinBox(this))
    , m_steps(new QSpinBox(this))
    , m_target(new QLineEdit(this))
    , m_runButton(new QPushButton(tr("Compare"), this))
    , m_progress(new QProgressBar(this))
    , m_plot(new QCustomPlot(this))
    , m_summary(new QLabel(this))
{
    m_sideA->setToolTip(
            tr("Side A of the open prompt set's contrast (condition or "
               "factor=level)"));
    m_sideB->setToolTip(tr("Side B"));
    m_features->setRange(1, 4096);
    m_features->setValue(8);
    m_features->setPrefix(tr("k "));
    m_features->setToolTip(
            tr("The contrast features steered with: the k whose mean activation "
               "differs most between A and B, each added along its decoder row "
               "by α times that difference"));
    for (QDoubleSpinBox *spin : {m_from, m_to}) {
        spin->setRange(-1000.0, 1000.0);
        spin->setDecimals(2);
    }
    m_from->setValue(0.0);
    m_to->setValue(8.0);
    m_steps->setRange(2, 100);
    m_steps->setValue(9);
    m_target->setPlaceholderText(tr("baseline's top token"));
    m_target->setMinimumWidth(m_target->fontMetrics().horizontalAdvance(QStringLiteral("M")) * 8);
    m_target->setToolTip(tr("The token whose log-probability is tracked (its first token)"));
    m_runButton->setToolTip(
            tr("For each α, steer by the concept vector and by the k features "
               "and read the next token after the prompt"));
    connect(m_runButton, &QPushButton::clicked, this, &ConceptSweepTab::run);
    m_progress->setRange(0, 100);
    m_progress->setMaximumWidth(90);
    m_progress->hide();  // shown while a sweep runs; a full bar afterwards looks like a button
    m_summary->setWordWrap(true);
    m_summary->setForegroundRole(QPalette::PlaceholderText);
    m_summary->setText(
            tr("Steer by the concept vector (solid) or by its top contrast "
               "features (dashed) over α; log p on the left, KL on the right."));

    applyPlotStyle(m_plot);
    m_plot->yAxis2->setVisible(true);
    m_plot->yAxis2->grid()->setVisible(false);
    const QColor conceptColour(38, 139, 210);
    const QColor featuresColour(203, 75, 22);
    const auto addGraph = [this](QCPAxis *axis, const QColor &colour, Qt::PenStyle style,
                                 const QString &name) {
        QCPGraph *graph = m_plot->addGraph(m_plot->xAxis, axis);
        graph->setPen(QPen(colour, 2, style));
        graph->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, 5));
        graph->setName(name);
        return graph;
    };
    m_conceptLog = addGraph(m_plot->yAxis, conceptColour, Qt::SolidLine, tr("log p · vector"));
    m_featuresLog = addGraph(m_plot->yAxis, featuresColour, Qt::SolidLine, tr("log p · features"));
    m_conceptKl = addGraph(m_plot->yAxis2, conceptColour, Qt::DashLine, tr("KL · vector"));
    m_featuresKl = addGraph(m_plot->yAxis2, featuresColour, Qt::DashLine, tr("KL · features"));
    m_plot->xAxis->setLabel(tr("strength α"));
    m_plot->yAxis->setLabel(tr("log p(token)"));
    m_plot->yAxis2->setLabel(tr("KL (nats)"));
    placeLegendAbove(m_plot, 4);
    m_plot->legend->setVisible(true);
    m_plot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    m_plot->setMinimumHeight(140);

    // Groups that reflow into more lines when the dock is narrow.
    auto *controls = new FlowLayout(nullptr, 8, 3);
    controls->addGroup({new QLabel(tr("Concept"), this), m_sideA});
    controls->addGroup({new QLabel(tr("−"), this), m_sideB});
    controls->addGroup({m_features});
    controls->addGroup({new QLabel(tr("α from"), this), m_from});
    controls->addGroup({new QLabel(tr("to"), this), m_to});
    controls->addGroup({new QLabel(tr("steps"), this), m_steps});
    controls->addGroup({new QLabel(tr("token"), this), m_target});
    QToolButton *exportButton = makeExportButton(
            this, {plotExportChoices(m_plot, QSize(720, 420), tr("Plot"))},
            [] { return QStringLiteral("concept-vs-features"); },
            [this](const Status &status, const QString &path) {
                setStatus(status.isOk() ? tr("Wrote %1").arg(path) : status.message(),
                          !status.isOk());
            });
    controls->addGroup({m_runButton, m_progress, exportButton});
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(2, 2, 2, 2);
    layout->setSpacing(2);
    layout->addLayout(controls);
    // Above the chart: the cosine and the sides' sizes stay in view when the dock scrolls.
    layout->addWidget(m_summary);
    layout->addWidget(m_plot, 1);

    if (m_engine) {
        m_requests = new RequestTracker(m_engine, this);
        m_requests->onResult(SweepSlot, &EngineClient::conceptSweepReady,
                             [this](const ConceptSweepResult &result) { showResult(result); });
        m_requests->onProgress(SweepSlot, [this](const JobProgress &progress) {
            if (progress.fraction >= 0) {
                m_progress->setValue(int(std::lround(progress.fraction * 100)));
            }
            setStatus(progress.message);
        });
        m_requests->onFinished(SweepSlot, [this](const Status &status) {
            if (status.code() == Status::Code::Cancelled) {
                setStatus(tr("Sweep cancelled."));
            } else if (!status.isOk()) {
                setStatus(status.message(), true);
            }
            m_progress->hide();
            m_runButton->setEnabled(true);
        });
    }
    offerSides(m_session->promptSet());
    connect(m_session, &SessionState::promptSetChanged, this, &ConceptSweepTab::offerSides);
}

void ConceptSweepTab::offerSides(const PromptSet &set)
{
    const QStringList sides = contrastSides(set);
    offerContrastSides(m_sideA, m_sideB, sides);
}

void ConceptSweepTab::setPromptSource(std::function<QString()> prompt)
{
    m_prompt = std::move(prompt);
}

void ConceptSweepTab::setGrid(double from, double to, int steps)
{
    m_from->setValue(from);
    m_to->setValue(to);
    m_steps->setValue(steps);
}

void ConceptSweepTab::setSides(const QString &sideA, const QString &sideB)
{
    m_sideA->setCurrentText(sideA);
    m_sideB->setCurrentText(sideB);
}

Result<ConceptSweepRequest> ConceptSweepTab::request() const
{
    if (m_session->promptSet().items.isEmpty() || m_sideA->currentText().isEmpty()) {
        return Status::invalidInput(tr("open a prompt set with two conditions for the concept"));
    }
    if (m_sideA->currentText() == m_sideB->currentText()) {
        return Status::invalidInput(tr("sides A and B are the same"));
    }
    ConceptSweepRequest request;
    request.prompt = m_prompt ? m_prompt() : QString();
    if (request.prompt.trimmed().isEmpty()) {
        return Status::invalidInput(tr("type a prompt in the Steering dock"));
    }
    request.concept.set = m_session->promptSet();
    request.concept.sideA = m_sideA->currentText();
    request.concept.sideB = m_sideB->currentText();
    request.concept.pooling = Pooling::LastToken;
    request.topFeatures = m_features->value();
    request.targetToken = m_target->text();
    const int steps = m_steps->value();
    for (int i = 0; i < steps; ++i) {
        request.alphas.append(m_from->value() +
                              (m_to->value() - m_from->value()) * i / (steps - 1));
    }
    return request;
}

void ConceptSweepTab::run()
{
    if (!m_requests) {
        return;
    }
    Result<ConceptSweepRequest> built = request();
    if (!built) {
        setStatus(built.status().message(), true);
        return;
    }
    m_progress->setValue(0);
    m_progress->show();
    m_runButton->setEnabled(false);
    setStatus(tr("Computing the concept vector …"));
    m_requests->start(SweepSlot, m_engine->sweepConceptSteering(built.value()));
}

void ConceptSweepTab::cancel()
{
    if (m_requests) {
        m_requests->cancel(SweepSlot);
    }
}

bool ConceptSweepTab::isRunning() const
{
    return m_requests && m_requests->isRunning(SweepSlot);
}

void ConceptSweepTab::showResult(const ConceptSweepResult &result)
{
    m_result = result;
    for (QCPGraph *graph : {m_conceptLog, m_featuresLog, m_conceptKl, m_featuresKl}) {
        graph->data()->clear();
    }
    for (const ConceptSweepPoint &point : result.points) {
        m_conceptLog->addData(point.alpha, point.conceptLogProbability);
        m_featuresLog->addData(point.alpha, point.featuresLogProbability);
        m_conceptKl->addData(point.alpha, point.conceptKl);
        m_featuresKl->addData(point.alpha, point.featuresKl);
    }
    const QString token = visibleToken(result.targetPiece);
    m_plot->yAxis->setLabel(tr("log p(\"%1\")").arg(token));
    m_plot->rescaleAxes();
    m_plot->xAxis->scaleRange(1.06);
    m_plot->yAxis->scaleRange(1.1);
    m_plot->yAxis2->setRangeLower(0.0);
    m_plot->yAxis2->setRangeUpper(std::max(1e-3, m_plot->yAxis2->range().upper * 1.1));
    m_plot->replot();
    QStringList features;
    for (const ConceptSweepFeature &feature : result.features) {
        features << QStringLiteral("#%1 (%2%3)")
                            .arg(feature.feature)
                            .arg(feature.difference >= 0 ? QStringLiteral("+") : QString())
                            .arg(feature.difference, 0, 'g', 3);
    }
    setStatus(tr("%1 − %2 at %3 (%4 vs %5 items): |v| = %6; the %7 features' vector has norm "
                 "%8 and cosine %9 with it. Features: %10. Baseline log p(\"%11\") = %12.")
                      .arg(result.sideA, result.sideB, result.hook)
                      .arg(result.itemsA)
                      .arg(result.itemsB)
                      .arg(result.conceptNorm, 0, 'g', 4)
                      .arg(result.features.size())
                      .arg(result.featuresNorm, 0, 'g', 4)
                      .arg(result.cosine, 0, 'f', 3)
                      .arg(features.join(QStringLiteral(", ")), token)
                      .arg(result.baselineLogProbability, 0, 'f', 3));
    Q_EMIT sweepShown();
}

QString ConceptSweepTab::summaryText() const
{
    return m_summary->text();
}

QJsonObject ConceptSweepTab::state() const
{
    return QJsonObject{{QStringLiteral("a"), m_sideA->currentText()},
                       {QStringLiteral("b"), m_sideB->currentText()},
                       {QStringLiteral("k"), m_features->value()},
                       {QStringLiteral("from"), m_from->value()},
                       {QStringLiteral("to"), m_to->value()},
                       {QStringLiteral("steps"), m_steps->value()},
                       {QStringLiteral("target"), m_target->text()}};
}

void ConceptSweepTab::restoreState(const QJsonObject &state)
{
    for (const auto &[combo, key] :
         {std::pair{m_sideA, QStringLiteral("a")}, std::pair{m_sideB, QStringLiteral("b")}}) {
        const int index = combo->findText(state.value(key).toString());
        if (index >= 0) {
            combo->setCurrentIndex(index);
        }
    }
    m_features->setValue(state.value(QStringLiteral("k")).toInt(m_features->value()));
    m_from->setValue(state.value(QStringLiteral("from")).toDouble(m_from->value()));
    m_to->setValue(state.value(QStringLiteral("to")).toDouble(m_to->value()));
    m_steps->setValue(state.value(QStringLiteral("steps")).toInt(m_steps->value()));
    m_target->setText(state.value(QStringLiteral("target")).toString());
}

void ConceptSweepTab::setStatus(const QString &text, bool error)
{
    showStatusLine(m_summary, text, error);
}

}  // namespace gyrus::widgets
