#pragma once
// The Steering dock's interventions beside the clamp set: attention heads to ablate ("1.2,
// 3.0=mean": zero or the prompt mean) and a concept vector from the open prompt set's contrast
// (side A − side B at a residual hook) added with a strength α. Engine-free: it only turns what
// the user typed into core/steering/interventions.h values; the engine computes the concept vector.

#include "core/base/status.h"
#include "core/prompts/prompt_set.h"
#include "core/steering/interventions.h"

#include <QJsonObject>
#include <QWidget>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLineEdit;

namespace gyrus::widgets {

class InterventionsEditor : public QWidget
{
    Q_OBJECT
public:
    explicit InterventionsEditor(QWidget *parent = nullptr);

    /// The sides offered for the concept vector: the set's conditions and factor=level.
    void setPromptSet(const PromptSet &set);
    /// The hooks offered for the concept vector (the model's residual hooks are kept).
    void setHookNames(const QStringList &names);

    /// What to run; errors name the field ("heads: 'x' is not LAYER.HEAD ...").
    Result<Interventions> interventions() const;

    /// A one-line summary for the status line ("2 heads ablated, concept vector α = 4").
    static QString describe(const Interventions &interventions);

    QLineEdit *headsEdit() const { return m_heads; }

    QCheckBox *conceptCheck() const { return m_concept; }

    QComboBox *sideA() const { return m_sideA; }

    QComboBox *sideB() const { return m_sideB; }

    QComboBox *hook() const { return m_hook; }

    QDoubleSpinBox *alpha() const { return m_alpha; }

    /// The fields as JSON for the workspace, and back.
    QJsonObject state() const;
    void restoreState(const QJsonObject &state);

Q_SIGNALS:
    void changed();

private:
    void updateEnabled();

    PromptSet m_set;
    QLineEdit *m_heads;
    QCheckBox *m_concept;
    QComboBox *m_sideA;
    QComboBox *m_sideB;
    QComboBox *m_hook;
    QDoubleSpinBox *m_alpha;
};

}  // namespace gyrus::widgets
