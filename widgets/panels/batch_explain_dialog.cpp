#include "widgets/panels/batch_explain_dialog.h"

#include "core/engine/engine_client.h"
#include "core/engine/request_tracker.h"
#include "core/llm/chat_backend.h"
#include "core/llm/chat_job.h"
#include "core/session/selection_hub.h"

#include <QDialogButtonBox>
#include <QHeaderView>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QStandardItemModel>
#include <QTableView>
#include <QVBoxLayout>

#include <cmath>

namespace gyrus::widgets {

namespace {

enum Column
{
    FeatureColumn,
    CurrentColumn,
    SuggestionColumn,
    DescriptionColumn,
    StatusColumn
};

// A newer details request of the Features dock replaces a queued one of ours (same tag): ask
// again a few times before giving up on the feature.
constexpr int kDetailRetries = 3;

}  // namespace

BatchExplainDialog::BatchExplainDialog(EngineClient *engine, SelectionHub *hub,
                                       ChatBackend *backend, std::vector<int> features,
                                       const QString &what, QWidget *parent)
    : QDialog(parent)
    , m_engine(engine)
    , m_hub(hub)
    , m_backend(backend)
    , m_features(std::move(features))
    , m_model(new QStandardItemModel(0, 5, this))
    , m_table(new QTableView(this))
    , m_progress(new QProgressBar(this))
    , m_status(new QLabel(this))
    , m_cancel(new QPushButton(tr("Cancel"), this))
    , m_accept(new QPushButton(tr("Accept ticked"), this))
{
    setObjectName(QStringLiteral("batchExplainDialog"));
    setWindowTitle(tr("Explain %1").arg(what));
    m_model->setHorizontalHeaderLabels(
            {tr("Feature"), tr("Current label"), tr("Suggestion"), tr("Description"), tr("")});
    for (int feature : m_features) {
        auto *id = new QStandardItem(QString::number(feature));
        id->setEditable(false);
        auto *current = new QStandardItem(m_hub->annotation(feature).label);
        current->setEditable(false);
        auto *suggestion = new QStandardItem;
        suggestion->setCheckable(true);
        suggestion->setToolTip(tr("Tick to keep; edit the text to change the label"));
        auto *description = new QStandardItem;
        description->setEditable(false);
        auto *state = new QStandardItem(tr("waiting"));
        state->setEditable(false);
        m_model->appendRow({id, current, suggestion, description, state});
    }
    m_table->setObjectName(QStringLiteral("batchExplain.table"));
    m_table->setModel(m_model);
    m_table->verticalHeader()->hide();
    m_table->horizontalHeader()->setSectionResizeMode(DescriptionColumn, QHeaderView::Stretch);
    m_table->setWordWrap(false);
    m_progress->setRange(0, 1000);
    m_status->setObjectName(QStringLiteral("batchExplain.status"));
    m_status->setWordWrap(true);
    m_accept->setObjectName(QStringLiteral("batchExplain.accept"));
    m_accept->setEnabled(false);
    m_cancel->setObjectName(QStringLiteral("batchExplain.cancel"));

    auto *buttons = new QDialogButtonBox(this);
    buttons->addButton(m_accept, QDialogButtonBox::AcceptRole);
    buttons->addButton(m_cancel, QDialogButtonBox::ActionRole);
    buttons->addButton(QDialogButtonBox::Close);
    connect(m_accept, &QPushButton::clicked, this, [this] {
        const int written = acceptChecked();
        m_status->setText(tr("%n label(s) written.", nullptr, written));
    });
    connect(m_cancel, &QPushButton::clicked, this, &BatchExplainDialog::cancel);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_status);
    layout->addWidget(m_progress);
    layout->addWidget(m_table, 1);
    layout->addWidget(buttons);
    resize(760, 420);

