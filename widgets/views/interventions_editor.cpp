#include "widgets/views/interventions_editor.h"

#include "widgets/common/combo_choices.h"
#include "widgets/common/eliding_style.h"
#include "widgets/common/flow_layout.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>

namespace gyrus::widgets {

InterventionsEditor::InterventionsEditor(QWidget *parent)
    : QWidget(parent)
    , m_heads(new QLineEdit(this))
    , m_concept(new QCheckBox(tr("Concept"), this))
    , m_sideA(new ElidingComboBox(this))
    , m_sideB(new ElidingComboBox(this))
    , m_hook(new ElidingComboBox(this))
    , m_alpha(new QDoubleSpinBox(this))
{
    m_heads->setPlaceholderText(tr("e.g. 1.2, 3.0=mean"));
    m_heads->setToolTip(
            tr("Attention heads to ablate, LAYER.HEAD separated by commas: the head's output "
               "before the output projection is set to zero, or with =mean to its mean over the "
               "prompt (BOS is never edited)"));
    m_concept->setToolTip(
            tr("Add α × the open prompt set's concept vector (mean of side A's items minus side "
               "B's, last-token pooling) at the hook, at every token after BOS"));
    m_sideA->setToolTip(tr("Side A: a condition or factor=level"));
    m_sideB->setToolTip(tr("Side B"));
    m_hook->setToolTip(tr("Residual hook the vector is measured at and added to"));
    m_alpha->setRange(-1000.0, 1000.0);
    m_alpha->setDecimals(2);
    m_alpha->setValue(4.0);
    m_alpha->setPrefix(tr("α "));
    // Groups that reflow into more lines when the dock is narrow.
    m_heads->setMinimumWidth(m_heads->fontMetrics().horizontalAdvance(QStringLiteral("M")) * 8);
    auto *flow = new FlowLayout(this, 8, 2);
    flow->setContentsMargins(0, 0, 0, 0);
    flow->addGroup({new QLabel(tr("Ablate heads"), this), m_heads});
    flow->addGroup({m_concept, m_sideA});
    flow->addGroup({new QLabel(tr("−"), this), m_sideB});
    flow->addGroup({m_alpha});
    flow->addGroup({new QLabel(tr("at"), this), m_hook});
    connect(m_heads, &QLineEdit::textChanged, this, &InterventionsEditor::changed);
    connect(m_concept, &QCheckBox::toggled, this, [this] {
        updateEnabled();
        Q_EMIT changed();
    });
    for (QComboBox *combo : {m_sideA, m_sideB, m_hook}) {
        connect(combo, &QComboBox::currentTextChanged, this, &InterventionsEditor::changed);
    }
    connect(m_alpha, &QDoubleSpinBox::valueChanged, this, &InterventionsEditor::changed);
    updateEnabled();
}

void InterventionsEditor::setPromptSet(const PromptSet &set)
{
    m_set = set;
    const QStringList sides = contrastSides(set);
    offerContrastSides(m_sideA, m_sideB, sides);
    updateEnabled();
}

void InterventionsEditor::setHookNames(const QStringList &names)
{
    QStringList residual;
    for (const QString &name : names) {
        if (name.contains(QLatin1String("hook_resid"))) {
            residual << name;
        }
    }
    replaceComboItems(m_hook, residual);
    if (m_hook->currentIndex() < 0 && !residual.isEmpty()) {
        m_hook->setCurrentIndex(residual.size() / 2);
    }
}

Result<Interventions> InterventionsEditor::interventions() const
{
    Interventions out;
    for (const QString &part : m_heads->text().split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        if (part.trimmed().isEmpty()) {
            continue;
        }
        const std::optional<HeadAblation> ablation = parseHeadAblation(part);
        if (!ablation) {
            return Status::invalidInput(
                    tr("Ablate heads: '%1' is not LAYER.HEAD, LAYER.HEAD=zero or LAYER.HEAD=mean")
                            .arg(part.trimmed()));
        }
        out.heads.append(*ablation);
    }
    if (m_concept->isChecked()) {
        if (m_set.items.isEmpty() || m_sideA->currentText().isEmpty() ||
            m_sideB->currentText().isEmpty()) {
            return Status::invalidInput(
                    tr("Concept vector: open a prompt set with two conditions first"));
        }
        if (m_sideA->currentText() == m_sideB->currentText()) {
            return Status::invalidInput(tr("Concept vector: sides A and B are the same"));
        }
        if (m_hook->currentText().isEmpty()) {
            return Status::invalidInput(tr("Concept vector: load a model to choose its hook"));
        }
        SteeringVector vector;
        vector.hook = m_hook->currentText();
        vector.alpha = m_alpha->value();
        vector.label =
                QStringLiteral("%1 − %2").arg(m_sideA->currentText(), m_sideB->currentText());
        vector.concept = ConceptSource{m_set, m_sideA->currentText(), m_sideB->currentText(),
                                       Pooling::LastToken};
        out.vectors.append(vector);
    }
    return out;
}

QString InterventionsEditor::describe(const Interventions &interventions)
{
    QStringList parts;
    if (!interventions.heads.isEmpty()) {
        parts << tr("%n head(s) ablated", nullptr, int(interventions.heads.size()));
    }
    for (const SteeringVector &vector : interventions.vectors) {
        parts << tr("%1 at α = %2").arg(vector.label).arg(vector.alpha);
    }
    return parts.join(QStringLiteral(", "));
}

QJsonObject InterventionsEditor::state() const
{
    return {{QStringLiteral("heads"), m_heads->text()},
            {QStringLiteral("concept"), m_concept->isChecked()},
            {QStringLiteral("a"), m_sideA->currentText()},
            {QStringLiteral("b"), m_sideB->currentText()},
            {QStringLiteral("hook"), m_hook->currentText()},
            {QStringLiteral("alpha"), m_alpha->value()}};
}

void InterventionsEditor::restoreState(const QJsonObject &state)
{
    m_heads->setText(state.value(QStringLiteral("heads")).toString());
    m_concept->setChecked(state.value(QStringLiteral("concept")).toBool());
    const auto choose = [](QComboBox *combo, const QString &text) {
        if (text.isEmpty()) {
            return;
        }
        if (combo->findText(text) < 0) {
            combo->addItem(text);  // a model or set not loaded yet: keep the choice
        }
        combo->setCurrentIndex(combo->findText(text));
    };
    choose(m_sideA, state.value(QStringLiteral("a")).toString());
    choose(m_sideB, state.value(QStringLiteral("b")).toString());
    choose(m_hook, state.value(QStringLiteral("hook")).toString());
    if (state.contains(QStringLiteral("alpha"))) {
        m_alpha->setValue(state.value(QStringLiteral("alpha")).toDouble());
    }
    updateEnabled();
}

void InterventionsEditor::updateEnabled()
{
    const bool concept = m_concept->isChecked();
    for (QWidget *widget : {static_cast<QWidget *>(m_sideA), static_cast<QWidget *>(m_sideB),
                            static_cast<QWidget *>(m_hook), static_cast<QWidget *>(m_alpha)}) {
        widget->setEnabled(concept);
    }
}

}  // namespace gyrus::widgets
