#include "widgets/views/feature_matrix_view.h"

#include "core/features/token_display.h"
#include "widgets/views/activation_colour_map.h"

#include <QContextMenuEvent>
#include <QHelpEvent>
#include <QMenu>
#include <QMouseEvent>
#include <QPainter>
#include <QScrollBar>
#include <QToolTip>
#include <QWheelEvent>

#include <algorithm>
#include <cmath>

namespace gyrus::widgets {

namespace {

constexpr int kMinColumn = 2;
constexpr int kMaxColumn = 48;
constexpr int kPad = 6;

// The summaries of signed values: `max` is the largest |value| over the non-BOS tokens (what
// ranks the rows and sets the scale), `mean` the mean value.
std::vector<FeatureSummary> summarizeMagnitudes(const TextActivations &text)
{
    std::vector<FeatureSummary> summaries = summarizeFeatures(text);
    std::vector<int> index;
    for (size_t i = 0; i < summaries.size(); ++i) {
        const int feature = summaries[i].feature;
        if (feature >= int(index.size())) {
            index.resize(size_t(feature) + 1, -1);
        }
        index[size_t(feature)] = int(i);
        summaries[i].max = 0.0f;
    }
    for (int t = 0; t < text.tokenCount(); ++t) {
        if (text.tokens[size_t(t)].bos) {
            continue;
        }
        for (int i = text.rowStart[size_t(t)]; i < text.rowStart[size_t(t) + 1]; ++i) {
            FeatureSummary &summary = summaries[size_t(index[size_t(text.features[size_t(i)])])];
            summary.max = std::max(summary.max, std::abs(text.values[size_t(i)]));
        }
    }
    return summaries;
}

}  // namespace

FeatureMatrixView::FeatureMatrixView(QWidget *parent)
    : QAbstractScrollArea(parent)
{
    setMouseTracking(true);
    viewport()->setMouseTracking(true);
    viewport()->setAttribute(Qt::WA_OpaquePaintEvent);
    const QFontMetrics metrics(font());
    m_rowHeight = metrics.height() + 2;
    m_header = metrics.horizontalAdvance(QStringLiteral("walk…")) + 8;  // upright tokens
}

const TextActivations *FeatureMatrixView::text() const
{
    if (!m_analysis || m_textIndex < 0 || m_textIndex >= int(m_analysis->texts.size())) {
        return nullptr;
    }
    return &m_analysis->texts[size_t(m_textIndex)];
}

void FeatureMatrixView::setText(const TokenAnalysisPtr &analysis, int index)
{
    m_analysis = analysis;
    m_textIndex = index;
    m_highlightedToken = -1;
    m_all.clear();
    if (const TextActivations *t = text()) {
        m_all = m_signed ? summarizeMagnitudes(*t) : summarizeFeatures(*t);
        std::sort(m_all.begin(), m_all.end(), [](const FeatureSummary &a, const FeatureSummary &b) {
            return a.max != b.max ? a.max > b.max : a.feature < b.feature;
        });
    }
    rebuildRows();
    m_fitPending = true;
    fitColumns();
}

void FeatureMatrixView::fitColumns()
{
    // A new text starts fitted to the width (a long one at the narrowest columns), once the
    // view has its real size (it may be set while hidden behind the empty state).
    const TextActivations *t = text();
    const int available = viewport()->width() - m_gutter - kPad;
    if (!m_fitPending || !t || t->tokenCount() == 0 || !isVisible() || available < 40) {
        return;
    }
    m_fitPending = false;
    m_columnWidth = std::clamp(available / t->tokenCount(), 4, 28);
    updateScrollBars();
    horizontalScrollBar()->setValue(0);
    viewport()->update();
}

void FeatureMatrixView::setSignedValues(bool signedValues, const QString &valueName)
{
    m_signed = signedValues;
    m_valueName = valueName;
}

void FeatureMatrixView::setFeatureCount(int count)
{
    m_featureCount = std::max(1, count);
    rebuildRows();
}

void FeatureMatrixView::setSortOrder(SortOrder order)
{
    if (order != m_order) {
        m_order = order;
        rebuildRows();
    }
}

void FeatureMatrixView::setSelectedFeature(int feature)
{
    if (feature == m_selectedFeature) {
        return;
    }
    const bool wasRow = rowOf(m_selectedFeature) >= 0;
    m_selectedFeature = feature;
    // The selected feature is pinned as a row when active: the rows may change.
    const bool isRow = rowOf(feature) >= 0;
    if (!isRow || wasRow) {
        rebuildRows();
    } else {
        viewport()->update();
    }
}

void FeatureMatrixView::setHighlightedToken(int token)
{
    if (token != m_highlightedToken) {
        m_highlightedToken = token;
        viewport()->update();
    }
}

void FeatureMatrixView::setLabelProvider(std::function<QString(int)> provider)
{
    m_labels = std::move(provider);
    refreshLabels();
}

void FeatureMatrixView::refreshLabels()
{
    m_rowLabels.clear();
    const QFontMetrics metrics(font());
    int widest = metrics.horizontalAdvance(QStringLiteral("#00000"));
    for (const FeatureSummary &row : m_rows) {
        QString label = QStringLiteral("#%1").arg(row.feature);
        const QString annotation = m_labels ? m_labels(row.feature) : QString();
        if (!annotation.isEmpty()) {
            label += QStringLiteral("  ") + annotation;
        }
        widest = std::max(widest, metrics.horizontalAdvance(label));
        m_rowLabels << label;
    }
    m_gutter = std::min(widest + 2 * kPad, 220);
    updateScrollBars();
    viewport()->update();
}

void FeatureMatrixView::setColumnWidth(int pixels)
{
    pixels = std::clamp(pixels, kMinColumn, kMaxColumn);
    if (pixels == m_columnWidth) {
        return;
    }
    // Keep the column under the viewport's centre where it was.
    const double centre =
            (horizontalScrollBar()->value() + (viewport()->width() - m_gutter) / 2.0) /
            m_columnWidth;
    m_columnWidth = pixels;
    m_fitPending = false;  // the user's zoom wins
    updateScrollBars();
    horizontalScrollBar()->setValue(
            int(centre * m_columnWidth - (viewport()->width() - m_gutter) / 2.0));
    viewport()->update();
}

void FeatureMatrixView::zoomIn()
{
    setColumnWidth(std::max(m_columnWidth + 1, m_columnWidth * 3 / 2));
}

void FeatureMatrixView::zoomOut()
{
    setColumnWidth(m_columnWidth * 2 / 3);
}

void FeatureMatrixView::rebuildRows()
{
    m_rows.clear();
    if (text()) {
        const std::vector<FeatureSummary> &all = m_all;
        const size_t keep = std::min(all.size(), size_t(m_featureCount));
        m_rows.assign(all.begin(), all.begin() + long(keep));
        if (m_selectedFeature >= 0 && rowOf(m_selectedFeature) < 0) {
            for (size_t i = keep; i < all.size(); ++i) {
                if (all[i].feature == m_selectedFeature) {
                    m_rows.push_back(all[i]);
                }
            }
        }
        const auto order = m_order;
        std::sort(m_rows.begin(), m_rows.end(),
                  [order](const FeatureSummary &a, const FeatureSummary &b) {
                      if (order == SortOrder::ByMean && a.mean != b.mean) {
                          return a.mean > b.mean;
                      }
                      if (order == SortOrder::ByMax && a.max != b.max) {
                          return a.max > b.max;
                      }
                      return a.feature < b.feature;
                  });
    }
    rebuildImage();
    refreshLabels();
}

void FeatureMatrixView::rebuildImage()
{
    const TextActivations *t = text();
    m_max = 0.0;
    if (!t || m_rows.empty() || t->tokenCount() == 0) {
        m_image = QImage();
        return;
    }
    for (const FeatureSummary &row : m_rows) {
        m_max = std::max(m_max, double(row.max));
    }
    m_image = QImage(t->tokenCount(), int(m_rows.size()), QImage::Format_ARGB32);
    const QRgb base = palette().color(QPalette::Base).rgb();
    QColor bosColour = palette().color(QPalette::Text);
    bosColour.setAlphaF(0.08);
    for (int r = 0; r < int(m_rows.size()); ++r) {
        auto *line = reinterpret_cast<QRgb *>(m_image.scanLine(r));
        for (int k = 0; k < t->tokenCount(); ++k) {
            if (t->tokens[size_t(k)].bos) {
                line[k] = qRgb(qRed(base) * 0.92, qGreen(base) * 0.92, qBlue(base) * 0.92);
                continue;
            }
            const QRgb colour =
                    activationColour(m_signed ? ColourScale::Diverging : ColourScale::Sequential,
                                     t->activation(k, m_rows[size_t(r)].feature), m_max);
            line[k] = qAlpha(colour) == 0 ? base : colour;
        }
    }
}

void FeatureMatrixView::updateScrollBars()
{
    const TextActivations *t = text();
    const int contentWidth = t ? t->tokenCount() * m_columnWidth : 0;
    const int contentHeight = int(m_rows.size()) * m_rowHeight;
    const int visibleWidth = std::max(0, viewport()->width() - m_gutter - kPad);
    const int visibleHeight = std::max(0, viewport()->height() - m_header);
    horizontalScrollBar()->setPageStep(visibleWidth);
    horizontalScrollBar()->setSingleStep(m_columnWidth);
    horizontalScrollBar()->setRange(0, std::max(0, contentWidth - visibleWidth));
    verticalScrollBar()->setPageStep(visibleHeight);
    verticalScrollBar()->setSingleStep(m_rowHeight);
    verticalScrollBar()->setRange(0, std::max(0, contentHeight - visibleHeight));
}

int FeatureMatrixView::rowOf(int feature) const
{
    for (size_t r = 0; r < m_rows.size(); ++r) {
        if (m_rows[r].feature == feature) {
            return int(r);
        }
    }
    return -1;
}

int FeatureMatrixView::rowAt(int y) const
{
    if (y < m_header) {
        return -1;
    }
    const int row = (y - m_header + verticalScrollBar()->value()) / m_rowHeight;
    return row < int(m_rows.size()) ? row : -1;
}

int FeatureMatrixView::columnAt(int x) const
{
    const TextActivations *t = text();
    if (!t || x < m_gutter) {
        return -1;
    }
    const int column = (x - m_gutter + horizontalScrollBar()->value()) / m_columnWidth;
    return column < t->tokenCount() ? column : -1;
}

int FeatureMatrixView::featureAt(const QPoint &position) const
{
    const int row = rowAt(position.y());
    return row >= 0 ? m_rows[size_t(row)].feature : -1;
}

int FeatureMatrixView::tokenAt(const QPoint &position) const
{
    return position.y() >= m_header || position.y() < 0 ? columnAt(position.x()) : -1;
}

QRect FeatureMatrixView::cellRect(int feature, int token) const
{
    const int row = rowOf(feature);
    if (row < 0 || !text() || token < 0 || token >= text()->tokenCount()) {
        return {};
    }
    return {m_gutter + token * m_columnWidth - horizontalScrollBar()->value(),
            m_header + row * m_rowHeight - verticalScrollBar()->value(), m_columnWidth,
            m_rowHeight};
}

QRgb FeatureMatrixView::cellColour(int feature, int token) const
{
    const int row = rowOf(feature);
    if (row < 0 || m_image.isNull() || token < 0 || token >= m_image.width()) {
        return 0;
    }
    return m_image.pixel(token, row);
}

void FeatureMatrixView::paintEvent(QPaintEvent *)
{
    QPainter painter(viewport());
    const QPalette palette = this->palette();
    painter.fillRect(viewport()->rect(), palette.color(QPalette::Base));
    const TextActivations *t = text();
    if (!t || m_image.isNull()) {
        painter.setPen(palette.color(QPalette::PlaceholderText));
        painter.drawText(viewport()->rect(), Qt::AlignCenter,
                         tr("No active features in this text."));
        return;
    }
    const int scrollX = horizontalScrollBar()->value();
    const int scrollY = verticalScrollBar()->value();
    const QRect cells(m_gutter, m_header, viewport()->width() - m_gutter,
                      viewport()->height() - m_header);
    // The matrix: the cached one-pixel-per-cell image scaled up, unsmoothed (crisp cells).
    painter.save();
    painter.setClipRect(cells);
    painter.setRenderHint(QPainter::SmoothPixmapTransform, false);
    painter.drawImage(QRect(m_gutter - scrollX, m_header - scrollY, m_image.width() * m_columnWidth,
                            m_image.height() * m_rowHeight),
                      m_image);
    // Token boundaries, when columns are wide enough to tell apart.
    if (m_columnWidth >= 6) {
        QColor grid = palette.color(QPalette::Base);
        grid.setAlphaF(0.6);
        painter.setPen(grid);
        const int first = scrollX / m_columnWidth;
        const int bottom =
                std::min(cells.bottom(), m_header + int(m_rows.size()) * m_rowHeight - scrollY);
        for (int k = first; k <= t->tokenCount(); ++k) {
            const int x = m_gutter + k * m_columnWidth - scrollX;
            if (x > cells.right()) {
                break;
            }
            painter.drawLine(x, m_header, x, bottom);
        }
    }
    const QColor highlight = palette.color(QPalette::Highlight);
    if (m_highlightedToken >= 0) {
        painter.setPen(QPen(highlight, 1));
        painter.drawRect(m_gutter + m_highlightedToken * m_columnWidth - scrollX, m_header,
                         m_columnWidth - 1,
                         std::min(cells.height(), int(m_rows.size()) * m_rowHeight - 1));
    }
    const int selectedRow = rowOf(m_selectedFeature);
    if (selectedRow >= 0) {
        painter.setPen(QPen(highlight, 2));
        painter.drawRect(QRect(m_gutter, m_header + selectedRow * m_rowHeight - scrollY,
                               std::min(cells.width(), t->tokenCount() * m_columnWidth - scrollX),
                               m_rowHeight)
                                 .adjusted(1, 1, -1, -1));
    }
    painter.restore();

    // Row labels: feature ids and the user's labels.
    const QFontMetrics metrics(font());
    painter.save();
    painter.setClipRect(QRect(0, m_header, m_gutter, cells.height()));
    for (int r = 0; r < int(m_rows.size()); ++r) {
        const QRect rowRect(kPad, m_header + r * m_rowHeight - scrollY, m_gutter - 2 * kPad,
                            m_rowHeight);
        if (rowRect.bottom() < m_header || rowRect.top() > viewport()->height()) {
            continue;
        }
        const bool selected = m_rows[size_t(r)].feature == m_selectedFeature;
        QFont rowFont = font();
        rowFont.setBold(selected);
        painter.setFont(rowFont);
        painter.setPen(selected ? highlight : palette.color(QPalette::Text));
        painter.drawText(rowRect, Qt::AlignLeft | Qt::AlignVCenter,
                         metrics.elidedText(m_rowLabels.value(r), Qt::ElideRight, rowRect.width()));
    }
    painter.restore();

    // Column header: the token pieces, written upwards, when the columns are wide enough.
    painter.save();
    painter.setClipRect(QRect(m_gutter, 0, cells.width(), m_header));
    painter.setPen(palette.color(QPalette::PlaceholderText));
    if (m_columnWidth >= metrics.height() - 3) {
        const int first = scrollX / m_columnWidth;
        for (int k = first; k < t->tokenCount(); ++k) {
            const int left = m_gutter + k * m_columnWidth - scrollX;
            if (left > cells.right()) {
                break;
            }
            const QString piece = visibleToken(t->tokens[size_t(k)].piece);
            painter.save();
            painter.translate(left + (m_columnWidth + metrics.ascent() - metrics.descent()) / 2,
                              m_header - 3);
            painter.rotate(-90);
            painter.drawText(0, 0, metrics.elidedText(piece, Qt::ElideRight, m_header - 6));
            painter.restore();
        }
    } else {
        painter.drawText(QRect(m_gutter, 0, cells.width(), m_header - 3),
                         Qt::AlignLeft | Qt::AlignBottom,
                         tr("%1 tokens · zoom in (Ctrl+wheel) to read them").arg(t->tokenCount()));
    }
    painter.restore();
}

void FeatureMatrixView::resizeEvent(QResizeEvent *event)
{
    QAbstractScrollArea::resizeEvent(event);
    updateScrollBars();
    fitColumns();
}

void FeatureMatrixView::mousePressEvent(QMouseEvent *event)
{
    const QPoint position = event->position().toPoint();
    const int feature = featureAt(position);
    const int token = tokenAt(position);
    if (event->button() != Qt::LeftButton) {
        QAbstractScrollArea::mousePressEvent(event);
        return;
    }
    if (feature >= 0 && (event->modifiers() & Qt::ShiftModifier)) {
        Q_EMIT clampRequested(feature);
        return;
    }
    if (token >= 0) {
        setHighlightedToken(token);
        Q_EMIT tokenClicked(token);
    }
    if (feature >= 0) {
        Q_EMIT featureClicked(feature);
    }
}

void FeatureMatrixView::showEvent(QShowEvent *event)
{
    QAbstractScrollArea::showEvent(event);
    fitColumns();
}

void FeatureMatrixView::wheelEvent(QWheelEvent *event)
{
    if (event->modifiers() & Qt::ControlModifier) {
        if (event->angleDelta().y() > 0) {
            zoomIn();
        } else if (event->angleDelta().y() < 0) {
            zoomOut();
        }
        event->accept();
        return;
    }
    QAbstractScrollArea::wheelEvent(event);
}

void FeatureMatrixView::contextMenuEvent(QContextMenuEvent *event)
{
    const int feature = featureAt(event->pos());
    if (feature < 0) {
        return;
    }
    QMenu menu(this);
    QAction *select = menu.addAction(tr("Select feature %1").arg(feature));
    QAction *clamp = menu.addAction(tr("Clamp feature %1").arg(feature));
    QAction *chosen = menu.exec(event->globalPos());
    if (chosen == select) {
        Q_EMIT featureClicked(feature);
    } else if (chosen == clamp) {
        Q_EMIT clampRequested(feature);
    }
}

bool FeatureMatrixView::viewportEvent(QEvent *event)
{
    if (event->type() == QEvent::ToolTip) {
        auto *help = static_cast<QHelpEvent *>(event);
        const int feature = featureAt(help->pos());
        const int token = tokenAt(help->pos());
        const TextActivations *t = text();
        if (feature >= 0 && token >= 0 && t) {
            const QString label = m_labels ? m_labels(feature) : QString();
            QToolTip::showText(
                    help->globalPos(),
                    tr("<b>#%1</b>%2<br>token %3 “%4” (id %5)<br>%7 <b>%6</b>")
                            .arg(feature)
                            .arg(label.isEmpty() ? QString()
                                                 : QStringLiteral(" ") + label.toHtmlEscaped())
                            .arg(token)
                            .arg(visibleToken(t->tokens[size_t(token)].piece).toHtmlEscaped())
                            .arg(t->tokens[size_t(token)].id)
                            .arg(double(t->activation(token, feature)), 0, 'g', 4)
                            .arg(m_valueName.isEmpty() ? tr("activation") : m_valueName),
                    viewport(), cellRect(feature, token));
        } else if (feature >= 0 && help->pos().x() < m_gutter) {
            // The row label, which the gutter may have cut: the feature and its whole label.
            QToolTip::showText(help->globalPos(), m_rowLabels.value(rowAt(help->pos().y())),
                               viewport());
        } else if (const int column = columnAt(help->pos().x());
                   column >= 0 && t && help->pos().y() < m_header) {
            // The column header, written upwards and maybe cut: the whole token.
            QToolTip::showText(help->globalPos(),
                               tr("token %1 “%2”")
                                       .arg(column)
                                       .arg(visibleToken(t->tokens[size_t(column)].piece)),
                               viewport());
        } else {
            QToolTip::hideText();
        }
        return true;
    }
    return QAbstractScrollArea::viewportEvent(event);
}

void FeatureMatrixView::scrollContentsBy(int, int)
{
    viewport()->update();
}

}  // namespace gyrus::widgets
