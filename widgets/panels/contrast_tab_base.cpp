#include "widgets/panels/contrast_tab_base.h"

#include "core/contrasts/feature_stats_model.h"
#include "core/engine/engine_client.h"
#include "core/engine/request_tracker.h"
#include "core/session/selection_hub.h"
#include "core/session/session_state.h"
#include "widgets/common/export_button.h"
#include "widgets/common/icons.h"
#include "widgets/views/contrast_settings_form.h"
#include "widgets/views/feature_scatter_plot.h"

#include <QLabel>
#include <QPushButton>
#include <QStackedWidget>
#include <QToolButton>
#include <QVBoxLayout>

namespace gyrus::widgets {

ContrastTabBase::ContrastTabBase(EngineClient *engine, SelectionHub *hub, SessionState *session,
                                 ContrastSettingsForm *form, const QString &name, bool twoGroup,
                                 Texts texts, QWidget *parent)
    : QWidget(parent)
    , m_engine(engine)
    , m_hub(hub)
    , m_form(form)
    , m_requests(new RequestTracker(engine, this))
    , m_run(new QPushButton(texts.run, this))
    , m_status(new QLabel(this))
    , m_stack(new QStackedWidget(this))
    , m_freshness(session, form, twoGroup)
    , m_texts(std::move(texts))
{
    m_run->setObjectName(name + QStringLiteral(".run"));
    m_run->setIcon(uiIcon(QStringLiteral("start")));
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_requests->onFinished(0, [this](const Status &status) { onFinished(status); });
    connect(m_form, &ContrastSettingsForm::changed, this, &ContrastTabBase::updateStale);
    connect(session, &SessionState::modelChanged, this, &ContrastTabBase::updateStale);
    connect(session, &SessionState::saeChanged, this, &ContrastTabBase::updateStale);
}

ContrastTabBase::~ContrastTabBase() = default;

void ContrastTabBase::layOut(QLayout *controls, QWidget *empty, QWidget *result,
                             QWidget *aboveStatus, QWidget *belowStatus)
{
    m_stack->addWidget(empty);
    m_stack->addWidget(result);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 4, 0, 0);
    layout->addLayout(controls);
    if (aboveStatus) {
        layout->addWidget(aboveStatus);
    }
    // Under the buttons, across the whole width: a long summary stays a line or two.
    layout->addWidget(m_status);
    if (belowStatus) {
        layout->addWidget(belowStatus);
    }
    layout->addWidget(m_stack, 1);
}

QToolButton *ContrastTabBase::featureExportButton(FeatureStatsModel *model,
                                                  FeatureScatterPlot *plot,
                                                  const QString &plotLabel, const QString &suffix)
{
    QToolButton *button = makeExportButton(
            this,
            {tableExportChoices(model, FeatureStatsModel::ValueRole, tr("Table")),
             plotExportChoices(plot, QSize(720, 480), plotLabel)},
            [this, suffix] { return m_form->promptSet().name + suffix; },
            [this](const Status &status, const QString &path) {
                m_status->setText(status.isOk() ? tr("Wrote %1").arg(path) : status.message());
            });
    button->setEnabled(false);
    return button;
}

QString ContrastTabBase::staleReason() const
{
    return hasResult() ? m_freshness.staleReason() : QString();
}

QString ContrastTabBase::statusText() const
{
    return m_status->text();
}

bool ContrastTabBase::isRunning() const
{
    return m_requests->isRunning(0);
}

void ContrastTabBase::setRunning(bool running)
{
    m_run->setEnabled(!running);
}

bool ContrastTabBase::refuse(const QString &problem)
{
    if (problem.isEmpty()) {
        return false;
    }
    m_status->setText(problem);
    return true;
}

void ContrastTabBase::started(RequestId request, const QString &message)
{
    // The request is only queued yet: the inputs noted now are the ones it runs on.
    m_freshness.started();
    m_requests->start(0, request);  // cancels a running one
    m_status->setText(message);
    setRunning(true);
}

void ContrastTabBase::arriving()
{
    if (isRunning()) {
        m_freshness.arrived();  // from the engine, not a restore
    }
}

void ContrastTabBase::restoring(const ResultProvenance &computedWith)
{
    m_requests->cancel(0);
    m_freshness.restored(computedWith);
}

void ContrastTabBase::showSummary(const QString &summary)
{
    m_summary = summary;
    m_status->setText(summary);
}

void ContrastTabBase::clearing()
{
    m_requests->cancel(0);
    m_stack->setCurrentIndex(0);
    m_summary.clear();
    m_status->clear();
}

void ContrastTabBase::updateStale()
{
    if (!hasResult() || isRunning()) {
        return;
    }
    const QString reason = staleReason();
    m_status->setText(
            reason.isEmpty()
                    ? m_summary
                    : tr("Out of date (%1): %2 again to update.").arg(reason, m_texts.run));
}

void ContrastTabBase::selectInHub(int feature)
{
    m_hub->selectFeature(feature, QStringLiteral("contrast"));
}

void ContrastTabBase::onFinished(const Status &status)
{
    setRunning(false);
    if (!status.isOk()) {
        m_status->setText(status.code() == Status::Code::Cancelled
                                  ? m_texts.cancelled
                                  : m_texts.failed.arg(status.message()));
    }
}

}  // namespace gyrus::widgets
