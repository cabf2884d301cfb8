#include "widgets/panels/detection_score_box.h"

#include "core/engine/request_tracker.h"
#include "core/llm/chat_backend.h"
#include "core/llm/chat_job.h"
#include "core/llm/detection_examples.h"

#include <QDateTime>
#include <QHBoxLayout>
#include <QJsonArray>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

namespace gyrus::widgets {

namespace {

// Other features asked for before scoring with what there is: each offers up to its top-k
// examples, so a few usually give enough non-activating ones; dead features offer none.
constexpr int kMaxOtherFeatures = 24;
// A newer details request of the Features dock replaces a queued one of ours (same tag).
constexpr int kDetailRetries = 3;

QString intervalText(const QJsonObject &interval)
{
    const QJsonArray ci = interval.value(QStringLiteral("ci95")).toArray();
    return QStringLiteral("%1 [%2, %3]")
            .arg(interval.value(QStringLiteral("estimate")).toDouble(), 0, 'f', 2)
            .arg(ci.at(0).toDouble(), 0, 'f', 2)
            .arg(ci.at(1).toDouble(), 0, 'f', 2);
}

}  // namespace

DetectionScoreBox::DetectionScoreBox(EngineClient *engine, QWidget *parent)
    : QWidget(parent)
    , m_engine(engine)
    , m_requests(new RequestTracker(engine, this))
    , m_score(new QPushButton(tr("Score label"), this))
    , m_cancel(new QPushButton(tr("Cancel"), this))
    , m_progress(new QProgressBar(this))
    , m_status(new QLabel(this))
    , m_result(new QLabel(this))
{
    m_score->setObjectName(QStringLiteral("inspector.scoreLabel"));
    m_cancel->setObjectName(QStringLiteral("inspector.cancelScore"));
    m_result->setObjectName(QStringLiteral("inspector.detectionScore"));
    m_progress->setRange(0, 1000);
    m_progress->setMaximumHeight(12);
    m_progress->setTextVisible(false);
    m_progress->setVisible(false);
    m_cancel->setVisible(false);
    for (QLabel *label : {m_status, m_result}) {
        label->setWordWrap(true);
        label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    }
    auto *top = new QHBoxLayout;
    top->setContentsMargins(0, 0, 0, 0);
    top->addWidget(m_score);
    top->addWidget(m_cancel);
    top->addWidget(m_status, 1);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(top);
    layout->addWidget(m_progress);
    layout->addWidget(m_result);

    connect(m_score, &QPushButton::clicked, this, &DetectionScoreBox::score);
    connect(m_cancel, &QPushButton::clicked, this, &DetectionScoreBox::cancel);
    m_requests->onResult(0, &EngineClient::featureDetailsReady,
                         [this](const FeatureDetailsPtr &details) { m_pendingOther = details; });
    m_requests->onFinished(0, [this](const Status &status) { onOtherFinished(status); });
    updateButtons();
}

DetectionScoreBox::~DetectionScoreBox()
{
    if (m_job) {
        m_job->cancel();
    }
}

void DetectionScoreBox::setBackend(ChatBackend *backend)
{
    if (m_running && backend != m_backend) {
        cancel();
    }
    m_backend = backend;
    updateButtons();
}

void DetectionScoreBox::setFeature(const FeatureDetailsPtr &details, int featureCount)
{
    const bool same = details && m_details && details->feature == m_details->feature;
    if (!same && m_running) {
        cancel();
    }
    if (!same) {
        m_status->clear();
    }
    m_details = details;
    m_featureCount = featureCount;
    updateButtons();
}

void DetectionScoreBox::setLabel(const QString &label, const QString &description,
                                 const QJsonObject &score)
{
    m_label = label.trimmed();
    m_description = description;
    m_stored = score;
    m_result->setText(describeScore(score, m_label));
    m_result->setVisible(!m_result->text().isEmpty());
    updateButtons();
}

QString DetectionScoreBox::describeScore(const QJsonObject &score, const QString &currentLabel)
{
    if (score.isEmpty()) {
        return {};
    }
    const QString scored = score.value(QStringLiteral("label")).toString();
    QString text =
            tr("Detection score: balanced accuracy %1 · AUC %2 (95 % CIs; %3 examples, %4 "
               "activating; %5, %6, %7 repeats at temperature %8, seed %9%10)")
                    .arg(intervalText(score.value(QStringLiteral("balanced_accuracy")).toObject()),
                         intervalText(score.value(QStringLiteral("auc")).toObject()))
                    .arg(score.value(QStringLiteral("examples")).toInt())
                    .arg(score.value(QStringLiteral("activating")).toInt())
                    .arg(score.value(QStringLiteral("judge")).toString(),
                         score.value(QStringLiteral("prompt_version")).toString())
                    .arg(score.value(QStringLiteral("repeats")).toInt())
                    .arg(score.value(QStringLiteral("temperature")).toDouble())
                    .arg(qint64(score.value(QStringLiteral("seed")).toDouble()))
                    .arg(score.contains(QStringLiteral("scored_utc"))
                                 ? QStringLiteral(", ") +
                                           score.value(QStringLiteral("scored_utc")).toString()
                                 : QString());
    if (const int failed = score.value(QStringLiteral("failed_requests")).toInt(); failed > 0) {
        text += tr(" · %n request(s) failed and were left out", nullptr, failed);
    }
    if (scored != currentLabel) {
        text = tr("Of the earlier label \"%1\". ").arg(scored) + text;
    }
    return text;
}

QList<int> DetectionScoreBox::nonActivatingFeatures() const
{
    QList<int> features;
    for (const FeatureDetails &other : m_others) {
        features << other.feature;
    }
    std::sort(features.begin(), features.end());
    return features;
}

QString DetectionScoreBox::statusText() const
{
    return m_status->text();
}

QString DetectionScoreBox::resultText() const
{
    return m_result->text();
}

void DetectionScoreBox::score()
{
    if (m_running || !m_backend || !m_details || m_label.isEmpty()) {
        return;
    }
    if (activatingExamples(*m_details) == 0) {
        m_status->setText(tr("Feature %1 has no activating examples in the scan: nothing to "
                             "score.")
                                  .arg(m_details->feature));
        return;
    }
    // The other features in an order drawn with the judge's seed: the same seed asks the same
    // features, so a score can be repeated (and checked with gyrus-cli score detection).
    m_candidates.clear();
    for (int f = 0; f < m_featureCount; ++f) {
        if (f != m_details->feature) {
            m_candidates << f;
        }
    }
    std::mt19937_64 rng(quint64(m_options.seed));
    std::shuffle(m_candidates.begin(), m_candidates.end(), rng);
    if (m_candidates.size() > kMaxOtherFeatures) {
        m_candidates.resize(kMaxOtherFeatures);
    }
    m_nextCandidate = 0;
    m_retries = 0;
    m_others.clear();
    m_runLabel = m_label;
    m_running = true;
    m_progress->setValue(0);
    updateButtons();
    requestNextOther();
}

void DetectionScoreBox::requestNextOther()
{
    const int needed = activatingExamples(*m_details);
    if (nonActivatingCandidates(*m_details, m_others) >= needed ||
        m_nextCandidate >= m_candidates.size()) {
        askJudge();
        return;
    }
    m_progress->setValue(200 * m_nextCandidate / std::max(1, int(m_candidates.size())));
    m_status->setText(tr("Stage 1 of 2: examples of other features as non-activating ones "
                         "(feature %1; %2 of %3 found)")
                              .arg(m_candidates[m_nextCandidate])
                              .arg(nonActivatingCandidates(*m_details, m_others))
                              .arg(needed));
    m_pendingOther.reset();
    m_requests->start(0, m_engine->featureDetails(m_candidates[m_nextCandidate]));
}

void DetectionScoreBox::onOtherFinished(const Status &status)
{
    if (!m_running || m_job) {
        return;
    }
    if (status.code() == Status::Code::Cancelled && m_retries < kDetailRetries) {
        ++m_retries;  // replaced by the dock's own details request: ask again
        requestNextOther();
        return;
    }
    if (status.isOk() && m_pendingOther) {
        m_others.append(*m_pendingOther);
    }
    ++m_nextCandidate;
    m_retries = 0;
    requestNextOther();
}

void DetectionScoreBox::askJudge()
{
    Result<QList<DetectionExample>> examples =
            detectionExamples(*m_details, m_others, m_options.seed);
    if (!examples) {
        finish(examples.status(), examples.status().message());
        return;
    }
    if (!m_backend) {
        finish(Status::invalidInput(tr("no judge configured")), tr("No judge is configured."));
        return;
    }
    m_examples = examples.value();
    m_plan = planDetection(m_runLabel, m_description, m_examples, m_options);
    auto *job = new ChatJob(m_backend, m_plan.requests, 4, this);
    m_job = job;
    connect(job, &ChatJob::progress, this, [this](int done, int total, double eta) {
        m_progress->setValue(200 + int(800.0 * done / std::max(1, total)));
        m_status->setText(
                tr("Stage 2 of 2: %1 judged %2 / %3 batches%4")
                        .arg(m_backend ? m_backend->describe() : QString())
                        .arg(done)
                        .arg(total)
                        .arg(eta >= 0 ? tr(" · ETA %1 s").arg(std::ceil(eta)) : QString()));
    });
    connect(job, &ChatJob::finished, this, &DetectionScoreBox::onAnswers);
    m_status->setText(tr("Stage 2 of 2: asking %1 about %2 examples (%3 activating), %4 "
                         "repeats…")
                              .arg(m_backend->describe())
                              .arg(m_examples.size())
                              .arg(activatingExamples(*m_details))
                              .arg(m_options.repeats));
    job->start();
}

void DetectionScoreBox::onAnswers(const Status &status)
{
    ChatJob *job = m_job;
    if (!job) {
        return;
    }
    m_job = nullptr;
    job->deleteLater();
    if (!status.isOk()) {
        finish(status, status.code() == Status::Code::Cancelled
                               ? tr("Cancelled; the previous score is kept.")
                               : status.message() + tr(" — the previous score is kept."));
        return;
    }
    Result<DetectionResult> result =
            scoreDetection(m_plan, m_examples, job->statuses(), job->replies());
    if (!result) {
        finish(result.status(), result.status().message() + tr(" — the previous score is kept."));
        return;
    }
    QJsonObject json = detectionScoreJson(m_details->feature, m_runLabel,
                                          m_backend ? m_backend->describe() : QString(), m_options,
                                          result.value(), QDateTime::currentDateTimeUtc());
    if (!m_description.isEmpty()) {
        json.insert(QStringLiteral("description"), m_description);
    }
    QJsonArray others;
    for (int f : nonActivatingFeatures()) {
        others.append(f);
    }
    json.insert(QStringLiteral("non_activating_from"), others);
    json.insert(QStringLiteral("corpus"), m_details->corpusPath);
    const int feature = m_details->feature;
    finish(Status::ok(), tr("Scored."));
    Q_EMIT scored(feature, json);
}

void DetectionScoreBox::finish(const Status &status, const QString &message)
{
    m_running = false;
    m_status->setText(message);
    m_progress->setValue(1000);
    updateButtons();
    Q_EMIT finishedRun(status);
}

void DetectionScoreBox::cancel()
{
    if (!m_running) {
        return;
    }
    if (m_job) {
        m_job->cancel();  // onAnswers follows with Cancelled
        return;
    }
    m_running = false;  // before the tracker's finished callback, which must not ask again
    m_requests->cancel(0);
    finish(Status::cancelled(), tr("Cancelled; the previous score is kept."));
}

void DetectionScoreBox::updateButtons()
{
    m_score->setEnabled(!m_running && m_backend && m_details && !m_details->top.isEmpty() &&
                        !m_label.isEmpty());
    m_score->setToolTip(
            !m_backend ? tr("No language-model endpoint configured (Settings ▸ Language model "
                            "endpoint…): nothing is sent without one")
            : m_label.isEmpty()
                    ? tr("Give the feature a label (type one or Explain) to score it")
                    : tr("Ask %1 which of a balanced mix of this feature's examples and other "
                         "features' examples the label describes: balanced accuracy and AUC "
                         "with 95 % CIs over %2 repeats")
                              .arg(m_backend->describe())
                              .arg(m_options.repeats));
    m_cancel->setVisible(m_running);
    m_progress->setVisible(m_running);
}

}  // namespace gyrus::widgets
