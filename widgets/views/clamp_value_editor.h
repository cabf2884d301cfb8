#pragma once
// The value of one clamp: a slider with the feature's observed activation range drawn under it,
// and a spin box for exact numbers. The slider's span follows the mode (an activation for clamp,
// a factor for scale, ±α for add).

#include "core/steering/clamp_set.h"

#include <QWidget>

#include <optional>

class QDoubleSpinBox;
class QLabel;

namespace gyrus::widgets {

class RangeSlider;

class ClampValueEditor : public QWidget
{
    Q_OBJECT
public:
    explicit ClampValueEditor(QWidget *parent = nullptr);

    /// Shows `value` for a clamp in `mode`; `observedMin/Max` mark the range the feature took.
    void setClamp(ClampMode mode, double value, std::optional<std::pair<double, double>> observed);

    double value() const;

    QDoubleSpinBox *spinBox() const { return m_spin; }

Q_SIGNALS:
    /// The user moved the slider or typed a value.
    void valueEdited(double value);

private:
    void updateSpan();
    int toSlider(double value) const;
    double fromSlider(int position) const;

    RangeSlider *m_slider;
    QDoubleSpinBox *m_spin;
    QLabel *m_caption;
    ClampMode m_mode = ClampMode::Clamp;
    std::optional<std::pair<double, double>> m_observed;
    double m_low = 0.0;
    double m_high = 1.0;
    bool m_updating = false;
};

}  // namespace gyrus::widgets
