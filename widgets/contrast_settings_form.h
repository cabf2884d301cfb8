#pragma once

#include "core/contrast_panel_types.h"
#include "core/engine_types.h"

#include <QWidget>

class QCheckBox;
class QComboBox;
class QLabel;
class QSpinBox;
class QToolButton;

namespace gyrus::widgets {

/// What the Contrasts dock analyses: the prompt set (the one open in the Prompt sets dock), the
/// factor and which of its levels is A and which B (estimates are A − B), the 2 × 2 option, the
/// hook, raw activations or SAE features, and the pooling. Shared by the dock's three tabs.
class ContrastSettingsForm : public QWidget
{
    Q_OBJECT
public:
    explicit ContrastSettingsForm(QWidget *parent = nullptr);

    void setPromptSet(const PromptSet &set);
    /// The loaded model's hook points.
    void setHookNames(const QStringList &hooks);
    /// The loaded SAE (empty path: none): offers "SAE features", read at its hook.
    void setSae(const SaeInfo &sae);

    const PromptSet &promptSet() const { return m_set; }

    /// The request the form describes.
    ContrastSource source() const;

    /// Empty when the form can run; otherwise what is missing, in words.
    QString problem() const;

    /// Whether the set is a 2 × 2 design (two factors of two levels).
    bool isFactorialDesign() const;

    // Programmatic choices (start-up options, tests). False when the value is not offered.
    bool setFactor(const QString &factor);
    bool setLevels(const QString &levelA, const QString &levelB);
    void setFactorial(bool factorial);
    bool setHook(const QString &hook);
    void setSaeFeatures(bool saeFeatures);
    bool setPooling(const QString &pooling);

Q_SIGNALS:
    /// Any setting changed (results on screen no longer match the form).
    void changed();

private:
    void refillFactors();
    void refillLevels();
    void updateEnabled();

    PromptSet m_set;
    SaeInfo m_sae;
    QLabel *m_setName;
    QComboBox *m_factor;
    QComboBox *m_levelA;
    QComboBox *m_levelB;
    QToolButton *m_swap;
    QCheckBox *m_factorial;
    QComboBox *m_hook;
    QComboBox *m_representation;
    QComboBox *m_pooling;
    QSpinBox *m_window;
};

}  // namespace gyrus::widgets
