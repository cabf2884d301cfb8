#include "widgets/views/clamp_value_editor.h"

#include <QDoubleSpinBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QPainter>
#include <QSlider>
#include <QStyleOptionSlider>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace gyrus::widgets {

/// A horizontal slider that paints a band for the observed range and a tick for a reference
/// value (1 for scale, 0 for add) behind its groove.
class RangeSlider : public QSlider
{
public:
    explicit RangeSlider(QWidget *parent)
        : QSlider(Qt::Horizontal, parent)
    {
        setRange(0, 1000);
        setMinimumHeight(26);
        setMinimumWidth(100);  // never squeezed away in a narrow dock
    }

    /// Slider positions in [0, 1000]; a negative `bandFrom` hides the band.
    void setMarks(int bandFrom, int bandTo, int reference)
    {
        m_bandFrom = bandFrom;
        m_bandTo = bandTo;
        m_reference = reference;
        update();
    }

protected:
    void paintEvent(QPaintEvent *event) override
    {
        QStyleOptionSlider option;
        initStyleOption(&option);
        const QRect groove =
                style()->subControlRect(QStyle::CC_Slider, &option, QStyle::SC_SliderGroove, this);
        const QRect handle =
                style()->subControlRect(QStyle::CC_Slider, &option, QStyle::SC_SliderHandle, this);
        // Positions map to the handle's centre travel, not to the groove's ends.
        const int left = groove.left() + handle.width() / 2;
        const int span = std::max(1, groove.width() - handle.width());
        const auto x = [&](int position) { return left + span * position / 1000; };
        QPainter painter(this);
        if (m_bandFrom >= 0) {
            QColor band = palette().color(QPalette::Highlight);
            band.setAlphaF(0.28);
            const int from = x(m_bandFrom);
            const int to = std::max(from + 2, x(m_bandTo));
            painter.fillRect(QRect(from, groove.center().y() - 7, to - from, 14), band);
        }
        if (m_reference >= 0) {
            QColor tick = palette().color(QPalette::Text);
            tick.setAlphaF(0.55);
            painter.setPen(QPen(tick, 1));
            painter.drawLine(x(m_reference), groove.center().y() - 9, x(m_reference),
                             groove.center().y() + 9);
        }
        painter.end();
        QSlider::paintEvent(event);
    }

private:
    int m_bandFrom = -1;
    int m_bandTo = -1;
    int m_reference = -1;
};

ClampValueEditor::ClampValueEditor(QWidget *parent)
    : QWidget(parent)
    , m_slider(new RangeSlider(this))
    , m_spin(new QDoubleSpinBox(this))
    , m_caption(new QLabel(this))
{
    m_spin->setRange(-1e6, 1e6);
    m_spin->setDecimals(3);
    m_spin->setSingleStep(0.1);
    m_spin->setMinimumWidth(90);
    m_spin->setAccelerated(true);
    m_caption->setForegroundRole(QPalette::PlaceholderText);
    m_caption->setWordWrap(true);  // never widens the dock
    auto *row = new QHBoxLayout;
    row->setContentsMargins(0, 0, 0, 0);
    row->addWidget(m_slider, 1);
    row->addWidget(m_spin);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);
    layout->addLayout(row);
    layout->addWidget(m_caption);
    connect(m_slider, &QSlider::valueChanged, this, [this](int position) {
        if (m_updating) {
            return;
        }
        const double value = fromSlider(position);
        m_updating = true;
        m_spin->setValue(value);
        m_updating = false;
        Q_EMIT valueEdited(value);
    });
    connect(m_spin, qOverload<double>(&QDoubleSpinBox::valueChanged), this, [this](double value) {
        if (m_updating) {
            return;
        }
        m_updating = true;
        updateSpan();  // a typed value outside the span widens it
        m_slider->setValue(toSlider(value));
        m_updating = false;
        Q_EMIT valueEdited(value);
    });
    setClamp(ClampMode::Clamp, 0.0, std::nullopt);
}

void ClampValueEditor::setClamp(ClampMode mode, double value,
                                std::optional<std::pair<double, double>> observed)
{
    m_mode = mode;
    m_observed = observed;
    m_updating = true;
    m_spin->setValue(value);
    updateSpan();
    m_slider->setValue(toSlider(value));
    m_updating = false;
}

double ClampValueEditor::value() const
{
    return m_spin->value();
}

void ClampValueEditor::updateSpan()
{
    const double value = m_spin->value();
    const double observedMax = m_observed ? std::max(0.0, m_observed->second) : 0.0;
    const double reach = std::max({2.0 * observedMax, std::abs(value) * 1.25, 1.0});
    QString caption;
    switch (m_mode) {
        case ClampMode::Clamp:
            m_low = std::min({0.0, value, m_observed ? m_observed->first : 0.0});
            m_high = reach;
            caption = tr("activation to hold the feature at");
            break;
        case ClampMode::Scale:
            m_low = std::min(-1.0, value);
            m_high = std::max(4.0, value * 1.25);
            caption = tr("factor (1 = unchanged, 0 = ablate)");
            break;
        case ClampMode::Add:
            m_low = -reach;
            m_high = reach;
            caption = tr("α × decoder direction (0 = unchanged)");
            break;
    }
    const bool showBand = m_observed && m_mode != ClampMode::Scale;
    // One short line: the observed range when known (the band on the slider), else the hint.
    m_slider->setToolTip(caption);
    if (m_observed) {
        caption = tr("on the prompt: %1 … %2")
                          .arg(m_observed->first, 0, 'g', 3)
                          .arg(m_observed->second, 0, 'g', 3);
    }
    const double reference = m_mode == ClampMode::Scale ? 1.0 : 0.0;
    m_slider->setMarks(showBand ? toSlider(m_observed->first) : -1,
                       showBand ? toSlider(m_observed->second) : -1, toSlider(reference));
    m_caption->setText(caption);
}

int ClampValueEditor::toSlider(double value) const
{
    const double t = (value - m_low) / std::max(1e-12, m_high - m_low);
    return static_cast<int>(std::lround(std::clamp(t, 0.0, 1.0) * 1000.0));
}

double ClampValueEditor::fromSlider(int position) const
{
    const double raw = m_low + (m_high - m_low) * position / 1000.0;
    // Round to 3 significant steps of the span, so dragging gives readable numbers.
    const double step = (m_high - m_low) / 1000.0;
    return std::round(raw / step) * step;
}

}  // namespace gyrus::widgets
