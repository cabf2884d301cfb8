#include "widgets/views/patching_map_grid.h"

#include "core/features/token_display.h"
#include "widgets/common/compact_grid.h"
#include "widgets/views/activation_colour_map.h"

#include <QHeaderView>
#include <QMap>
#include <QPainter>
#include <QRegularExpression>
#include <QStandardItemModel>
#include <QStyledItemDelegate>

#include <cmath>

namespace gyrus::widgets {

namespace {

/// The partner piece most pairs have in `column` (ties: the first met).
QString commonPiece(const PatchingOutcome &outcome, int column)
{
    QMap<QString, int> counts;
    QString best;
    int bestCount = 0;
    for (const PairPatching &pair : outcome.result.pairs) {
        const int position = outcome.result.map.position(pair, column);
        if (position < 0) {
            continue;
        }
        const QString piece = outcome.piece(pair.partnerTokens[size_t(position)]);
        const int count = ++counts[piece];
        if (count > bestCount) {
            best = piece;
            bestCount = count;
        }
    }
    return best;
}

/// Paints every cell in its own colour, selected or not, and outlines the selected one: the
/// selection fill would hide the value the cell shows by its colour.
class OutlinedSelectionDelegate : public QStyledItemDelegate
{
public:
    using QStyledItemDelegate::QStyledItemDelegate;

    void paint(QPainter *painter, const QStyleOptionViewItem &option,
               const QModelIndex &index) const override
    {
        QStyleOptionViewItem plain(option);
        plain.state &= ~(QStyle::State_Selected | QStyle::State_HasFocus);
        QStyledItemDelegate::paint(painter, plain, index);
        if (!(option.state & QStyle::State_Selected)) {
            return;
        }
        // Dark outside, light inside: visible on the darkest red or blue and on white.
        painter->save();
        painter->setBrush(Qt::NoBrush);
        const QRect cell = option.rect;
        painter->setPen(
                QPen(QColor(0x20, 0x20, 0x20), 2, Qt::SolidLine, Qt::SquareCap, Qt::MiterJoin));
        painter->drawRect(cell.adjusted(1, 1, -1, -1));
        painter->setPen(QPen(Qt::white, 1));
        painter->drawRect(cell.adjusted(2, 2, -3, -3));
        painter->restore();
    }
};

}  // namespace

PatchingMapGrid::PatchingMapGrid(QWidget *parent)
    : QTableView(parent)
    , m_model(new QStandardItemModel(this))
{
    setModel(m_model);
    configureCompactGrid(this, 8);
    setItemDelegate(new OutlinedSelectionDelegate(this));
    connect(this, &QTableView::clicked, this,
            [this](const QModelIndex &index) { Q_EMIT cellPicked(index.row(), index.column()); });
}

QString PatchingMapGrid::rowName(const QString &hook)
{
    static const QRegularExpression layerPattern(QStringLiteral("^blocks\\.(\\d+)\\."));
    const QRegularExpressionMatch match = layerPattern.match(hook);
    return match.hasMatch() ? tr("layer %1").arg(match.captured(1)) : hook;
}

void PatchingMapGrid::setOutcome(const PatchingOutcomePtr &outcome)
{
    m_outcome = outcome;
    m_model->clear();
    if (!outcome) {
        return;
    }
    const PatchingMap &map = outcome->result.map;
    const int rows = int(map.mean.size());
    const int columns = map.positions;
    m_model->setRowCount(rows);
    m_model->setColumnCount(columns);
    QStringList columnLabels;
    for (int c = 0; c < columns; ++c) {
        const int fromEnd = columns - 1 - c;
        const QString where = map.alignEnd ? (fromEnd == 0 ? tr("last") : tr("−%1").arg(fromEnd))
                                           : QString::number(c);
        columnLabels << QStringLiteral("%1 %2").arg(where, visibleToken(commonPiece(*outcome, c)));
    }
    m_model->setHorizontalHeaderLabels(columnLabels);
    QStringList rowLabels;
    for (int r = 0; r < rows; ++r) {
        rowLabels << rowName(map.hooks.value(r));
    }
    m_model->setVerticalHeaderLabels(rowLabels);
    const int percent = int(std::lround(map.confidence * 100));
    for (int r = 0; r < rows; ++r) {
        for (int c = 0; c < columns; ++c) {
            auto *item = new QStandardItem;
            const double mean = map.mean[size_t(r)][size_t(c)];
            const int count = map.count[size_t(r)][size_t(c)];
            if (count > 0 && std::isfinite(mean)) {
                // |mean| < 0.005 reads "0.00", not "-0.00": a sign that rounding hides is noise.
                item->setText(QString::number(std::abs(mean) < 0.005 ? 0.0 : mean, 'f', 2));
                item->setData(mean, Qt::UserRole);
                const QRgb colour = activationColour(ColourScale::Diverging, mean, 1.0);
                item->setBackground(QColor(colour));
                item->setForeground(textColourOn(colour));
                const double low = map.low[size_t(r)][size_t(c)];
                const double high = map.high[size_t(r)][size_t(c)];
                const QString interval = std::isfinite(low) && std::isfinite(high)
                                                 ? tr("%1% CI %2 to %3")
                                                           .arg(percent)
                                                           .arg(low, 0, 'f', 3)
                                                           .arg(high, 0, 'f', 3)
                                                 : tr("no interval (one pair)");
                item->setToolTip(tr("<b>%1</b> at %2 (%3)<br>restored %4 · %5 · %6 pairs<br>"
                                    "Click to list the pairs.")
                                         .arg(map.hooks.value(r).toHtmlEscaped(),
                                              columnLabels.at(c).toHtmlEscaped(),
                                              rowLabels.at(r).toHtmlEscaped())
                                         .arg(mean, 0, 'f', 3)
                                         .arg(interval)
                                         .arg(count));
            } else {
                item->setToolTip(tr("no pair reaches this position"));
            }
            item->setTextAlignment(Qt::AlignCenter);
            m_model->setItem(r, c, item);
        }
    }
}

}  // namespace gyrus::widgets
