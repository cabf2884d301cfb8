#pragma once

#include "core/contrasts/contrast_requests.h"
#include "core/engine/engine_types.h"

#include <QJsonObject>
#include <QWidget>

#include <optional>

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
    /// Chooses `source`'s settings (not its prompt set: setPromptSet); what is not offered is
    /// left as it is. The hook is left alone when `source` reads SAE features (at the SAE's).
    void setSource(const ContrastSource &source);

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
    bool setPooling(Pooling pooling);

    /// The choices as JSON (factor, levels, 2 × 2, hook, representation, pooling, window), and
    /// back: a value the current prompt set or model does not offer is skipped.
    QJsonObject settingsState() const;
    void restoreSettingsState(const QJsonObject &state);

Q_SIGNALS:
    /// Any setting changed (results on screen no longer match the form).
    void changed();

private:
    void refillFactors();
    void refillLevels();
    void updateEnabled();

    PromptSet m_set;
    SaeInfo m_sae;
    // Restored choices the model or SAE loaded after the workspace must not override, and the
    // restored state itself, which is what the form stands for until they have arrived (or the
    // user changes something): loading what a workspace refers to is not a change to it.
    std::optional<bool> m_restoredSaeFeatures;
    QString m_restoredHook;
    QJsonObject m_restoredState;
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
