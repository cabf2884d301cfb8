#include "widgets/views/explanation_box.h"

#include "core/llm/chat_backend.h"
#include "core/llm/chat_job.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QVBoxLayout>

namespace gyrus::widgets {

ExplanationBox::ExplanationBox(QWidget *parent)
    : QWidget(parent)
    , m_explain(new QPushButton(tr("Explain"), this))
    , m_status(new QLabel(this))
    , m_suggestionRow(new QWidget(this))
    , m_suggestion(new QLineEdit(m_suggestionRow))
    , m_description(new QLabel(this))
    , m_accept(new QPushButton(tr("Accept"), m_suggestionRow))
    , m_reject(new QPushButton(tr("Reject"), m_suggestionRow))
{
    m_explain->setObjectName(QStringLiteral("inspector.explain"));
    m_suggestion->setObjectName(QStringLiteral("inspector.suggestion"));
    m_suggestion->setToolTip(tr("The suggested label; edit it before accepting if you like"));
    m_accept->setObjectName(QStringLiteral("inspector.acceptExplanation"));
    m_reject->setObjectName(QStringLiteral("inspector.rejectExplanation"));
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_description->setWordWrap(true);
    m_description->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto *top = new QHBoxLayout;
    top->setContentsMargins(0, 0, 0, 0);
    top->addWidget(m_explain);
    top->addWidget(m_status, 1);
    auto *row = new QHBoxLayout(m_suggestionRow);
    row->setContentsMargins(0, 0, 0, 0);
    row->addWidget(m_suggestion, 1);
    row->addWidget(m_accept);
    row->addWidget(m_reject);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(top);
    layout->addWidget(m_suggestionRow);
    layout->addWidget(m_description);

    connect(m_explain, &QPushButton::clicked, this, &ExplanationBox::explain);
    connect(m_accept, &QPushButton::clicked, this, [this] {
        const QString label = m_suggestion->text().trimmed();
        if (label.isEmpty() || m_explanation.feature < 0) {
            return;
        }
        QJsonObject provenance = m_explanation.toJson();
        provenance.insert(QStringLiteral("accepted_label"), label);
        provenance.insert(QStringLiteral("edited"), label != m_explanation.label);
        Q_EMIT accepted(m_explanation.feature, label, provenance);
        m_status->setText(tr("Accepted."));
        showSuggestion(false);
    });
    connect(m_reject, &QPushButton::clicked, this, [this] {
        m_status->setText(tr("Rejected; the label is unchanged."));
        showSuggestion(false);
    });
    showSuggestion(false);
    updateButton();
}

void ExplanationBox::setBackend(ChatBackend *backend)
{
    dropJob();
    m_backend = backend;
    updateButton();
}

void ExplanationBox::setFeature(const FeatureDetailsPtr &details)
{
    const bool same = details && m_details && details->feature == m_details->feature;
    m_details = details;
    if (!same) {
        dropJob();
        m_status->clear();
        showSuggestion(false);
    }
    updateButton();
}

void ExplanationBox::explain()
{
    if (!m_backend || !m_details || m_job) {
        return;
    }
    Result<ExplainPrompt> prompt = buildExplainPrompt(*m_details);
    if (!prompt) {
        m_status->setText(prompt.status().message());
        return;
    }
    m_prompt = prompt.value();
    ChatRequest request;
    request.messages = m_prompt.messages;
    request.maxTokens = ExplainOptions().maxTokens;
    showSuggestion(false);
    m_status->setText(tr("Asking %1…").arg(m_backend->describe()));
    m_job = new ChatJob(m_backend, {request}, 1, this);
    connect(m_job, &ChatJob::finished, this, &ExplanationBox::onFinished);
    m_job->start();
    updateButton();
}

void ExplanationBox::dropJob()
{
    if (m_job) {
        m_job->disconnect(this);  // its Cancelled answer is for a feature no longer shown
        m_job->cancel();
        m_job->deleteLater();
    }
    m_job = nullptr;
}

void ExplanationBox::onFinished()
{
    ChatJob *job = m_job;
    m_job = nullptr;
    job->deleteLater();
    updateButton();
    if (!m_details || job->statuses().isEmpty()) {
        return;
    }
    const Status status = job->statuses().front();
    const ChatReply reply = job->replies().value(0);
    if (status.code() == Status::Code::Cancelled) {
        m_status->clear();
        return;
    }
    Result<FeatureExplanation> e =
            explanationFromReply(*m_details, m_prompt, status, reply, m_backend->describe());
    if (!e) {
        m_status->setText(e.status().message() + tr(" — the label is unchanged."));
        return;
    }
    m_explanation = e.value();
    m_suggestion->setText(m_explanation.label);
    m_description->setText(m_explanation.description +
                           tr("\n(%1, %2, %3 top + %4 quantile examples)")
                                   .arg(m_explanation.explainer, m_explanation.promptVersion)
                                   .arg(m_explanation.topExamplesUsed)
                                   .arg(m_explanation.binExamplesUsed));
    m_status->setText(tr("Suggested label:"));
    showSuggestion(true);
}

void ExplanationBox::showSuggestion(bool visible)
{
    m_suggestionRow->setVisible(visible);
    m_description->setVisible(visible);
}

void ExplanationBox::updateButton()
{
    const bool busy = m_job != nullptr;
    m_explain->setEnabled(m_backend && m_details && !m_details->top.isEmpty() && !busy);
    m_explain->setText(busy ? tr("Explaining…") : tr("Explain"));
    m_explain->setToolTip(
            m_backend ? tr("Ask %1 for a label from this feature's examples")
                                .arg(m_backend->describe())
                      : tr("No language-model endpoint configured: start Gyrus with "
                           "--llm-endpoint URL --llm-model NAME (nothing is sent without one)"));
}

QString ExplanationBox::statusText() const
{
    return m_status->text();
}

}  // namespace gyrus::widgets
