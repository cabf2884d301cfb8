#include "widgets/views/corpus_scan_form.h"

#include "widgets/common/icons.h"

#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>

namespace gyrus::widgets {

CorpusScanForm::CorpusScanForm(QWidget *parent)
    : QWidget(parent)
    , m_path(new QLineEdit(this))
    , m_browse(new QPushButton(tr("Browse…"), this))
    , m_directory(new QLineEdit(this))
    , m_browseDirectory(new QPushButton(tr("Browse…"), this))
    , m_tokens(new QSpinBox(this))
    , m_scan(new QPushButton(tr("Scan corpus"), this))
    , m_progress(new QProgressBar(this))
    , m_cancel(new QPushButton(tr("Cancel"), this))
    , m_message(new QLabel(this))
{
    m_browse->setIcon(uiIcon(QStringLiteral("open")));
    m_browseDirectory->setIcon(uiIcon(QStringLiteral("open")));
    m_scan->setIcon(uiIcon(QStringLiteral("start")));
    m_cancel->setIcon(uiIcon(QStringLiteral("cancel")));
    auto *title = new QLabel(tr("No corpus scan yet"), this);
    QFont titleFont = title->font();
    titleFont.setPointSizeF(titleFont.pointSizeF() * 1.2);
    titleFont.setBold(true);
    title->setFont(titleFont);
    auto *explanation = new QLabel(
            tr("A scan runs the corpus through the model and the SAE once and keeps, for every "
               "feature, its strongest tokens in context, an activation histogram and its "
               "density. It is saved in the scan folder below under the SAE's fingerprint, so "
               "the next start with these weights does not scan again."),
            this);
    explanation->setWordWrap(true);
    explanation->setForegroundRole(QPalette::PlaceholderText);

    m_path->setObjectName(QStringLiteral("scan.corpus"));
    m_path->setPlaceholderText(tr("Text file, one sentence or paragraph per line"));
    m_browse->setObjectName(QStringLiteral("scan.browse"));
    m_directory->setObjectName(QStringLiteral("scan.directory"));
    m_directory->setToolTip(
            tr("Where scans are saved, one file per SAE (named by its "
               "fingerprint). Empty: your data folder."));
    m_browseDirectory->setObjectName(QStringLiteral("scan.browseDirectory"));
    m_tokens->setObjectName(QStringLiteral("scan.tokens"));
    m_tokens->setRange(0, 100'000'000);
    m_tokens->setSingleStep(10'000);
    m_tokens->setGroupSeparatorShown(true);
    m_tokens->setSpecialValueText(tr("whole file"));
    m_tokens->setToolTip(
            tr("Tokens to scan from the start of the file (0: all of it). More "
               "tokens find rarer features; about 100k tokens take a minute on a "
               "CPU with the demo model."));
    m_scan->setObjectName(QStringLiteral("scan.start"));
    m_scan->setDefault(true);
    m_cancel->setObjectName(QStringLiteral("scan.cancel"));
    m_progress->setObjectName(QStringLiteral("scan.progress"));
    m_progress->setRange(0, 1000);
    m_progress->setTextVisible(true);
    m_message->setObjectName(QStringLiteral("scan.message"));
    m_message->setWordWrap(true);

    auto *pathRow = new QHBoxLayout;
    pathRow->addWidget(m_path, 1);
    pathRow->addWidget(m_browse);
    auto *form = new QFormLayout;
    form->addRow(tr("Corpus"), pathRow);
    form->addRow(tr("Tokens"), m_tokens);
    auto *directoryRow = new QHBoxLayout;
    directoryRow->addWidget(m_directory, 1);
    directoryRow->addWidget(m_browseDirectory);
    form->addRow(tr("Save in"), directoryRow);
    auto *runRow = new QHBoxLayout;
    runRow->addWidget(m_scan);
    runRow->addWidget(m_progress, 1);
    runRow->addWidget(m_cancel);

    auto *layout = new QVBoxLayout(this);
    layout->addStretch(1);
    layout->addWidget(title);
    layout->addWidget(explanation);
    layout->addSpacing(8);
    layout->addLayout(form);
    layout->addLayout(runRow);
    layout->addWidget(m_message);
    layout->addStretch(2);

    connect(m_browse, &QPushButton::clicked, this, &CorpusScanForm::browse);
    connect(m_scan, &QPushButton::clicked, this,
            [this] { Q_EMIT scanRequested(corpusPath(), tokenBudget()); });
    connect(m_cancel, &QPushButton::clicked, this, &CorpusScanForm::cancelRequested);
    connect(m_path, &QLineEdit::textChanged, this, [this] { setRunning(m_running); });
    connect(m_browseDirectory, &QPushButton::clicked, this, &CorpusScanForm::browseScanDirectory);
    connect(m_directory, &QLineEdit::editingFinished, this,
            [this] { Q_EMIT scanDirectoryChanged(scanDirectory()); });
    setRunning(false);
}

void CorpusScanForm::setCorpusPath(const QString &path)
{
    m_path->setText(path);
}

QString CorpusScanForm::corpusPath() const
{
    return m_path->text().trimmed();
}

void CorpusScanForm::setScanDirectory(const QString &directory)
{
    m_directory->setText(directory);
}

QString CorpusScanForm::scanDirectory() const
{
    return m_directory->text().trimmed();
}

void CorpusScanForm::setDefaultScanDirectory(const QString &directory)
{
    m_directory->setPlaceholderText(directory);
}

qint64 CorpusScanForm::tokenBudget() const
{
    return m_tokens->value();
}

void CorpusScanForm::setTokenBudget(qint64 tokens)
{
    m_tokens->setValue(int(qBound(qint64(0), tokens, qint64(m_tokens->maximum()))));
}

void CorpusScanForm::setRunning(bool running)
{
    m_running = running;
    m_path->setEnabled(!running);
    m_browse->setEnabled(!running);
    m_tokens->setEnabled(!running);
    m_directory->setEnabled(!running);
    m_browseDirectory->setEnabled(!running);
    m_scan->setEnabled(!running && !corpusPath().isEmpty());
    m_progress->setVisible(running);
    m_cancel->setVisible(running);
    if (running) {
        m_progress->setValue(0);
        m_progress->setFormat(tr("starting…"));
        m_message->clear();
    }
}

bool CorpusScanForm::isRunning() const
{
    return m_running;
}

void CorpusScanForm::setProgress(double fraction, const QString &message)
{
    m_progress->setValue(int(qBound(0.0, fraction, 1.0) * 1000));
    m_progress->setFormat(message.isEmpty() ? QStringLiteral("%p%")
                                            : QStringLiteral("%p% · ") + message);
}

void CorpusScanForm::setMessage(const QString &text)
{
    m_message->setText(text);
}

QString CorpusScanForm::message() const
{
    return m_message->text();
}

void CorpusScanForm::browse()
{
    const QString start = corpusPath().isEmpty() ? QString() : QFileInfo(corpusPath()).path();
    const QString chosen = QFileDialog::getOpenFileName(this, tr("Corpus to scan"), start,
                                                        tr("Text files (*.txt);;All files (*)"));
    if (!chosen.isEmpty()) {
        m_path->setText(chosen);
    }
}

void CorpusScanForm::browseScanDirectory()
{
    const QString start =
            scanDirectory().isEmpty() ? m_directory->placeholderText() : scanDirectory();
    const QString chosen =
            QFileDialog::getExistingDirectory(this, tr("Folder for corpus scans"), start);
    if (!chosen.isEmpty()) {
        m_directory->setText(chosen);
        Q_EMIT scanDirectoryChanged(chosen);
    }
}

}  // namespace gyrus::widgets
