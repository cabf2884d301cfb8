#include "widgets/views/strength_sweep_plot.h"

#include "core/features/token_display.h"
#include "widgets/common/plot_style.h"

#include <QTimer>
#include <QVBoxLayout>
#include <qcustomplot.h>

#include <algorithm>

namespace gyrus::widgets {

StrengthSweepPlot::StrengthSweepPlot(QWidget *parent)
    : QWidget(parent)
    , m_plot(new QCustomPlot(this))
    , m_replot(new QTimer(this))
{
    applyPlotStyle(m_plot);
    m_plot->yAxis2->setVisible(true);
    // The right axis in the KL graph's colour, the left in the log-probability's.
    const QColor logColour(38, 139, 210);
    const QColor klColour(203, 75, 22);
    for (QCPAxis *axis : {m_plot->yAxis, m_plot->yAxis2}) {
        const QColor colour = axis == m_plot->yAxis ? logColour : klColour;
        axis->setBasePen(QPen(colour, 1));
        axis->setTickPen(QPen(colour, 1));
        axis->setSubTickPen(QPen(colour, 1));
        axis->setTickLabelColor(colour);
        axis->setLabelColor(colour);
    }
    m_plot->yAxis2->grid()->setVisible(false);
    m_logProbability = m_plot->addGraph(m_plot->xAxis, m_plot->yAxis);
    m_logProbability->setPen(QPen(logColour, 2));
    m_logProbability->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, 5));
    m_kl = m_plot->addGraph(m_plot->xAxis, m_plot->yAxis2);
    m_kl->setPen(QPen(klColour, 2));
    m_kl->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, 5));
    m_kl->setName(tr("KL(baseline ‖ steered)"));
    m_plot->xAxis->setLabel(tr("clamp value"));
    m_plot->yAxis->setLabel(tr("log p(token)"));
    m_plot->yAxis2->setLabel(tr("KL (nats)"));
    placeLegendAbove(m_plot);
    m_plot->legend->setVisible(true);
    m_plot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    m_plot->setMinimumHeight(110);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_plot);
    m_replot->setSingleShot(true);
    m_replot->setInterval(40);
    connect(m_replot, &QTimer::timeout, this, [this] {
        m_plot->rescaleAxes();
        // Some air around the points, and KL from 0.
        m_plot->xAxis->scaleRange(1.06);
        m_plot->yAxis->scaleRange(1.1);
        m_plot->yAxis2->setRangeLower(0.0);
        m_plot->yAxis2->setRangeUpper(std::max(1e-3, m_plot->yAxis2->range().upper * 1.1));
        m_plot->replot(QCustomPlot::rpQueuedReplot);
    });
    clear();
}

void StrengthSweepPlot::clear()
{
    m_logProbability->data()->clear();
    m_kl->data()->clear();
    m_logProbability->setName(tr("log p(next token)"));
    m_result = StrengthSweepResult();
    m_replot->start();
}

void StrengthSweepPlot::addPoint(const StrengthSweepPoint &point)
{
    m_logProbability->addData(point.value, point.logProbability);
    m_kl->addData(point.value, point.kl);
    m_result.points.append(point);
    m_replot->start();
}

void StrengthSweepPlot::setResult(const StrengthSweepResult &result)
{
    m_result = result;
    m_logProbability->data()->clear();
    m_kl->data()->clear();
    for (const StrengthSweepPoint &point : result.points) {
        m_logProbability->addData(point.value, point.logProbability);
        m_kl->addData(point.value, point.kl);
    }
    m_logProbability->setName(tr("log p(\"%1\")").arg(visibleToken(result.targetPiece)));
    m_replot->start();
}

int StrengthSweepPlot::pointCount() const
{
    return m_logProbability->dataCount();
}

}  // namespace gyrus::widgets