    m_requests = new RequestTracker(m_engine, this);
    m_requests->onResult(0, &EngineClient::featureDetailsReady,
                         [this](const FeatureDetailsPtr &details) {
                             if (m_nextDetails < m_details.size()) {
                                 m_details[m_nextDetails] = details;
                             }
                         });
    m_requests->onFinished(0, [this](const Status &status) {
        if (!m_running) {
            return;
        }
        const int row = int(m_nextDetails);
        if (status.code() == Status::Code::Cancelled && m_retries < kDetailRetries) {
            ++m_retries;  // replaced by a newer details request: ask again
            requestNextDetails();
            return;
        }
        if (!status.isOk() || !m_details[m_nextDetails]) {
            m_model->item(row, StatusColumn)->setText(status.message());
        }
        ++m_nextDetails;
        m_retries = 0;
        requestNextDetails();
    });
}

BatchExplainDialog::~BatchExplainDialog()
{
    if (m_job) {
        m_job->cancel();
    }
}

void BatchExplainDialog::start()
{
    if (m_running) {
        return;
    }
    if (!m_backend) {
        m_status->setText(
                tr("No language-model endpoint configured (Settings ▸ Language model "
                   "endpoint…): nothing is sent."));
        return;
    }
    m_details.assign(m_features.size(), nullptr);
    m_explanations.assign(m_features.size(), FeatureExplanation());
    m_explained.assign(m_features.size(), false);
    m_prompts.clear();
    m_promptRows.clear();
    m_nextDetails = 0;
    m_retries = 0;
    setRunning(true);
    requestNextDetails();
}

void BatchExplainDialog::requestNextDetails()
{
    if (!m_running) {
        return;
    }
    const size_t total = m_features.size();
    if (m_nextDetails >= total) {
        askExplainer();
        return;
    }
    m_progress->setValue(int(500.0 * double(m_nextDetails) / double(std::max<size_t>(1, total))));
    m_status->setText(tr("Stage 1 of 2: examples of feature %1 (%2 / %3)")
                              .arg(m_features[m_nextDetails])
                              .arg(m_nextDetails + 1)
                              .arg(total));
    m_model->item(int(m_nextDetails), StatusColumn)->setText(tr("reading examples"));
    m_requests->start(0, m_engine->featureDetails(m_features[m_nextDetails]));
}

void BatchExplainDialog::askExplainer()
{
    QList<ChatRequest> requests;
    for (size_t row = 0; row < m_features.size(); ++row) {
        if (!m_details[row]) {
            continue;
        }
        Result<ExplainPrompt> prompt = buildExplainPrompt(*m_details[row]);
        if (!prompt) {
            m_model->item(int(row), StatusColumn)->setText(prompt.status().message());
            continue;
        }
        ChatRequest request;
        request.messages = prompt->messages;
        request.maxTokens = ExplainOptions().maxTokens;
        requests.append(request);
        m_prompts.push_back(prompt.value());
        m_promptRows.push_back(int(row));
        m_model->item(int(row), StatusColumn)->setText(tr("asking"));
    }
    if (requests.isEmpty() || !m_backend) {
        setRunning(false);
        m_status->setText(tr("No feature had examples to explain."));
        Q_EMIT finishedRun(Status::invalidInput(m_status->text()));
        return;
    }
    auto *job = new ChatJob(m_backend, requests, 4, this);
    m_job = job;
    connect(job, &ChatJob::progress, this, [this](int done, int total, double eta) {
        m_progress->setValue(500 + int(500.0 * done / std::max(1, total)));
        m_status->setText(
                tr("Stage 2 of 2: %1 answered %2 / %3%4")
                        .arg(m_backend ? m_backend->describe() : QString())
                        .arg(done)
                        .arg(total)
                        .arg(eta >= 0 ? tr(" · ETA %1 s").arg(std::ceil(eta)) : QString()));
    });
    connect(job, &ChatJob::finished, this, &BatchExplainDialog::onAnswers);
    m_status->setText(
            tr("Stage 2 of 2: asking %1 about %n feature(s)…", nullptr, int(requests.size()))
                    .arg(m_backend->describe()));
    job->start();
}

