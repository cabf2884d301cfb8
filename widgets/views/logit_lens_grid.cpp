#include "widgets/views/logit_lens_grid.h"

#include "core/features/token_display.h"
#include "widgets/common/compact_grid.h"
#include "widgets/views/activation_colour_map.h"

#include <QHeaderView>
#include <QRegularExpression>
#include <QStandardItemModel>

namespace gyrus::widgets {

LogitLensGrid::LogitLensGrid(QWidget *parent)
    : QTableView(parent)
    , m_model(new QStandardItemModel(this))
{
    setModel(m_model);
    configureCompactGrid(this, 6);
}

QString LogitLensGrid::rowName(const QString &hook, bool last)
{
    static const QRegularExpression layerPattern(
            QStringLiteral("^blocks\\.(\\d+)\\.hook_resid_(pre|post)$"));
    const QRegularExpressionMatch match = layerPattern.match(hook);
    if (!match.hasMatch()) {
        return hook;
    }
    if (match.captured(2) == QLatin1String("pre")) {
        return tr("embeddings");
    }
    return last ? tr("output (layer %1)").arg(match.captured(1))
                : tr("layer %1").arg(match.captured(1));
}

void LogitLensGrid::setOutcome(const LogitLensOutcomePtr &outcome)
{
    m_outcome = outcome;
    m_model->clear();
    if (!outcome) {
        return;
    }
    const int rows = int(outcome->cells.size());
    const int positions = int(outcome->tokens.size());
    m_model->setRowCount(rows);
    m_model->setColumnCount(positions);
    QStringList columns;
    for (int t = 0; t < positions; ++t) {
        columns << QStringLiteral("%1 %2").arg(t).arg(
                visibleToken(outcome->piece(outcome->tokens[size_t(t)])));
    }
    m_model->setHorizontalHeaderLabels(columns);
    QStringList rowLabels;
    for (int r = 0; r < rows; ++r) {
        rowLabels << rowName(outcome->rows.value(r), r == rows - 1);
    }
    m_model->setVerticalHeaderLabels(rowLabels);
    const QColor base = palette().color(QPalette::Base);
    for (int r = 0; r < rows; ++r) {
        for (int t = 0; t < positions; ++t) {
            const LogitLensCell &cell = outcome->cells[size_t(r)][size_t(t)];
            auto *item = new QStandardItem;
            if (!cell.topTokens.empty()) {
                item->setText(visibleToken(outcome->piece(cell.topTokens.front())));
            }
            QStringList lines;
            lines << tr("<b>%1</b>, position %2 “%3”")
                             .arg(rowLabels.at(r).toHtmlEscaped())
                             .arg(t)
                             .arg(visibleToken(outcome->piece(outcome->tokens[size_t(t)]))
                                          .toHtmlEscaped());
            for (size_t k = 0; k < cell.topTokens.size(); ++k) {
                lines << QStringLiteral("%1. “%2” %3")
                                 .arg(k + 1)
                                 .arg(visibleToken(outcome->piece(cell.topTokens[k]))
                                              .toHtmlEscaped())
                                 .arg(double(cell.topProbabilities[k]), 0, 'f', 3);
            }
            QColor background = base;
            if (cell.nextRank >= 0 && size_t(t) + 1 < outcome->tokens.size()) {
                const QRgb colour = activationColour(ColourScale::Sequential,
                                                     double(cell.nextProbability), 1.0);
                background = qAlpha(colour) == 0 ? base : QColor(colour);
                lines << tr("actual next “%1”: p %2, rank %3")
                                 .arg(visibleToken(outcome->piece(outcome->tokens[size_t(t) + 1]))
                                              .toHtmlEscaped())
                                 .arg(double(cell.nextProbability), 0, 'f', 3)
                                 .arg(cell.nextRank + 1);
            } else {
                lines << tr("(the last position: no actual next token)");
            }
            item->setBackground(background);
            item->setForeground(textColourOn(background.rgb()));
            item->setToolTip(lines.join(QStringLiteral("<br>")));
            m_model->setItem(r, t, item);
        }
    }
}

}  // namespace gyrus::widgets
