#pragma once
// File > New / Open… / Save / Save As… of `.gyrus` workspaces, the modified marker in the
// window title, the save-before-discarding question, autosave to a recovery file and the
// restore offer after a crash. The state itself lives in the Workspace's sections
// (core/session/workspace.h).

#include "core/base/status.h"

#include <QObject>
#include <QString>

#include <functional>
#include <memory>

class QAction;
class QLockFile;
class QMainWindow;
class QMenu;
class QSettings;
class QTimer;

namespace gyrus {
class Workspace;
}

namespace gyrus::app {

class WorkspaceController : public QObject
{
    Q_OBJECT
public:
    /// `settings` (may be null) holds the autosave interval ("workspace/autosaveMinutes",
    /// default 3; 0 turns autosave off) and the last directory used.
    WorkspaceController(QMainWindow *window, Workspace *workspace, QSettings *settings);
    ~WorkspaceController() override;

    /// Adds New, Open…, Save, Save As… to `file`.
    void addFileActions(QMenu *file);

    enum class Answer
    {
        Save,
        Discard,
        Cancel,
    };
    /// Replaces the "save changes?" dialog (tests). Without one, and on the offscreen platform
    /// (tests), unsaved changes are discarded rather than blocking on a dialog nobody sees.
    void setSaveQuestion(std::function<Answer(const QString &text)> ask);
    /// Replaces the crash-recovery dialog: return true to restore.
    void setRecoveryQuestion(std::function<bool(const QString &text)> ask);
    /// Replaces the message boxes for errors and warnings (tests record them).
    void setMessageSink(std::function<void(const QString &title, const QString &text)> show);
    /// Replaces the file dialogs (tests): return the chosen path or an empty string.
    void setFileChooser(std::function<QString(bool forSaving)> choose);

    /// Each returns false when nothing happened (the user cancelled, or an error was shown).
    bool newWorkspace();
    bool openWorkspace(const QString &path);
    bool save();
    bool saveAs(const QString &path);
    /// Asks to save a modified workspace; false when the user cancelled (keep the window open).
    bool maybeSave();

    /// Enables autosave to `path` (every autosave interval, only when modified) and the
    /// recovery offer. Returns false (and leaves autosave off) when another running Gyrus
    /// holds the same recovery file.
    bool setRecoveryFile(const QString &path);

    QString recoveryFile() const { return m_recoveryFile; }

    /// AppDataLocation/recovery.gyrus.
    static QString defaultRecoveryFile();
    void setAutosaveInterval(int milliseconds);
    int autosaveInterval() const;
    /// Writes the recovery file now when the workspace is modified.
    Status autosaveNow();
    /// When a recovery file exists (the last session did not exit cleanly), asks whether to
    /// restore it; restores (as an unsaved workspace) or deletes it. True when restored.
    bool offerRecovery();
    /// Deletes the recovery file (a clean exit).
    void cleanExit();

private:
    void updateTitle();
    void showMessage(const QString &title, const QString &text);
    QString chooseFile(bool forSaving);

    QMainWindow *m_window;
    Workspace *m_workspace;
    QSettings *m_settings;
    QTimer *m_autosave;
    QString m_recoveryFile;
    std::unique_ptr<QLockFile> m_recoveryLock;
    std::function<Answer(const QString &)> m_askSave;
    std::function<bool(const QString &)> m_askRecovery;
    std::function<void(const QString &, const QString &)> m_showMessage;
    std::function<QString(bool)> m_chooseFile;
};

}  // namespace gyrus::app