void BatchExplainDialog::onAnswers(const Status &status)
{
    ChatJob *job = m_job;
    setRunning(false);
    if (!job) {
        return;
    }
    job->deleteLater();
    m_job = nullptr;
    if (status.code() == Status::Code::Cancelled) {
        m_status->setText(tr("Cancelled; no label changed."));
        Q_EMIT finishedRun(status);
        return;
    }
    int suggested = 0;
    const QString explainer = m_backend ? m_backend->describe() : QString();
    for (size_t i = 0; i < m_prompts.size(); ++i) {
        const int row = m_promptRows[i];
        Result<FeatureExplanation> e = explanationFromReply(
                *m_details[size_t(row)], m_prompts[i], job->statuses().value(int(i)),
                job->replies().value(int(i)), explainer);
        if (!e) {
            m_model->item(row, StatusColumn)->setText(e.status().message());
            continue;
        }
        ++suggested;
        m_explanations[size_t(row)] = e.value();
        m_explained[size_t(row)] = true;
        QStandardItem *suggestion = m_model->item(row, SuggestionColumn);
        suggestion->setText(e->label);
        // A feature without a label takes the suggestion unless unticked; a labelled one keeps
        // its label unless ticked.
        suggestion->setCheckState(m_hub->annotation(m_features[size_t(row)]).label.isEmpty()
                                          ? Qt::Checked
                                          : Qt::Unchecked);
        m_model->item(row, DescriptionColumn)->setText(e->description);
        m_model->item(row, StatusColumn)->setText(tr("suggested"));
    }
    m_progress->setValue(1000);
    m_accept->setEnabled(suggested > 0);
    m_status->setText(tr("%1 of %2 features have a suggestion: tick the ones to keep, edit them "
                         "if you like, then Accept. Nothing has changed yet.")
                              .arg(suggested)
                              .arg(m_features.size()));
    Q_EMIT finishedRun(Status::ok());
}

void BatchExplainDialog::cancel()
{
    if (!m_running) {
        return;
    }
    if (m_job) {
        m_job->cancel();  // onAnswers follows with Cancelled
        return;
    }
    setRunning(false);
    m_requests->cancel(0);
    m_status->setText(tr("Cancelled; no label changed."));
    Q_EMIT finishedRun(Status::cancelled());
}

bool BatchExplainDialog::isRunning() const
{
    return m_running;
}

int BatchExplainDialog::acceptChecked()
{
    int written = 0;
    for (size_t row = 0; row < m_features.size(); ++row) {
        QStandardItem *suggestion = m_model->item(int(row), SuggestionColumn);
        const QString label = suggestion->text().trimmed();
        if (!m_explained[row] || suggestion->checkState() != Qt::Checked || label.isEmpty()) {
            continue;
        }
        QJsonObject provenance = m_explanations[row].toJson();
        provenance.insert(QStringLiteral("accepted_label"), label);
        provenance.insert(QStringLiteral("edited"), label != m_explanations[row].label);
        FeatureAnnotation annotation = m_hub->annotation(m_features[row]);
        annotation.label = label;
        annotation.explanation = provenance;
        m_hub->setAnnotation(m_features[row], annotation);
        m_model->item(int(row), CurrentColumn)->setText(label);
        m_model->item(int(row), StatusColumn)->setText(tr("accepted"));
        suggestion->setCheckState(Qt::Unchecked);
        ++written;
    }
    return written;
}

QString BatchExplainDialog::statusText() const
{
    return m_status->text();
}

void BatchExplainDialog::setRunning(bool running)
{
    m_running = running;
    m_cancel->setEnabled(running);
    if (running) {
        m_accept->setEnabled(false);
    }
}

}  // namespace gyrus::widgets
