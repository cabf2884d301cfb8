#include "app/workspace_controller.h"

#include "core/base/logging.h"
#include "core/base/version.h"
#include "core/session/workspace.h"
#include "core/session/workspace_file.h"

#include <QAction>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QGuiApplication>
#include <QJsonObject>
#include <QLockFile>
#include <QMainWindow>
#include <QMenu>
#include <QMessageBox>
#include <QPushButton>
#include <QSettings>
#include <QStandardPaths>
#include <QTimer>

namespace gyrus::app {

namespace {

const QString kAutosaveKey = QStringLiteral("workspace/autosaveMinutes");
const QString kDirectoryKey = QStringLiteral("workspace/lastDirectory");
const QString kFilter = QStringLiteral("Gyrus workspaces (*.gyrus);;All files (*)");

bool headless()
{
    return QGuiApplication::platformName() == QLatin1String("offscreen");
}

}  // namespace

WorkspaceController::WorkspaceController(QMainWindow *window, Workspace *workspace,
                                         QSettings *settings)
    : QObject(window)
    , m_window(window)
    , m_workspace(workspace)
    , m_settings(settings)
    , m_autosave(new QTimer(this))
{
    const double minutes = settings ? settings->value(kAutosaveKey, 3.0).toDouble() : 3.0;
    m_autosave->setInterval(static_cast<int>(minutes * 60'000));
    connect(m_autosave, &QTimer::timeout, this, [this] {
        if (Status saved = autosaveNow(); !saved.isOk()) {
            qCWarning(lcUi).noquote() << QStringLiteral("autosave failed: %1").arg(saved.message());
        }
    });
    connect(m_workspace, &Workspace::dirtyChanged, this, &WorkspaceController::updateTitle);
    connect(m_workspace, &Workspace::pathChanged, this, &WorkspaceController::updateTitle);
    updateTitle();
}

WorkspaceController::~WorkspaceController() = default;

void WorkspaceController::addFileActions(QMenu *file)
{
    QAction *newAction =
            file->addAction(tr("&New workspace"), this, &WorkspaceController::newWorkspace);
    newAction->setShortcut(QKeySequence::New);
    newAction->setObjectName(QStringLiteral("action.newWorkspace"));
    QAction *open = file->addAction(tr("&Open workspace…"), this, [this] {
        if (!maybeSave()) {
            return;
        }
        const QString path = chooseFile(false);
        if (!path.isEmpty()) {
            // Already asked: open without asking again.
            QStringList warnings;
            if (Status opened = m_workspace->open(path, &warnings); !opened.isOk()) {
                showMessage(tr("Cannot open workspace"), opened.message());
            } else if (!warnings.isEmpty()) {
                showMessage(tr("Workspace opened with warnings"),
                            warnings.join(QStringLiteral("\n\n")));
            }
        }
    });
    open->setShortcut(QKeySequence::Open);
    open->setObjectName(QStringLiteral("action.openWorkspace"));
    QAction *saveAction = file->addAction(tr("&Save workspace"), this, &WorkspaceController::save);
    saveAction->setShortcut(QKeySequence::Save);
    saveAction->setObjectName(QStringLiteral("action.saveWorkspace"));
    QAction *saveAsAction = file->addAction(tr("Save workspace &as…"), this, [this] {
        const QString path = chooseFile(true);
        if (!path.isEmpty()) {
            saveAs(path);
        }
    });
    saveAsAction->setShortcut(QKeySequence::SaveAs);
    saveAsAction->setObjectName(QStringLiteral("action.saveWorkspaceAs"));
    file->addSeparator();
}

void WorkspaceController::setSaveQuestion(std::function<Answer(const QString &)> ask)
{
    m_askSave = std::move(ask);
}

void WorkspaceController::setRecoveryQuestion(std::function<bool(const QString &)> ask)
{
    m_askRecovery = std::move(ask);
}

void WorkspaceController::setMessageSink(std::function<void(const QString &, const QString &)> show)
{
    m_showMessage = std::move(show);
}

void WorkspaceController::setFileChooser(std::function<QString(bool)> choose)
{
    m_chooseFile = std::move(choose);
}

void WorkspaceController::updateTitle()
{
    // "[*]" is where Qt draws the modified marker (setWindowModified).
    m_window->setWindowTitle(
            QStringLiteral("%1[*] — Gyrus %2").arg(m_workspace->displayName(), versionString()));
    m_window->setWindowModified(m_workspace->isDirty());
    // Autosave runs only while there is something unsaved.
    if (!m_recoveryFile.isEmpty() && m_workspace->isDirty() && m_autosave->interval() > 0) {
        if (!m_autosave->isActive()) {
            m_autosave->start();
        }
    } else {
        m_autosave->stop();
    }
}

void WorkspaceController::showMessage(const QString &title, const QString &text)
{
    qCWarning(lcUi).noquote() << QStringLiteral("%1: %2").arg(title, text);
    if (m_showMessage) {
        m_showMessage(title, text);
    } else if (!headless()) {
        QMessageBox::warning(m_window, title, text);
    }
}

QString WorkspaceController::chooseFile(bool forSaving)
{
    if (m_chooseFile) {
        return m_chooseFile(forSaving);
    }
    const QString directory =
            m_settings ? m_settings->value(kDirectoryKey, QDir::homePath()).toString()
                       : QDir::homePath();
    QString path;
    if (forSaving) {
        const QString suggestion =
                m_workspace->path().isEmpty()
                        ? QDir(directory).filePath(QStringLiteral("untitled.gyrus"))
                        : m_workspace->path();
        path = QFileDialog::getSaveFileName(m_window, tr("Save workspace"), suggestion, kFilter);
        if (!path.isEmpty() && QFileInfo(path).suffix().isEmpty()) {
            path += QStringLiteral(".gyrus");
        }
    } else {
        path = QFileDialog::getOpenFileName(m_window, tr("Open workspace"), directory, kFilter);
    }
    if (!path.isEmpty() && m_settings) {
        m_settings->setValue(kDirectoryKey, QFileInfo(path).absolutePath());
    }
    return path;
}

bool WorkspaceController::maybeSave()
{
    m_workspace->refreshDirty();
    if (!m_workspace->isDirty()) {
        return true;
    }
    const QString text =
            tr("The workspace %1 has unsaved changes. Save them?").arg(m_workspace->displayName());
    Answer answer = Answer::Discard;
    if (m_askSave) {
        answer = m_askSave(text);
    } else if (!headless()) {
        const auto button = QMessageBox::question(
                m_window, tr("Unsaved changes"), text,
                QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel, QMessageBox::Save);
        answer = button == QMessageBox::Save      ? Answer::Save
                 : button == QMessageBox::Discard ? Answer::Discard
                                                  : Answer::Cancel;
    } else {
        qCWarning(lcUi) << "unsaved workspace changes discarded (offscreen, nobody to ask)";
    }
    switch (answer) {
        case Answer::Save:
            return save();
        case Answer::Discard:
            return true;
        default:
            return false;
    }
}

bool WorkspaceController::newWorkspace()
{
    if (!maybeSave()) {
        return false;
    }
    m_workspace->clear();
    return true;
}

bool WorkspaceController::openWorkspace(const QString &path)
{
    if (!maybeSave()) {
        return false;
    }
    QStringList warnings;
    if (Status opened = m_workspace->open(path, &warnings); !opened.isOk()) {
        showMessage(tr("Cannot open workspace"), opened.message());
        return false;
    }
    if (!warnings.isEmpty()) {
        showMessage(tr("Workspace opened with warnings"), warnings.join(QStringLiteral("\n\n")));
    }
    return true;
}

bool WorkspaceController::save()
{
    if (m_workspace->path().isEmpty()) {
        const QString path = chooseFile(true);
        return !path.isEmpty() && saveAs(path);
    }
    return saveAs(m_workspace->path());
}

bool WorkspaceController::saveAs(const QString &path)
{
    if (Status saved = m_workspace->saveAs(path); !saved.isOk()) {
        showMessage(tr("Cannot save workspace"), saved.message());
        return false;
    }
    // Everything is on disk: nothing left to recover.
    if (!m_recoveryFile.isEmpty()) {
        QFile::remove(m_recoveryFile);
    }
    return true;
}

QString WorkspaceController::defaultRecoveryFile()
{
    return QDir(QStandardPaths::writableLocation(QStandardPaths::AppDataLocation))
            .filePath(QStringLiteral("recovery.gyrus"));
}

bool WorkspaceController::setRecoveryFile(const QString &path)
{
    m_recoveryLock.reset();
    m_recoveryFile.clear();
    if (path.isEmpty()) {
        updateTitle();
        return true;
    }
    QDir().mkpath(QFileInfo(path).absolutePath());
    auto lock = std::make_unique<QLockFile>(path + QStringLiteral(".lock"));
    lock->setStaleLockTime(0);  // a crashed session's lock is stale once its process is gone
    if (!lock->tryLock(0)) {
        qCWarning(lcUi).noquote()
                << QStringLiteral(
                           "another Gyrus uses the recovery file %1: autosave is off in "
                           "this window")
                           .arg(path);
        updateTitle();
        return false;
    }
    m_recoveryLock = std::move(lock);
    m_recoveryFile = path;
    updateTitle();
    return true;
}

void WorkspaceController::setAutosaveInterval(int milliseconds)
{
    m_autosave->setInterval(milliseconds);
    updateTitle();
}

int WorkspaceController::autosaveInterval() const
{
    return m_autosave->interval();
}

Status WorkspaceController::autosaveNow()
{
    if (m_recoveryFile.isEmpty()) {
        return Status::invalidInput(tr("no recovery file set"));
    }
    m_workspace->refreshDirty();
    if (!m_workspace->isDirty()) {
        return Status::ok();
    }
    return m_workspace->writeCopy(m_recoveryFile,
                                  {{QStringLiteral("recovered_from"), m_workspace->path()},
                                   {QStringLiteral("autosave"), true}});
}

bool WorkspaceController::offerRecovery()
{
    if (m_recoveryFile.isEmpty() || !QFileInfo::exists(m_recoveryFile)) {
        return false;
    }
    Result<WorkspaceDocument> document = readWorkspaceFile(m_recoveryFile);
    if (!document) {
        qCWarning(lcUi).noquote() << QStringLiteral("discarding an unreadable recovery file: %1")
                                             .arg(document.status().message());
        QFile::remove(m_recoveryFile);
        return false;
    }
    const QString original =
            document->provenance.value(QStringLiteral("recovered_from")).toString();
    const QString savedAt = document->provenance.value(QStringLiteral("saved_at")).toString();
    const QString text = tr("Gyrus did not exit cleanly last time. An autosave of %1 from %2 (UTC) "
                            "exists.\n\nRestore it? Discard deletes it.")
                                 .arg(original.isEmpty() ? tr("an untitled workspace")
                                                         : QFileInfo(original).fileName(),
                                      savedAt);
    bool restore = false;
    if (m_askRecovery) {
        restore = m_askRecovery(text);
    } else if (!headless()) {
        QMessageBox box(QMessageBox::Question, tr("Restore unsaved work?"), text,
                        QMessageBox::NoButton, m_window);
        QPushButton *restoreButton = box.addButton(tr("Restore"), QMessageBox::AcceptRole);
        box.addButton(tr("Discard"), QMessageBox::DestructiveRole);
        box.setDefaultButton(restoreButton);
        box.exec();
        restore = box.clickedButton() == restoreButton;
    }
    if (!restore) {
        QFile::remove(m_recoveryFile);
        return false;
    }
    QStringList warnings;
    if (Status restored = m_workspace->restoreCopy(m_recoveryFile, original, &warnings);
        !restored.isOk()) {
        showMessage(tr("Cannot restore the autosave"), restored.message());
        return false;
    }
    if (!warnings.isEmpty()) {
        showMessage(tr("Autosave restored with warnings"), warnings.join(QStringLiteral("\n\n")));
    }
    // Kept until the user saves or exits cleanly: a second crash loses nothing.
    return true;
}

void WorkspaceController::cleanExit()
{
    m_autosave->stop();
    if (!m_recoveryFile.isEmpty()) {
        QFile::remove(m_recoveryFile);
    }
}

}  // namespace gyrus::app
