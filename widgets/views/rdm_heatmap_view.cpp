#include "widgets/views/rdm_heatmap_view.h"

#include "widgets/common/colour_maps.h"
#include "widgets/views/activation_colour_map.h"

#include <QFontMetricsF>
#include <QMouseEvent>
#include <QPainter>
#include <QToolTip>

#include <algorithm>
#include <cmath>

namespace gyrus::widgets {

namespace {

constexpr double kTitleHeight = 22.0;
constexpr double kStrip = 6.0;  // condition colour strip beside rows and above columns
constexpr double kLegendBar = 12.0;
constexpr double kMaxLabelWidth = 110.0;

QString elided(const QString &text, int length = 90)
{
    return text.size() <= length ? text : text.left(length - 1) + QChar(0x2026);
}

}  // namespace

RdmHeatmapView::RdmHeatmapView(QWidget *parent)
    : QWidget(parent)
{
    setMouseTracking(true);
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
}

void RdmHeatmapView::setMatrix(const Rdm &rdm, const QStringList &texts,
                               const QStringList &conditions, Scale scale, const QString &title,
                               const QString &valueName)
{
    m_rdm = rdm;
    m_texts = texts;
    m_conditions = conditions;
    m_scale = scale;
    m_title = title;
    m_valueName = valueName;
    m_message.clear();
    m_boundaries.clear();
    for (int row = 1; row < m_conditions.size(); ++row) {
        if (m_conditions[row] != m_conditions[row - 1]) {
            m_boundaries << row;
        }
    }
    const std::vector<float> &values = rdm.condensed();
    if (values.empty()) {
        m_low = 0.0;
        m_high = 1.0;
    } else if (scale == Scale::Diverging) {
        double largest = 0.0;
        for (float v : values) {
            largest = std::max(largest, std::abs(double(v)));
        }
        m_high = largest > 0.0 ? largest : 1.0;
        m_low = -m_high;
    } else {
        const auto [lo, hi] = std::minmax_element(values.begin(), values.end());
        m_low = *lo;
        m_high = *hi > *lo ? double(*hi) : double(*lo) + 1.0;
    }
    const int n = int(rdm.size());
    m_image = QImage(std::max(n, 1), std::max(n, 1), QImage::Format_RGB32);
    const QRgb diagonal = palette().color(QPalette::Mid).rgb();
    for (int i = 0; i < n; ++i) {
        auto *line = reinterpret_cast<QRgb *>(m_image.scanLine(i));
        for (int j = 0; j < n; ++j) {
            // The diagonal is 0 by definition; grey keeps it from stretching the colour scale.
            line[j] =
                    i == j && scale == Scale::Sequential ? diagonal : colourOf(rdm.at(i, j)).rgb();
        }
    }
    update();
}

void RdmHeatmapView::clear(const QString &message)
{
    m_rdm = Rdm();
    m_texts.clear();
    m_conditions.clear();
    m_boundaries.clear();
    m_image = QImage();
    m_message = message;
    update();
}

QColor RdmHeatmapView::colourOf(double value) const
{
    const double t = (value - m_low) / (m_high - m_low);
    return m_scale == Scale::Diverging
                   ? QColor(activationColour(ColourScale::Diverging, value, m_high))
                   : viridis(t);
}

QString RdmHeatmapView::hoverText(int row, int column) const
{
    const int n = int(m_rdm.size());
    if (row < 0 || column < 0 || row >= n || column >= n) {
        return QString();
    }
    auto item = [this](int k) {
        return QStringLiteral("<b>%1</b> <i>(%2)</i><br>%3")
                .arg(m_rdm.ids()[k].toHtmlEscaped(), m_conditions.value(k).toHtmlEscaped(),
                     elided(m_texts.value(k)).toHtmlEscaped());
    };
    return QStringLiteral("%1<br>%2<br>%3 = <b>%4</b>")
            .arg(item(row), item(column), m_valueName.toHtmlEscaped(),
                 QString::number(double(m_rdm.at(row, column)), 'g', 4));
}

double RdmHeatmapView::labelWidth() const
{
    const QFontMetricsF metrics(font());
    double labels = 0.0;
    QString previous;
    for (const QString &condition : m_conditions) {
        if (condition != previous) {
            labels = std::max(labels, metrics.horizontalAdvance(condition));
            previous = condition;
        }
    }
    return std::min(kMaxLabelWidth, labels + 8.0);
}

double RdmHeatmapView::legendWidth() const
{
    const QFontMetricsF metrics(font());
    double widest = 0.0;
    for (double value : {m_low, 0.5 * (m_low + m_high), m_high}) {
        widest = std::max(widest, metrics.horizontalAdvance(QString::number(value, 'g', 3)));
    }
    return 10.0 + kLegendBar + 5.0 + widest + 4.0;
}

RdmHeatmapView::Layout RdmHeatmapView::layoutFor(const QRectF &target) const
{
    Layout layout;
    layout.labelWidth = labelWidth();
    layout.title = QRectF(target.left(), target.top(), target.width(), kTitleHeight);
    const double left = target.left() + layout.labelWidth + kStrip + 2.0;
    const double top = target.top() + kTitleHeight + kStrip + 2.0;
    const double side = std::max(
            10.0, std::min(target.right() - legendWidth() - left, target.bottom() - 4.0 - top));
    layout.matrix = QRectF(left, top, side, side);
    layout.legend = QRectF(layout.matrix.right() + 10.0, top, kLegendBar, side);
    return layout;
}

double RdmHeatmapView::heightForWidth(double width) const
{
    const double side = width - legendWidth() - labelWidth() - kStrip - 2.0;
    return kTitleHeight + kStrip + 2.0 + std::max(10.0, side) + 4.0;
}

void RdmHeatmapView::render(QPainter &painter, const QRectF &target) const
{
    painter.save();
    painter.setFont(font());
    const QPalette pal = palette();
    painter.setPen(pal.color(QPalette::WindowText));
    if (!hasMatrix()) {
        painter.drawText(target, Qt::AlignCenter | Qt::TextWordWrap, m_message);
        painter.restore();
        return;
    }
    const Layout layout = layoutFor(target);
    QFont bold = font();
    bold.setBold(true);
    painter.setFont(bold);
    painter.drawText(layout.title, Qt::AlignLeft | Qt::AlignVCenter,
                     QFontMetricsF(bold).elidedText(m_title, Qt::ElideRight, target.width()));
    painter.setFont(font());

    // Cells: nearest-neighbour scaling keeps every cell a crisp square.
    painter.setRenderHint(QPainter::SmoothPixmapTransform, false);
    painter.drawImage(layout.matrix, m_image);

    const int n = int(m_rdm.size());
    const double cell = layout.matrix.width() / n;
    // Condition strips and names, one block per run of equal conditions.
    int start = 0;
    QStringList seen;
    for (int row = 1; row <= n; ++row) {
        if (row < n && m_conditions[row] == m_conditions[start]) {
            continue;
        }
        int index = int(seen.indexOf(m_conditions[start]));
        if (index < 0) {
            seen << m_conditions[start];
            index = int(seen.size()) - 1;
        }
        const QColor colour = categoricalColour(index);
        const double a = layout.matrix.top() + start * cell;
        const double b = layout.matrix.top() + row * cell;
        painter.fillRect(QRectF(layout.matrix.left() - kStrip - 2.0, a, kStrip, b - a), colour);
        const double c = layout.matrix.left() + start * cell;
        const double d = layout.matrix.left() + row * cell;
        painter.fillRect(QRectF(c, layout.matrix.top() - kStrip - 2.0, d - c, kStrip), colour);
        const QRectF label(target.left(), a, layout.labelWidth, b - a);
        if (b - a >= QFontMetricsF(font()).height() * 0.8) {
            painter.drawText(label, Qt::AlignRight | Qt::AlignVCenter,
                             QFontMetricsF(font()).elidedText(m_conditions[start], Qt::ElideMiddle,
                                                              layout.labelWidth - 6.0));
        }
        start = row;
    }
    // Boundaries: lines in the window colour, so blocks read as separate cells of the design.
    QPen boundary(pal.color(QPalette::Window), std::max(1.0, std::min(2.5, cell * 0.35)));
    painter.setPen(boundary);
    for (int row : m_boundaries) {
        const double y = layout.matrix.top() + row * cell;
        const double x = layout.matrix.left() + row * cell;
        painter.drawLine(QPointF(layout.matrix.left(), y), QPointF(layout.matrix.right(), y));
        painter.drawLine(QPointF(x, layout.matrix.top()), QPointF(x, layout.matrix.bottom()));
    }

    // Legend: a vertical bar with the range and the middle value.
    const QRectF bar = layout.legend;
    const int steps = 64;
    for (int s = 0; s < steps; ++s) {
        const double t = 1.0 - (s + 0.5) / steps;
        painter.fillRect(QRectF(bar.left(), bar.top() + s * bar.height() / steps, bar.width(),
                                bar.height() / steps + 0.5),
                         m_scale == Scale::Diverging
                                 ? QColor(activationColour(ColourScale::Diverging,
                                                           m_low + t * (m_high - m_low), m_high))
                                 : viridis(t));
    }
    painter.setPen(pal.color(QPalette::WindowText));
    const QFontMetricsF metrics(font());
    for (double t : {0.0, 0.5, 1.0}) {
        const double value = m_low + t * (m_high - m_low);
        const double y = bar.bottom() - t * bar.height();
        painter.drawLine(QPointF(bar.right(), y), QPointF(bar.right() + 3.0, y));
        const QRectF text(bar.right() + 5.0, y - metrics.height() / 2,
                          legendWidth() - kLegendBar - 10.0, metrics.height());
        painter.drawText(text, Qt::AlignLeft | Qt::AlignVCenter, QString::number(value, 'g', 3));
    }
    painter.restore();
}

void RdmHeatmapView::paintEvent(QPaintEvent *)
{
    QPainter painter(this);
    render(painter, QRectF(rect()).adjusted(4, 2, -4, -4));
}

std::optional<std::pair<int, int>> RdmHeatmapView::cellAt(const QPoint &position) const
{
    if (!hasMatrix()) {
        return std::nullopt;
    }
    const Layout layout = layoutFor(QRectF(rect()).adjusted(4, 2, -4, -4));
    if (!layout.matrix.contains(position)) {
        return std::nullopt;
    }
    const int n = int(m_rdm.size());
    const double cell = layout.matrix.width() / n;
    const int row = std::clamp(int((position.y() - layout.matrix.top()) / cell), 0, n - 1);
    const int column = std::clamp(int((position.x() - layout.matrix.left()) / cell), 0, n - 1);
    return std::make_pair(row, column);
}

void RdmHeatmapView::mouseMoveEvent(QMouseEvent *event)
{
    const auto cell = cellAt(event->position().toPoint());
    if (!cell) {
        // Left of the matrix: the condition label there, which may be elided.
        const QPoint position = event->position().toPoint();
        const Layout layout = layoutFor(QRectF(rect()).adjusted(4, 2, -4, -4));
        const int n = int(m_rdm.size());
        if (hasMatrix() && position.x() < layout.matrix.left() &&
            position.y() >= layout.matrix.top() && position.y() < layout.matrix.bottom()) {
            const int row = std::clamp(
                    int((position.y() - layout.matrix.top()) / (layout.matrix.height() / n)), 0,
                    n - 1);
            if (row < int(m_conditions.size())) {
                QToolTip::showText(event->globalPosition().toPoint(), m_conditions[row], this);
                return;
            }
        }
        QToolTip::hideText();
        return;
    }
    QToolTip::showText(event->globalPosition().toPoint(), hoverText(cell->first, cell->second),
                       this);
}

}  // namespace gyrus::widgets
