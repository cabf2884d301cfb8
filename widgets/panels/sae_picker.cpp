#include "widgets/panels/sae_picker.h"

#include "core/engine/request_tracker.h"
#include "core/sae/sae_model_check.h"
#include "core/session/session_state.h"
#include "widgets/common/icons.h"

#include <QComboBox>
#include <QCompleter>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QStyle>
#include <QVBoxLayout>

namespace gyrus::widgets {

SaePicker::SaePicker(EngineClient *engine, SessionState *session, QWidget *parent)
    : QWidget(parent)
    , m_engine(engine)
    , m_session(sessionOrFollowing(session, engine, this))
    , m_requests(new RequestTracker(engine, this))
    , m_path(new QComboBox(this))
    , m_browse(new QPushButton(tr("Open…"), this))
    , m_load(new QPushButton(tr("Load SAE"), this))
    , m_card(new QLabel(this))
    , m_fitIcon(new QLabel(this))
    , m_fit(new QLabel(this))
{
    m_browse->setIcon(uiIcon(QStringLiteral("open")));
    m_path->setEditable(true);
    m_path->setObjectName(QStringLiteral("saePath"));
    m_path->lineEdit()->setPlaceholderText(tr("SAE directory (SAELens layout)"));
    m_path->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
    // A long path scrolls in the field rather than widening the dock; hover shows all of it.
    m_path->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_path->setMinimumContentsLength(12);
    connect(m_path, &QComboBox::currentTextChanged, m_path,
            [this](const QString &text) { m_path->setToolTip(text); });
    m_path->setInsertPolicy(QComboBox::NoInsert);
    // Inline completion would turn a typed "…/sae" into a listed "…/sae-old" under the
    // cursor, and Return would load that one: offer the listed paths in a popup instead.
    m_path->completer()->setCompletionMode(QCompleter::PopupCompletion);
    m_path->completer()->setCaseSensitivity(Qt::CaseSensitive);
    m_load->setObjectName(QStringLiteral("loadSae"));
    m_card->setObjectName(QStringLiteral("saeCard"));
    m_card->setWordWrap(true);
    m_card->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto *row = new QHBoxLayout;
    row->setContentsMargins(0, 0, 0, 0);
    row->addWidget(m_path, 1);
    row->addWidget(m_browse);
    row->addWidget(m_load);
    m_fit->setObjectName(QStringLiteral("saeFit"));
    m_fit->setWordWrap(true);
    m_fit->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto *fitRow = new QHBoxLayout;
    fitRow->setContentsMargins(0, 0, 0, 0);
    fitRow->addWidget(m_fitIcon, 0, Qt::AlignTop);
    fitRow->addWidget(m_fit, 1);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(row);
    layout->addWidget(m_card);
    layout->addLayout(fitRow);

    connect(m_browse, &QPushButton::clicked, this, [this] {
        const QString dir = QFileDialog::getExistingDirectory(this, tr("Open SAE directory"),
                                                              m_path->currentText());
        if (!dir.isEmpty()) {
            loadSae(dir);
        }
    });
    connect(m_load, &QPushButton::clicked, this, [this] { loadSae(m_path->currentText()); });
    connect(m_path->lineEdit(), &QLineEdit::returnPressed, this,
            [this] { loadSae(m_path->currentText()); });
    m_requests->onFinished(0, [this](const Status &status) {
        if (status.isOk()) {
            return;
        }
        // The engine keeps the SAE it had: say which one the docks still use, and show its path
        // in the box again rather than the one that failed.
        const SaeInfo current = m_session->sae();
        if (m_failedPathInserted >= 0 && m_failedPathInserted < m_path->count()) {
            m_path->removeItem(m_failedPathInserted);
        }
        m_failedPathInserted = -1;
        m_path->setCurrentText(current.path);
        m_card->setText(current.path.isEmpty() ? tr("SAE not loaded: %1").arg(status.message())
                                               : tr("SAE not loaded (still using %1): %2")
                                                         .arg(current.name, status.message()));
    });
    connect(m_session, &SessionState::saeChanged, this, &SaePicker::showCard);
    // A model loaded after the SAE may not fit it: the engine keeps the SAE, the flag says so.
    connect(m_session, &SessionState::modelChanged, this, [this] { showFit(); });
    showCard(m_session->sae());
}

void SaePicker::loadSae(const QString &path, const QString &device)
{
    const QString trimmed = path.trimmed();
    if (trimmed.isEmpty()) {
        m_card->setText(tr("Choose an SAE directory first."));
        return;
    }
    m_failedPathInserted = -1;
    if (m_path->findText(trimmed) < 0) {
        m_path->insertItem(0, trimmed);
        m_failedPathInserted = 0;  // taken out again when it does not load
    }
    m_path->setCurrentText(trimmed);
    SaeSpec spec;
    spec.path = trimmed;
    const QString modelDevice = m_session->model().device;
    if (!device.isEmpty()) {
        spec.device = device;
    } else if (!modelDevice.isEmpty()) {
        spec.device = modelDevice;
    }
    m_requests->start(0, m_engine->loadSae(spec));
    m_card->setText(tr("Loading %1 …").arg(trimmed));
}

QString SaePicker::statusText() const
{
    return m_card->text();
}

QString SaePicker::fitText() const
{
    return m_fit->text();
}

void SaePicker::showCard(const SaeInfo &info)
{
    if (info.path.isEmpty()) {
        m_card->setText(tr("No SAE loaded: feature views need one."));
        showFit();
        return;
    }
    m_path->setCurrentText(info.path);
    QString text = tr("%1 · %2 · %3 → %4")
                           .arg(info.name, nameOf(info.architecture))
                           .arg(info.dIn)
                           .arg(info.dSae);
    if (info.topK() > 0) {
        text += tr(" · k = %1").arg(info.topK());
    }
    text += tr(" · %1").arg(info.hookName.isEmpty() ? tr("no hook") : info.hookName);
    // What the model side must feed it, as its files say.
    QStringList expects;
    if (!info.modelName.isEmpty()) {
        expects << tr("trained on %1").arg(info.modelName);
    }
    expects << (info.prependBos ? tr("BOS first") : tr("no BOS"));
    if (info.centreInput) {
        expects << tr("centred residuals");
    }
    if (info.inputNormalisation != SaeInputNormalisation::None) {
        expects << tr("%1 input").arg(nameOf(info.inputNormalisation));
    }
    if (!info.format.isEmpty()) {
        expects << info.format;
    }
    m_card->setText(text + QLatin1Char('\n') + expects.join(QStringLiteral(" · ")));
    showFit();
}

void SaePicker::showFit()
{
    const SaeInfo sae = m_session->sae();
    const ModelInfo model = m_session->model();
    if (sae.path.isEmpty() || model.name.isEmpty()) {
        m_fit->clear();
        m_fitIcon->clear();
        m_fit->setVisible(false);
        m_fitIcon->setVisible(false);
        return;
    }
    const SaeModelCheck check = checkSaeAgainstModel(sae, model);
    QStyle::StandardPixmap icon = QStyle::SP_DialogApplyButton;
    QString text = tr("Fits %1.").arg(model.name);
    if (!check.ok()) {
        icon = QStyle::SP_MessageBoxCritical;
        text = tr("Does not fit %1: %2").arg(model.name, check.errors.join(QStringLiteral("; ")));
    } else if (!check.warnings.isEmpty()) {
        icon = QStyle::SP_MessageBoxWarning;
        text = check.warnings.join(QStringLiteral("; "));
    }
    const int size = fontMetrics().height();
    m_fitIcon->setPixmap(style()->standardIcon(icon).pixmap(size, size));
    m_fit->setText(text);
    m_fit->setVisible(true);
    m_fitIcon->setVisible(true);
}

}  // namespace gyrus::widgets
