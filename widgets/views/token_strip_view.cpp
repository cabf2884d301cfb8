#include "widgets/views/token_strip_view.h"

#include "core/features/token_display.h"

#include <QContextMenuEvent>
#include <QHelpEvent>
#include <QMenu>
#include <QMouseEvent>
#include <QPainter>
#include <QScrollBar>
#include <QToolTip>

#include <algorithm>
#include <cmath>

namespace gyrus::widgets {

namespace {

constexpr int kTileHeight = 256;  // content pixels per cached tile
constexpr int kPadX = 3;          // text inset inside a cell
constexpr int kPadY = 2;
constexpr int kCellGap = 1;  // the visible boundary between tokens
constexpr int kLineGap = 3;
constexpr int kTextGap = 8;  // extra space between the rows of a prompt set
constexpr int kMargin = 6;

}  // namespace

TokenStripView::TokenStripView(QWidget *parent)
    : QAbstractScrollArea(parent)
{
    setMouseTracking(true);
    viewport()->setMouseTracking(true);
    viewport()->setAttribute(Qt::WA_OpaquePaintEvent);
    setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    // Always shown: a scroll bar that comes and goes would change the width, hence the layout,
    // hence the height (and could oscillate).
    setVerticalScrollBarPolicy(Qt::ScrollBarAlwaysOn);
    setFocusPolicy(Qt::StrongFocus);
}

void TokenStripView::setAnalysis(const TokenAnalysisPtr &analysis, const QStringList &rowLabels)
{
    m_analysis = analysis;
    m_rowLabels = rowLabels;
    m_hover = {};
    m_selected = {};
    m_layoutWidth = -1;
    relayout();
    recolour();
}

void TokenStripView::setSource(Source source, int index)
{
    if (source == m_source && index == m_index) {
        return;
    }
    m_source = source;
    m_index = index;
    recolour();
}

ColourScale TokenStripView::colourScale() const
{
    return m_source == Source::HookDimension ? ColourScale::Diverging : ColourScale::Sequential;
}

float TokenStripView::value(TokenRef ref) const
{
    const int cell = cellIndex(ref);
    return cell >= 0 && size_t(cell) < m_values.size() ? m_values[size_t(cell)] : 0.0f;
}

QRgb TokenStripView::tokenColour(TokenRef ref) const
{
    const int cell = cellIndex(ref);
    return cell >= 0 && size_t(cell) < m_colours.size() ? m_colours[size_t(cell)] : 0;
}

QRect TokenStripView::tokenRect(TokenRef ref) const
{
    const int cell = cellIndex(ref);
    return cell >= 0 ? toViewport(m_cells[size_t(cell)].rect) : QRect();
}

TokenRef TokenStripView::tokenAt(const QPoint &viewportPosition) const
{
    const int cell = cellAt(viewportPosition + QPoint(0, verticalScrollBar()->value()));
    return cell >= 0 ? TokenRef{m_cells[size_t(cell)].text, m_cells[size_t(cell)].token}
                     : TokenRef{};
}

void TokenStripView::setSelectedToken(TokenRef ref)
{
    if (ref == m_selected) {
        return;
    }
    const QRect old = tokenRect(m_selected);
    m_selected = cellIndex(ref) >= 0 ? ref : TokenRef{};
    viewport()->update(old.adjusted(-2, -2, 2, 2));
    viewport()->update(tokenRect(m_selected).adjusted(-2, -2, 2, 2));
}

void TokenStripView::setToolTipProvider(std::function<QString(TokenRef)> provider)
{
    m_toolTip = std::move(provider);
}

void TokenStripView::ensureVisible(TokenRef ref)
{
    const int cell = cellIndex(ref);
    if (cell < 0) {
        return;
    }
    const QRect rect = m_cells[size_t(cell)].rect;
    const int top = verticalScrollBar()->value();
    const int height = viewport()->height();
    if (rect.top() < top) {
        verticalScrollBar()->setValue(rect.top() - kMargin);
    } else if (rect.bottom() > top + height) {
        verticalScrollBar()->setValue(rect.bottom() - height + kMargin);
    }
}

int TokenStripView::cellIndex(TokenRef ref) const
{
    if (!m_analysis || ref.text < 0 || size_t(ref.text) >= m_textFirstCell.size() ||
        ref.token < 0 || ref.token >= m_analysis->texts[size_t(ref.text)].tokenCount()) {
        return -1;
    }
    return m_textFirstCell[size_t(ref.text)] + ref.token;
}

int TokenStripView::cellAt(const QPoint &position) const
{
    // Lines are sorted by top: binary search the line, then the cells of that line by x.
    const auto line = std::upper_bound(m_lines.begin(), m_lines.end(), position.y(),
                                       [](int y, const Line &l) { return y < l.top; });
    if (line == m_lines.begin()) {
        return -1;
    }
    const Line &l = *std::prev(line);
    if (position.y() >= l.bottom) {
        return -1;
    }
    const auto first = m_cells.begin() + l.firstCell;
    const auto last = m_cells.begin() + l.endCell;
    const auto cell = std::upper_bound(first, last, position.x(),
                                       [](int x, const Cell &c) { return x < c.rect.left(); });
    if (cell == first) {
        return -1;
    }
    const auto hit = std::prev(cell);
    return hit->rect.contains(position) ? int(hit - m_cells.begin()) : -1;
}

QRect TokenStripView::toViewport(const QRect &content) const
{
    return content.translated(0, -verticalScrollBar()->value());
}

void TokenStripView::relayout()
{
    const int width = viewport()->width();
    m_layoutWidth = width;
    m_cells.clear();
    m_lines.clear();
    m_textFirstCell.clear();
    m_contentHeight = 0;
    if (!m_analysis) {
        invalidateTiles();
        verticalScrollBar()->setRange(0, 0);
        return;
    }
    ++m_layoutCount;
    const QFontMetrics metrics(font());
    m_gutter = 0;
    for (const QString &label : m_rowLabels) {
        m_gutter = std::max(m_gutter, metrics.horizontalAdvance(label));
    }
    if (m_gutter > 0) {
        m_gutter = std::min(m_gutter + 2 * kMargin, std::max(60, width / 4));
    }
    const int lineHeight = metrics.height() + 2 * kPadY;
    const int left = m_gutter + kMargin;
    const int right = std::max(left + 40, width - kMargin);
    QHash<QString, int> advance;  // pieces repeat a lot: measure each once
    QHash<QString, int> glyphIndex;
    m_glyphs.clear();
    m_cells.reserve(size_t(m_analysis->totalTokens()));
    int y = kMargin;
    for (size_t t = 0; t < m_analysis->texts.size(); ++t) {
        const TextActivations &text = m_analysis->texts[t];
        m_textFirstCell.push_back(int(m_cells.size()));
        int x = left;
        Line line{y, y + lineHeight, int(m_cells.size()), int(m_cells.size())};
        for (int k = 0; k < text.tokenCount(); ++k) {
            Cell cell;
            cell.text = int(t);
            cell.token = k;
            cell.label = visibleToken(text.tokens[size_t(k)].piece);
            auto known = advance.find(cell.label);
            if (known == advance.end()) {
                known = advance.insert(cell.label, metrics.horizontalAdvance(cell.label));
            }
            const int w = std::min(known.value() + 2 * kPadX, right - left);
            if (known.value() + 2 * kPadX > w) {
                cell.label = metrics.elidedText(cell.label, Qt::ElideRight, w - 2 * kPadX);
            }
            auto glyphs = glyphIndex.find(cell.label);
            if (glyphs == glyphIndex.end()) {
                QStaticText laidOut(cell.label);
                laidOut.setTextFormat(Qt::PlainText);
                laidOut.setPerformanceHint(QStaticText::AggressiveCaching);
                laidOut.prepare(QTransform(), font());
                glyphs = glyphIndex.insert(cell.label, int(m_glyphs.size()));
                m_glyphs.push_back(std::move(laidOut));
            }
            cell.glyphs = glyphs.value();
            if (x + w > right && x > left) {
                line.endCell = int(m_cells.size());
                m_lines.push_back(line);
                y += lineHeight + kLineGap;
                x = left;
                line = Line{y, y + lineHeight, int(m_cells.size()), int(m_cells.size())};
            }
            cell.rect = QRect(x, y, w, lineHeight);
            x += w + kCellGap;
            m_cells.push_back(std::move(cell));
        }
        line.endCell = int(m_cells.size());
        m_lines.push_back(line);
        y += lineHeight + kLineGap + kTextGap;
    }
    m_contentHeight = y + kMargin;
    verticalScrollBar()->setPageStep(viewport()->height());
    verticalScrollBar()->setSingleStep(lineHeight + kLineGap);
    verticalScrollBar()->setRange(0, std::max(0, m_contentHeight - viewport()->height()));
    invalidateTiles();
}

void TokenStripView::recolour()
{
    m_values.assign(m_cells.size(), 0.0f);
    m_colours.assign(m_cells.size(), 0);
    m_max = 0.0;
    if (m_analysis && m_index >= 0) {
        const bool hook = m_source == Source::HookDimension;
        const int dModel = m_analysis->dModel;
        for (Cell &cell : m_cells) {
            const TextActivations &text = m_analysis->texts[size_t(cell.text)];
            float v = 0.0f;
            if (!hook) {
                v = text.activation(cell.token, m_index);
            } else if (m_index < dModel && !text.hook.empty()) {
                v = text.hook[size_t(cell.token) * size_t(dModel) + size_t(m_index)];
            }
            m_values[size_t(&cell - m_cells.data())] = v;
            if (!text.tokens[size_t(cell.token)].bos) {
                m_max = std::max(m_max, double(std::abs(v)));
            }
        }
        const ColourScale scale = colourScale();
        for (size_t i = 0; i < m_cells.size(); ++i) {
            m_colours[i] = activationColour(scale, m_values[i], m_max);
        }
    }
    m_textColours.assign(m_cells.size(), 0);
    for (size_t i = 0; i < m_cells.size(); ++i) {
        const QColor on = textColourOn(m_colours[i]);
        m_textColours[i] = on.isValid() ? on.rgba() : 0;
    }
    invalidateTiles();
}

void TokenStripView::invalidateTiles()
{
    m_tiles.assign(size_t((m_contentHeight + kTileHeight - 1) / kTileHeight), QImage());
    viewport()->update();
}

const QImage &TokenStripView::tile(int index)
{
    QImage &image = m_tiles[size_t(index)];
    if (image.isNull()) {
        renderTile(index, &image);
        ++m_tileRenders;
    }
    return image;
}

void TokenStripView::renderTile(int index, QImage *image) const
{
    const qreal ratio = devicePixelRatioF();
    const int width = std::max(1, viewport()->width());
    *image = QImage(QSize(width, kTileHeight) * ratio, QImage::Format_ARGB32_Premultiplied);
    image->setDevicePixelRatio(ratio);
    const QPalette palette = this->palette();
    image->fill(palette.color(QPalette::Base));
    QPainter painter(image);
    const int top = index * kTileHeight;
    painter.translate(0, -top);
    const QColor text = palette.color(QPalette::Text);
    QColor boundary = text;
    boundary.setAlphaF(0.16);
    QColor bosText = palette.color(QPalette::PlaceholderText);
    const QFontMetrics metrics(font());
    // Lines overlapping the tile (lines are sorted by top).
    const auto first = std::lower_bound(m_lines.begin(), m_lines.end(), top,
                                        [](const Line &l, int y) { return l.bottom <= y; });
    for (auto line = first; line != m_lines.end() && line->top < top + kTileHeight; ++line) {
        for (int c = line->firstCell; c < line->endCell; ++c) {
            const Cell &cell = m_cells[size_t(c)];
            const QRgb colour = m_colours[size_t(c)];
            const bool bos = m_analysis->texts[size_t(cell.text)].tokens[size_t(cell.token)].bos;
            if (qAlpha(colour) != 0 && !bos) {
                painter.fillRect(cell.rect, QColor::fromRgb(colour));
            } else {
                painter.setPen(boundary);
                painter.drawRect(cell.rect.adjusted(0, 0, -1, -1));
            }
            const QRgb on = bos ? 0 : m_textColours[size_t(c)];
            const QColor pen = bos ? bosText : on != 0 ? QColor::fromRgba(on) : text;
            if (painter.pen().color() != pen) {
                painter.setPen(pen);
            }
            // Labels were elided and laid out once per layout: no text shaping here.
            painter.drawStaticText(QPoint(cell.rect.left() + kPadX, cell.rect.top() + kPadY),
                                   m_glyphs[size_t(cell.glyphs)]);
        }
        // The row label of a prompt set's item, beside its first line.
        if (m_gutter > 0 && line->firstCell < line->endCell) {
            const Cell &firstCell = m_cells[size_t(line->firstCell)];
            if (firstCell.token == 0 && firstCell.text < m_rowLabels.size()) {
                painter.setPen(bosText);
                painter.drawText(
                        QRect(kMargin, line->top, m_gutter - kMargin, line->bottom - line->top),
                        Qt::AlignLeft | Qt::AlignVCenter,
                        metrics.elidedText(m_rowLabels.at(firstCell.text), Qt::ElideRight,
                                           m_gutter - 2 * kMargin));
            }
        }
    }
}

void TokenStripView::paintEvent(QPaintEvent *event)
{
    QPainter painter(viewport());
    const QRect dirty = event->rect();
    const int scroll = verticalScrollBar()->value();
    painter.fillRect(dirty, palette().color(QPalette::Base));
    if (!m_analysis) {
        return;
    }
    const int firstTile = std::max(0, (dirty.top() + scroll) / kTileHeight);
    const int lastTile = std::min(int(m_tiles.size()) - 1, (dirty.bottom() + scroll) / kTileHeight);
    for (int t = firstTile; t <= lastTile; ++t) {
        painter.drawImage(QPoint(0, t * kTileHeight - scroll), tile(t));
    }
    const QColor highlight = palette().color(QPalette::Highlight);
    if (m_hover.isValid() && m_hover != m_selected) {
        painter.setPen(QPen(highlight, 1));
        painter.drawRect(tokenRect(m_hover).adjusted(0, 0, -1, -1));
    }
    if (m_selected.isValid()) {
        painter.setPen(QPen(highlight, 2));
        painter.drawRect(tokenRect(m_selected).adjusted(-1, -1, 0, 0));
    }
}

void TokenStripView::resizeEvent(QResizeEvent *event)
{
    QAbstractScrollArea::resizeEvent(event);
    if (viewport()->width() != m_layoutWidth) {
        relayout();  // colours are per cell and survive; tiles are re-rendered lazily
    } else {
        verticalScrollBar()->setPageStep(viewport()->height());
        verticalScrollBar()->setRange(0, std::max(0, m_contentHeight - viewport()->height()));
    }
}

void TokenStripView::changeEvent(QEvent *event)
{
    QAbstractScrollArea::changeEvent(event);
    if (event->type() == QEvent::FontChange) {
        relayout();
    } else if (event->type() == QEvent::PaletteChange) {
        invalidateTiles();
    }
}

void TokenStripView::setHover(TokenRef ref)
{
    if (ref == m_hover) {
        return;
    }
    viewport()->update(tokenRect(m_hover).adjusted(-2, -2, 2, 2));
    m_hover = ref;
    viewport()->update(tokenRect(m_hover).adjusted(-2, -2, 2, 2));
    Q_EMIT hoveredTokenChanged(ref);
}

void TokenStripView::mouseMoveEvent(QMouseEvent *event)
{
    setHover(tokenAt(event->position().toPoint()));
    QAbstractScrollArea::mouseMoveEvent(event);
}

void TokenStripView::leaveEvent(QEvent *event)
{
    setHover({});
    QAbstractScrollArea::leaveEvent(event);
}

void TokenStripView::mousePressEvent(QMouseEvent *event)
{
    const TokenRef ref = tokenAt(event->position().toPoint());
    if (event->button() == Qt::LeftButton && ref.isValid()) {
        if (event->modifiers() & Qt::ShiftModifier) {
            Q_EMIT clampRequested(ref);
        } else {
            setSelectedToken(ref);
            Q_EMIT tokenClicked(ref);
        }
        return;
    }
    QAbstractScrollArea::mousePressEvent(event);
}

void TokenStripView::contextMenuEvent(QContextMenuEvent *event)
{
    const TokenRef ref = tokenAt(event->pos());
    if (!ref.isValid() || m_source != Source::Feature || m_index < 0) {
        return;
    }
    QMenu menu(this);
    QAction *clamp = menu.addAction(tr("Clamp feature %1").arg(m_index));
    if (menu.exec(event->globalPos()) == clamp) {
        Q_EMIT clampRequested(ref);
    }
}

bool TokenStripView::viewportEvent(QEvent *event)
{
    if (event->type() == QEvent::ToolTip) {
        auto *help = static_cast<QHelpEvent *>(event);
        const TokenRef ref = tokenAt(help->pos());
        if (ref.isValid() && m_toolTip) {
            QToolTip::showText(help->globalPos(), m_toolTip(ref), viewport(), tokenRect(ref));
        } else {
            QToolTip::hideText();
        }
        return true;
    }
    return QAbstractScrollArea::viewportEvent(event);
}

void TokenStripView::scrollContentsBy(int, int)
{
    viewport()->update();
}

}  // namespace gyrus::widgets
