#include "widgets/views/contrast_settings_form.h"

#include "core/session/result_archive.h"
#include "widgets/common/eliding_style.h"
#include "widgets/common/flow_layout.h"
#include "widgets/common/vocabulary_combo.h"

#include <QCheckBox>
#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QSignalBlocker>
#include <QSpinBox>
#include <QToolButton>

namespace gyrus::widgets {

namespace {

QLabel *caption(const QString &text, QWidget *buddy, QWidget *parent)
{
    auto *label = new QLabel(text, parent);
    label->setBuddy(buddy);
    return label;
}

}  // namespace

ContrastSettingsForm::ContrastSettingsForm(QWidget *parent)
    : QWidget(parent)
    , m_setName(new ElidingLabel(this))
    , m_factor(new ElidingComboBox(this))
    , m_levelA(new ElidingComboBox(this))
    , m_levelB(new ElidingComboBox(this))
    , m_swap(new QToolButton(this))
    , m_factorial(new QCheckBox(tr("2 × 2: main effects and interaction"), this))
    , m_hook(new ElidingComboBox(this))
    , m_representation(new ElidingComboBox(this))
    , m_pooling(new ElidingComboBox(this))
    , m_window(new QSpinBox(this))
{
    m_setName->setToolTip(tr("The prompt set open in the Prompt sets dock"));
    m_factor->setObjectName(QStringLiteral("contrast.factor"));
    m_levelA->setObjectName(QStringLiteral("contrast.levelA"));
    m_levelB->setObjectName(QStringLiteral("contrast.levelB"));
    m_levelA->setToolTip(tr("Condition A: estimates are A − B, so t > 0 means A is higher"));
    m_levelB->setToolTip(tr("Condition B, subtracted from A"));
    m_swap->setText(QStringLiteral("⇄"));
    m_swap->setToolTip(tr("Swap A and B"));
    m_factorial->setObjectName(QStringLiteral("contrast.factorial"));
    m_factorial->setToolTip(
            tr("For a 2 × 2 design: each factor's main effect (its second level minus its "
               "first, averaged over the other factor) and the interaction, instead of A − B"));
    m_hook->setObjectName(QStringLiteral("contrast.hook"));
    m_representation->setObjectName(QStringLiteral("contrast.representation"));
    m_representation->addItem(tr("Raw activations"));
    m_representation->addItem(tr("SAE features"));
    m_representation->setToolTip(
            tr("Raw: the hook's d_model dimensions. SAE features: the loaded SAE's features, "
               "read at the SAE's own hook"));
    m_pooling->setObjectName(QStringLiteral("contrast.pooling"));
    addChoices(m_pooling, {Pooling::Mean, Pooling::LastToken, Pooling::TargetWindow,
                           Pooling::Window, Pooling::LegacyCentred, Pooling::LegacyLeftFirst});
    m_pooling->setToolTip(
            tr("How an item's tokens become one vector (BOS excluded). Aligned window: the "
               "first N tokens' time courses are kept (padding masked), so the method comparison "
               "adds temporal RSA; its tables use each item's mean. The legacy windows reproduce "
               "the original project's, for comparison only"));
    m_window->setObjectName(QStringLiteral("contrast.window"));
    m_window->setRange(0, 64);
    m_window->setPrefix(QStringLiteral("± "));
    m_window->setToolTip(
            tr("Tokens around the item's target (target pooling), or D of a legacy "
               "window"));

    // Groups that reflow into more lines when the dock is narrow (each shrinks, eliding its
    // texts, before it is cut), so the form never makes its dock scroll sideways.
    auto *flow = new FlowLayout(this);
    flow->setContentsMargins(0, 0, 0, 0);
    flow->addGroup({caption(tr("Prompt set"), m_setName, this), m_setName});
    flow->addGroup({caption(tr("Factor"), m_factor, this), m_factor,
                    caption(tr("A"), m_levelA, this), m_levelA, m_swap,
                    caption(tr("B"), m_levelB, this), m_levelB});
    flow->addGroup({m_factorial});
    flow->addGroup({caption(tr("Hook"), m_hook, this), m_hook});
    flow->addGroup({caption(tr("Read"), m_representation, this), m_representation});
    flow->addGroup({caption(tr("pooled by"), m_pooling, this), m_pooling, m_window});

    connect(m_factor, &QComboBox::currentIndexChanged, this, [this] {
        refillLevels();
        updateEnabled();
        Q_EMIT changed();
    });
    for (QComboBox *box : {m_levelA, m_levelB, m_hook, m_pooling}) {
        connect(box, &QComboBox::currentIndexChanged, this, [this] {
            updateEnabled();
            Q_EMIT changed();
        });
    }
    connect(m_representation, &QComboBox::currentIndexChanged, this, [this] {
        if (m_representation->currentIndex() == 1 && !m_sae.hookName.isEmpty()) {
            setHook(m_sae.hookName);
        }
        updateEnabled();
        Q_EMIT changed();
    });
    connect(m_swap, &QToolButton::clicked, this,
            [this] { setLevels(m_levelB->currentText(), m_levelA->currentText()); });
    connect(m_factorial, &QCheckBox::toggled, this, [this] {
        updateEnabled();
        Q_EMIT changed();
    });
    connect(m_window, &QSpinBox::valueChanged, this, &ContrastSettingsForm::changed);
    // A choice the user makes replaces whatever a workspace restored and still waits for.
    auto dropRestored = [this] {
        m_restoredState = QJsonObject();
        m_restoredHook.clear();
        m_restoredSaeFeatures.reset();
    };
    for (QComboBox *box : {m_factor, m_levelA, m_levelB, m_hook, m_representation, m_pooling}) {
        connect(box, &QComboBox::activated, this, dropRestored);
    }
    connect(m_swap, &QToolButton::clicked, this, dropRestored);
    connect(m_factorial, &QCheckBox::clicked, this, dropRestored);
    connect(m_window, &QSpinBox::editingFinished, this, dropRestored);
    setPromptSet(PromptSet());
}

void ContrastSettingsForm::setPromptSet(const PromptSet &set)
{
    const QString previousFactor = m_factor->currentText();
    m_set = set;
    m_setName->setText(set.items.isEmpty() && set.name.isEmpty()
                               ? tr("none open")
                               : tr("%1 (%2 items)").arg(set.displayName()).arg(set.items.size()));
    {
        const QSignalBlocker blocker(m_factor);
        refillFactors();
        setFactor(previousFactor);
    }
    refillLevels();
    if (!isFactorialDesign()) {
        m_factorial->setChecked(false);
    }
    updateEnabled();
    Q_EMIT changed();
}

void ContrastSettingsForm::refillFactors()
{
    m_factor->clear();
    for (const PromptFactor &factor : m_set.factors) {
        m_factor->addItem(factor.name);
    }
}

void ContrastSettingsForm::refillLevels()
{
    const QSignalBlocker blockA(m_levelA);
    const QSignalBlocker blockB(m_levelB);
    m_levelA->clear();
    m_levelB->clear();
    const PromptFactor *factor = m_set.factor(m_factor->currentText());
    if (!factor) {
        return;
    }
    m_levelA->addItems(factor->levels);
    m_levelB->addItems(factor->levels);
    // A = the first level, B = the second: the order the prompt set's author wrote them in
    // (a study lists its condition of interest first, e.g. achievements before failures).
    if (factor->levels.size() >= 2) {
        m_levelA->setCurrentIndex(0);
        m_levelB->setCurrentIndex(1);
    }
}

void ContrastSettingsForm::setHookNames(const QStringList &hooks)
{
    const QString previous = m_hook->currentText();
    {
        const QSignalBlocker blocker(m_hook);
        m_hook->clear();
        m_hook->addItems(hooks);
        // The SAE's hook is the natural default: raw and SAE analyses then read the same place.
        if (!m_restoredHook.isEmpty() && setHook(m_restoredHook)) {
            m_restoredHook.clear();
            if (!m_restoredSaeFeatures.value_or(false) || !m_sae.path.isEmpty()) {
                m_restoredState = QJsonObject();
            }
        } else if (m_sae.hookName.isEmpty() || !setHook(m_sae.hookName)) {
            setHook(previous);
        }
    }
    updateEnabled();
    Q_EMIT changed();
}

void ContrastSettingsForm::setSae(const SaeInfo &sae)
{
    m_sae = sae;
    m_representation->setItemText(
            1, sae.path.isEmpty() ? tr("SAE features (no SAE loaded)")
                                  : tr("SAE features (%1, %2)").arg(sae.name).arg(sae.dSae));
    {
        // A study with an SAE is about its features: follow each newly loaded SAE (its hook and
        // its features); without one only raw activations can be read.
        const QSignalBlocker blockHook(m_hook);
        const QSignalBlocker blockRepresentation(m_representation);
        const bool saeFeatures = !sae.path.isEmpty() && m_restoredSaeFeatures.value_or(true);
        if (!sae.hookName.isEmpty() && (saeFeatures || m_hook->currentText().isEmpty())) {
            setHook(sae.hookName);
        }
        m_representation->setCurrentIndex(saeFeatures ? 1 : 0);
        if (!sae.path.isEmpty()) {
            m_restoredSaeFeatures.reset();  // applied once; later SAEs are followed again
            if (m_restoredHook.isEmpty()) {
                m_restoredState = QJsonObject();
            }
        }
    }
    updateEnabled();
    Q_EMIT changed();
}

bool ContrastSettingsForm::isFactorialDesign() const
{
    return m_set.factors.size() == 2 && m_set.factors[0].levels.size() == 2 &&
           m_set.factors[1].levels.size() == 2;
}

void ContrastSettingsForm::updateEnabled()
{
    const bool factorial = m_factorial->isChecked();
    m_factorial->setEnabled(isFactorialDesign());
    m_levelA->setEnabled(!factorial);
    m_levelB->setEnabled(!factorial);
    m_swap->setEnabled(!factorial);
    const bool sae = m_representation->currentIndex() == 1;
    // SAE features exist only at the SAE's hook.
    m_hook->setEnabled(!sae);
    const Pooling pooling = currentChoice(m_pooling, Pooling::Mean);
    m_window->setEnabled(pooling != Pooling::Mean && pooling != Pooling::LastToken);
}

ContrastSource ContrastSettingsForm::source() const
{
    ContrastSource source;
    source.promptSet = m_set;
    source.factor = m_factor->currentText();
    source.levelA = m_levelA->currentText();
    source.levelB = m_levelB->currentText();
    source.factorial = m_factorial->isChecked() && isFactorialDesign();
    source.saeFeatures = m_representation->currentIndex() == 1;
    source.hookName = source.saeFeatures ? m_sae.hookName : m_hook->currentText();
    source.pooling = currentChoice(m_pooling, Pooling::Mean);
    source.window = m_window->value();
    return source;
}

void ContrastSettingsForm::setSource(const ContrastSource &source)
{
    setFactor(source.factor);
    if (source.levelA != m_levelA->currentText() || source.levelB != m_levelB->currentText()) {
        setLevels(source.levelA, source.levelB);
    }
    setFactorial(source.factorial);
    if (!source.saeFeatures) {
        setHook(source.hookName);
    }
    setSaeFeatures(source.saeFeatures);
    setPooling(source.pooling);
    m_window->setValue(source.window);
}

QString ContrastSettingsForm::problem() const
{
    if (m_set.items.isEmpty()) {
        return tr("Open a prompt set in the Prompt sets dock.");
    }
    if (m_set.factors.isEmpty()) {
        return tr("The prompt set has no factors: give its items conditions.");
    }
    const ContrastSource s = source();
    if (!s.factorial && (s.levelA.isEmpty() || s.levelA == s.levelB)) {
        return tr("Choose two different levels as A and B.");
    }
    if (s.saeFeatures && m_sae.path.isEmpty()) {
        return tr("Load an SAE in the Model dock, or read raw activations.");
    }
    if (s.hookName.isEmpty()) {
        return tr("Load a model in the Model dock.");
    }
    return QString();
}

bool ContrastSettingsForm::setFactor(const QString &factor)
{
    const int index = m_factor->findText(factor);
    if (index < 0) {
        return false;
    }
    m_factor->setCurrentIndex(index);
    return true;
}

bool ContrastSettingsForm::setLevels(const QString &levelA, const QString &levelB)
{
    const int a = m_levelA->findText(levelA);
    const int b = m_levelB->findText(levelB);
    if (a < 0 || b < 0) {
        return false;
    }
    {
        const QSignalBlocker blockA(m_levelA);
        const QSignalBlocker blockB(m_levelB);
        m_levelA->setCurrentIndex(a);
        m_levelB->setCurrentIndex(b);
    }
    Q_EMIT changed();
    return true;
}

void ContrastSettingsForm::setFactorial(bool factorial)
{
    m_factorial->setChecked(factorial && isFactorialDesign());
}

bool ContrastSettingsForm::setHook(const QString &hook)
{
    const int index = m_hook->findText(hook);
    if (index < 0) {
        return false;
    }
    m_hook->setCurrentIndex(index);
    return true;
}

void ContrastSettingsForm::setSaeFeatures(bool saeFeatures)
{
    m_representation->setCurrentIndex(saeFeatures ? 1 : 0);
}

QJsonObject ContrastSettingsForm::settingsState() const
{
    return m_restoredState.isEmpty() ? contrastSourceToJson(source()) : m_restoredState;
}

void ContrastSettingsForm::restoreSettingsState(const QJsonObject &state)
{
    const ContrastSource saved = contrastSourceFromJson(state, m_set);
    setFactor(saved.factor);
    setLevels(saved.levelA, saved.levelB);
    setFactorial(saved.factorial);
    // The workspace loads its model and SAE after this: keep the choices for when they arrive.
    m_restoredHook = saved.saeFeatures || setHook(saved.hookName) ? QString() : saved.hookName;
    m_restoredSaeFeatures.reset();
    if (saved.saeFeatures && m_sae.path.isEmpty()) {
        m_restoredSaeFeatures = true;
    } else {
        setSaeFeatures(saved.saeFeatures);
        if (!saved.saeFeatures) {
            m_restoredSaeFeatures = false;  // a raw analysis stays raw when an SAE loads
        }
    }
    setPooling(saved.pooling);
    m_window->setValue(saved.window);
    // Until the SAE the state needs has arrived, the form stands for what was restored.
    const bool waiting = (saved.saeFeatures && m_sae.path.isEmpty()) || !m_restoredHook.isEmpty();
    m_restoredState = waiting ? contrastSourceToJson(saved) : QJsonObject();
}

bool ContrastSettingsForm::setPooling(Pooling pooling)
{
    return selectChoice<Pooling>(m_pooling, nameOf(pooling));
}

}  // namespace gyrus::widgets
