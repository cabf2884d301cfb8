#pragma once
// Workspaces: what the user is working on, saved as one `.gyrus` file
// (core/session/workspace_file.h) and restored from it.
//
// Extension point: every part of the application that has state worth keeping registers a
// WorkspaceSection with the window's Workspace (MainWindow::workspace()). The Workspace knows
// nothing about docks; each section is stored as its own JSON document under /sections/<name>.
//
//   class HeatmapSection : public gyrus::WorkspaceSection {
//       QString name() const override { return QStringLiteral("heatmap"); }
//       QByteArray save() const override { return QJsonDocument(m_panel->state()).toJson(); }
//       Status restore(const QByteArray &json, QStringList *warnings) override { ... }
//       void reset() override { m_panel->clear(); }
//   };
//   window->workspace()->addSection(std::make_unique<HeatmapSection>(panel));
//   connect(panel, &HeatmapPanel::changed, window->workspace(), &Workspace::noteChanged);
//
// or, without a class, makeWorkspaceSection("heatmap", save, restore, reset).
//
// Rules for sections:
// - save() returns a JSON object or array (UTF-8) describing the state; it is called on save,
//   autosave and for the dirty check after each noteChanged(), so keep it cheap and
//   deterministic (same state, same bytes: the title's modified marker compares bytes).
// - restore() applies a saved state. Return an error when the JSON cannot be used (the open is
//   then rolled back: every section gets back what it had). Things the user should know that do
//   not stop the open (a referenced file moved or changed) go to `warnings`.
// - Keep a "version" key in your JSON if its shape may change; unknown keys should be ignored.
// - reset() brings the state of a new workspace (File > New, or a file without the section).
// - Sections a build does not know (another dock's, newer Gyrus) are kept and written back.
// - Call Workspace::noteChanged() when your saved state may have changed.

#include "core/base/status.h"
#include "core/session/workspace_data.h"

#include <QByteArray>
#include <QJsonObject>
#include <QMap>
#include <QObject>
#include <QString>
#include <QStringList>

#include <functional>
#include <memory>
#include <vector>

class QTimer;

namespace gyrus {

/// One part of a workspace, stored as /sections/<name>. See the file comment.
class WorkspaceSection
{
public:
    virtual ~WorkspaceSection() = default;

    /// Stable key and HDF5 dataset name: lower-case letters, digits, '_', '.', '-'.
    virtual QString name() const = 0;
    /// The state as a JSON object or array (UTF-8).
    virtual QByteArray save() const = 0;
    /// Applies a state save() wrote (maybe by another version).
    virtual Status restore(const QByteArray &json, QStringList *warnings) = 0;
    /// The state of a new, empty workspace.
    virtual void reset() = 0;

    /// Results kept as data beside the JSON (tables, matrices), written as HDF5 datasets. The
    /// dirty check compares save() only, so let the JSON change when these do (e.g. carry the
    /// result's settings and size).
    virtual WorkspaceData saveData() const { return {}; }

    /// The arrays the file holds for this section, handed over just before restore() (empty
    /// for a file without any, and before reset()).
    virtual void setRestoredData(const WorkspaceData &data) { Q_UNUSED(data); }

    /// Sections restore in increasing order (then registration order). Sections that start
    /// engine work (loading the model, the SAE) go last, so that a section refusing its state
    /// rolls the open back before anything expensive was started.
    virtual int restoreOrder() const { return 0; }
};

/// A section made of closures (for state that has no class of its own).
std::unique_ptr<WorkspaceSection> makeWorkspaceSection(
        const QString &name, std::function<QByteArray()> save,
        std::function<Status(const QByteArray &json, QStringList *warnings)> restore,
        std::function<void()> reset, int restoreOrder = 0);

/// The open workspace: its sections, its file, and whether it changed since it was saved.
class Workspace : public QObject
{
    Q_OBJECT
public:
    explicit Workspace(QObject *parent = nullptr);
    ~Workspace() override;

    /// Registers a section (replacing one of the same name). The section must stay usable as
    /// long as the Workspace (own only pointers to objects that outlive it, or guard them).
    void addSection(std::unique_ptr<WorkspaceSection> section);
    void removeSection(const QString &name);
    QStringList sectionNames() const;

    /// The workspace file; empty for a workspace never saved.
    QString path() const { return m_path; }

    /// "Untitled" or the file's name.
    QString displayName() const;

    /// True when some section's state differs from the last save/open/new.
    bool isDirty() const { return m_dirty; }

    /// Saves every section to `path` (atomically); on success it becomes the workspace's file
    /// and the workspace is clean. On failure the old file and the dirty state are unchanged.
    Status saveAs(const QString &path);

    Status save() { return saveAs(m_path); }

    /// Writes the current state to `path` without making it the workspace's file and without
    /// touching the dirty state (autosave to a recovery file). `extraProvenance` is merged into
    /// /provenance (e.g. recovered_from).
    Status writeCopy(const QString &path, const QJsonObject &extraProvenance = {}) const;

    /// Opens `path`: reads and checks the whole file first, then restores each section (those
    /// absent from the file are reset). When the file cannot be read or a section refuses its
    /// state, every section is put back as it was and the error (naming the file) is returned.
    /// `warnings` collects the sections' non-fatal remarks.
    Status open(const QString &path, QStringList *warnings = nullptr);

    /// Like open() but the result is an unsaved workspace whose file is `pathAfterwards`
    /// (restoring an autosave: the user's file is not overwritten until they save).
    Status restoreCopy(const QString &copyPath, const QString &pathAfterwards,
                       QStringList *warnings = nullptr);

    /// A new workspace: every section reset, no file, clean.
    void clear();

    /// Takes the current state of `sections` as their saved state (e.g. the demo model loaded
    /// at start-up is not a change the user should be asked to save).
    void acceptCurrentState(const QStringList &sections);

    /// The provenance of the last file opened or saved.
    QJsonObject provenance() const { return m_provenance; }

public Q_SLOTS:
    /// Something saved in the workspace may have changed: re-checks the dirty state soon
    /// (coalesced, so a burst of changes costs one check).
    void noteChanged();
    /// Re-checks the dirty state now.
    void refreshDirty();
    /// Marks the workspace modified whatever the sections say (e.g. after restoring an autosave).
    void markDirty();

Q_SIGNALS:
    void dirtyChanged(bool dirty);
    void pathChanged(const QString &path);
    /// After open(), restoreCopy() or clear() applied a state.
    void restored();

private:
    QMap<QString, QByteArray> snapshot() const;
    QMap<QString, WorkspaceData> dataSnapshot() const;
    std::vector<WorkspaceSection *> inRestoreOrder() const;
    Status applySections(const QMap<QString, QByteArray> &sections,
                         const QMap<QString, WorkspaceData> &data, QStringList *warnings);
    void setPath(const QString &path);
    void setDirty(bool dirty);
    void takeCleanSnapshot();

    std::vector<std::unique_ptr<WorkspaceSection>> m_sections;
    QMap<QString, QByteArray> m_foreign;  ///< sections in the file that nobody registered
    QMap<QString, WorkspaceData> m_foreignData;
    QMap<QString, QByteArray> m_clean;  ///< the state at the last save/open/new
    QString m_path;
    QJsonObject m_provenance;
    bool m_dirty = false;
    bool m_forcedDirty = false;
    bool m_restoring = false;
    QTimer *m_checkTimer;
};

}  // namespace gyrus
