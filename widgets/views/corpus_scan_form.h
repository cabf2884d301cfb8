#pragma once

#include <QWidget>

class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;

namespace gyrus::widgets {

/// What the feature inspector shows when the loaded SAE has no corpus scan yet: what a scan is,
/// the corpus to scan (a file chooser), how many tokens, a "Scan corpus" button, and while it
/// runs a progress bar with Cancel. Emits intents; the panel talks to the engine.
class CorpusScanForm : public QWidget
{
    Q_OBJECT
public:
    explicit CorpusScanForm(QWidget *parent = nullptr);

    void setCorpusPath(const QString &path);
    QString corpusPath() const;
    /// The folder scans are saved in; empty: the default (shown as the placeholder).
    void setScanDirectory(const QString &directory);
    QString scanDirectory() const;
    /// What an empty scan folder means (the per-user default), shown greyed in the field.
    void setDefaultScanDirectory(const QString &directory);

    /// 0: the whole file.
    qint64 tokenBudget() const;
    void setTokenBudget(qint64 tokens);

    /// Running: the progress bar and Cancel show, the form is read-only.
    void setRunning(bool running);
    bool isRunning() const;
    void setProgress(double fraction, const QString &message);
    /// A line under the button: why the last scan stopped, or where a saved scan went.
    void setMessage(const QString &text);
    QString message() const;

    QPushButton *scanButton() const { return m_scan; }

    QPushButton *cancelButton() const { return m_cancel; }

    QProgressBar *progressBar() const { return m_progress; }

Q_SIGNALS:
    void scanRequested(const QString &corpusPath, qint64 tokenBudget);
    void cancelRequested();
    /// The user chose another scan folder (empty: back to the default).
    void scanDirectoryChanged(const QString &directory);

private:
    void browse();
    void browseScanDirectory();

    QLineEdit *m_path;
    QPushButton *m_browse;
    QLineEdit *m_directory;
    QPushButton *m_browseDirectory;
    QSpinBox *m_tokens;
    QPushButton *m_scan;
    QProgressBar *m_progress;
    QPushButton *m_cancel;
    QLabel *m_message;
    bool m_running = false;
};

}  // namespace gyrus::widgets
