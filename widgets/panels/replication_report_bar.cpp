#include "widgets/panels/replication_report_bar.h"

#include "core/engine/engine_client.h"
#include "core/engine/request_tracker.h"
#include "widgets/common/icons.h"
#include "widgets/views/contrast_settings_form.h"

#include <QDir>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QUrl>

namespace gyrus::widgets {

ReplicationReportBar::ReplicationReportBar(EngineClient *engine, ContrastSettingsForm *form,
                                           std::function<ReplicationRequest()> settings,
                                           QWidget *parent)
    : QWidget(parent)
    , m_engine(engine)
    , m_form(form)
    , m_settings(std::move(settings))
    , m_run(new QPushButton(tr("Replication report…"), this))
    , m_cancel(new QPushButton(tr("Cancel"), this))
    , m_progress(new QProgressBar(this))
    , m_status(new QLabel(this))
{
    m_run->setObjectName(QStringLiteral("replication.run"));
    m_run->setIcon(uiIcon(QStringLiteral("export")));
    m_run->setToolTip(
            tr("Tests the original study's three claims (RSA beats max activation, SAE features "
               "beat raw activations, discriminative beats categorical RSA) as paired statistics "
               "on this prompt set with the loaded model and SAE, and writes an HTML report "
               "(gyrus-cli replicate). Uses k, folds, repeats and permutations from the left."));
    m_cancel->setObjectName(QStringLiteral("replication.cancel"));
    m_cancel->setIcon(uiIcon(QStringLiteral("cancel")));
    m_cancel->setEnabled(false);
    m_cancel->setVisible(false);
    m_progress->setRange(0, 1000);
    m_progress->setVisible(false);
    m_progress->setMaximumHeight(m_run->sizeHint().height() / 2);
    m_progress->setTextVisible(false);
    m_status->setObjectName(QStringLiteral("replication.status"));
    m_status->setWordWrap(true);
    m_status->setTextFormat(Qt::RichText);
    m_status->setOpenExternalLinks(true);
    m_status->setTextInteractionFlags(Qt::TextBrowserInteraction);

    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_run);
    layout->addWidget(m_cancel);
    layout->addWidget(m_progress, 1);
    layout->addWidget(m_status, 3);

    connect(m_run, &QPushButton::clicked, this, &ReplicationReportBar::chooseDirectoryAndRun);
    connect(m_cancel, &QPushButton::clicked, this, &ReplicationReportBar::cancel);
    m_requests = new RequestTracker(m_engine, this);
    m_requests->onResult(
            0, &EngineClient::replicationWritten, [this](const ReplicationOutcome &outcome) {
                const QString link = QUrl::fromLocalFile(outcome.htmlPath).toString();
                m_status->setText(
                        tr("Report written in %1 s: <a href=\"%2\">open %3</a><br>%4")
                                .arg(QString::number(outcome.seconds, 'f', 0), link,
                                     QDir::toNativeSeparators(outcome.htmlPath).toHtmlEscaped(),
                                     outcome.verdicts.join(QStringLiteral("; ")).toHtmlEscaped()));
                Q_EMIT written(outcome);
            });
    m_requests->onFinished(0, [this](const Status &status) {
        setRunning(false);
        if (status.code() == Status::Code::Cancelled) {
            m_status->setText(tr("Replication cancelled; no report written."));
        } else if (!status.isOk()) {
            m_status->setText(status.message().toHtmlEscaped());
        }
    });
    m_requests->onProgress(0, [this](const JobProgress &progress) {
        m_progress->setValue(int(progress.fraction * 1000));
        m_status->setText(tr("Replication: %1").arg(progress.message.toHtmlEscaped()));
    });
}

ReplicationRequest ReplicationReportBar::request(const QString &directory) const
{
    ReplicationRequest r = m_settings ? m_settings() : ReplicationRequest();
    r.source = m_form->source();
    r.source.factorial = false;
    r.outputDirectory = directory;
    return r;
}

void ReplicationReportBar::chooseDirectoryAndRun()
{
    const QString directory = QFileDialog::getExistingDirectory(
            this, tr("Directory for the replication report (report.html, report.json, figures)"));
    if (!directory.isEmpty()) {
        run(directory);
    }
}

void ReplicationReportBar::run(const QString &directory)
{
    QString problem = m_form->problem();
    const ReplicationRequest r = request(directory);
    if (problem.isEmpty() && (r.source.levelA.isEmpty() || r.source.levelA == r.source.levelB)) {
        problem = tr("The replication contrasts two levels: choose A and B.");
    }
    if (!problem.isEmpty()) {
        m_status->setText(problem.toHtmlEscaped());
        return;
    }
    m_requests->start(0, m_engine->replicate(r));
    m_progress->setValue(0);
    m_status->setText(tr("Replication: four representations, a method comparison on each "
                         "(%1 × %2-fold, %3 permutations), then the paired tests …")
                              .arg(r.repeats)
                              .arg(r.folds)
                              .arg(r.permutations));
    setRunning(true);
}

void ReplicationReportBar::cancel()
{
    m_requests->cancel(0);
}

bool ReplicationReportBar::isRunning() const
{
    return m_requests->isRunning(0);
}

QString ReplicationReportBar::statusText() const
{
    return m_status->text();
}

void ReplicationReportBar::setRunning(bool running)
{
    m_run->setEnabled(!running);
    m_cancel->setEnabled(running);
    m_cancel->setVisible(running);
    m_progress->setVisible(running);
}

}  // namespace gyrus::widgets
