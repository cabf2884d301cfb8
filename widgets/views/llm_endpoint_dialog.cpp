#include "widgets/views/llm_endpoint_dialog.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QVBoxLayout>

namespace gyrus::widgets {

namespace {

enum Kind
{
    Off,
    Engine,
    Http
};

}  // namespace

LlmEndpointDialog::LlmEndpointDialog(const ExplainerSettings &current, QWidget *parent)
    : QDialog(parent)
    , m_kind(new QComboBox(this))
    , m_engineModel(new QLineEdit(this))
    , m_url(new QLineEdit(this))
    , m_model(new QLineEdit(this))
    , m_key(new QLineEdit(this))
    , m_remember(new QCheckBox(tr("Remember the key on this computer"), this))
    , m_problem(new QLabel(this))
{
    setObjectName(QStringLiteral("llmEndpointDialog"));
    setWindowTitle(tr("Language model endpoint"));
    m_kind->addItem(tr("Off: nothing leaves this computer"));
    m_kind->addItem(tr("Local engine: an instruct model run by Gyrus"));
    m_kind->addItem(tr("OpenAI-compatible server (llama.cpp, vLLM, Ollama, a hosted API)"));
    m_engineModel->setPlaceholderText(tr("empty: the model loaded in the Model dock"));
    m_engineModel->setToolTip(
            tr("An instruct model directory (config.json, safetensors, tokenizer.json, and a "
               "chat template in tokenizer_config.json) loaded beside the studied model"));
    m_url->setPlaceholderText(QStringLiteral("http://127.0.0.1:8080/v1"));
    m_model->setPlaceholderText(tr("the served model's name, e.g. qwen3-8b"));
    m_key->setEchoMode(QLineEdit::Password);
    m_key->setPlaceholderText(tr("empty: GYRUS_LLM_API_KEY, or none"));
    m_key->setToolTip(
            tr("Sent only in the Authorization header of requests to this server; "
               "never written to workspaces or logs"));
    m_remember->setToolTip(
            tr("Stores the key in your Gyrus settings file (readable by you only); unticked, "
               "the key is used until Gyrus quits"));
    m_problem->setWordWrap(true);
    m_problem->setObjectName(QStringLiteral("llmEndpoint.problem"));

    auto *browse = new QPushButton(tr("Browse…"), this);
    connect(browse, &QPushButton::clicked, this, [this] {
        const QString directory = QFileDialog::getExistingDirectory(
                this, tr("Instruct model directory"), m_engineModel->text());
        if (!directory.isEmpty()) {
            m_engineModel->setText(directory);
        }
    });
    auto *engineRow = new QWidget(this);
    auto *engineLayout = new QHBoxLayout(engineRow);
    engineLayout->setContentsMargins(0, 0, 0, 0);
    engineLayout->addWidget(m_engineModel, 1);
    engineLayout->addWidget(browse);

    auto *form = new QFormLayout;
    form->addRow(tr("Explainer and judge"), m_kind);
    form->addRow(tr("Model directory"), engineRow);
    form->addRow(tr("URL"), m_url);
    form->addRow(tr("Model"), m_model);
    form->addRow(tr("API key"), m_key);
    form->addRow(QString(), m_remember);
    m_engineRows = {engineRow, form->labelForField(engineRow)};
    m_httpRows = {m_url, form->labelForField(m_url), m_model,   form->labelForField(m_model),
                  m_key, form->labelForField(m_key), m_remember};

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    connect(buttons, &QDialogButtonBox::accepted, this, &LlmEndpointDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(m_problem);
    layout->addWidget(buttons);

    const QString endpoint = current.endpoint.trimmed();
    if (endpoint == QLatin1String("engine")) {
        m_kind->setCurrentIndex(Engine);
        m_engineModel->setText(current.model);
    } else if (!endpoint.isEmpty()) {
        m_kind->setCurrentIndex(Http);
        m_url->setText(endpoint);
        m_model->setText(current.model);
    }
    m_key->setText(current.apiKey);
    m_remember->setChecked(current.rememberKey);
    connect(m_kind, &QComboBox::currentIndexChanged, this, &LlmEndpointDialog::updateFields);
    updateFields();
}

ExplainerSettings LlmEndpointDialog::settings() const
{
    ExplainerSettings s;
    switch (m_kind->currentIndex()) {
        case Engine:
            s.endpoint = QStringLiteral("engine");
            s.model = m_engineModel->text().trimmed();
            break;
        case Http:
            s.endpoint = m_url->text().trimmed();
            s.model = m_model->text().trimmed();
            s.apiKey = m_key->text().trimmed();
            s.rememberKey = m_remember->isChecked();
            break;
        default:
            break;
    }
    return s;
}

QString LlmEndpointDialog::problem() const
{
    const ExplainerSettings s = settings();
    if (m_kind->currentIndex() == Http && s.endpoint.isEmpty()) {
        return tr("Give the server's URL, e.g. http://127.0.0.1:8080/v1.");
    }
    const Result<ChatEndpoint> endpoint = explainerEndpoint(s);
    return endpoint ? QString() : endpoint.status().message();
}

void LlmEndpointDialog::accept()
{
    const QString why = problem();
    m_problem->setText(why);
    if (why.isEmpty()) {
        QDialog::accept();
    }
}

void LlmEndpointDialog::updateFields()
{
    const int kind = m_kind->currentIndex();
    for (QWidget *w : m_engineRows) {
        if (w) {
            w->setVisible(kind == Engine);
        }
    }
    for (QWidget *w : m_httpRows) {
        if (w) {
            w->setVisible(kind == Http);
        }
    }
    m_problem->clear();
}

}  // namespace gyrus::widgets
