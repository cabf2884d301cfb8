#pragma once

#include "core/base/status.h"
#include "core/prompts/prompt_set.h"

#include <QJsonObject>
#include <QWidget>

class QLabel;
class QListView;
class QStandardItemModel;
class QTableView;
class QTreeView;
class QUndoStack;

namespace gyrus {
class PromptSetModel;
}

namespace gyrus::widgets {

/// The Prompt sets dock: a library of shipped sets, and an editor for the open one — open or
/// import (the seed's legacy JSON and the Gyrus schema), create, edit items in a table (one
/// column per factor, pair ids, targets), see validation issues inline, save in the Gyrus schema.
/// Every edit goes through an undo stack.
class PromptSetsPanel : public QWidget
{
    Q_OBJECT
public:
    explicit PromptSetsPanel(QWidget *parent = nullptr);
    ~PromptSetsPanel() override;

    /// Lists every *.json under `directory` (recursively) in the library view.
    void setLibraryRoot(const QString &directory);
    /// The files the library lists (absolute paths), in the order it shows them.
    QStringList libraryFiles() const;

    /// Loads a prompt set (either format). Errors are returned and shown in the panel.
    Status openFile(const QString &path);
    /// Writes the set in the Gyrus schema to `path` and marks it saved.
    Status saveAs(const QString &path);
    /// Starts an empty set with one two-level factor.
    void newSet();

    /// Edits through the undo stack (what the table's editor does). False when the model refuses
    /// the value (nothing is recorded then).
    bool setCell(int row, int column, const QString &value);
    void addItem();
    void duplicateItems(const QList<int> &rows);
    void removeItems(const QList<int> &rows);
    /// Replaces the factors ("name: level, level" per line); items keep levels that still exist.
    Status setFactorsFromText(const QString &text);
    /// Replaces the factors (one undo step); items keep levels that still exist and get a
    /// factor's first level otherwise.
    Status setFactors(const QList<PromptFactor> &factors);

    const PromptSet &promptSet() const;

    gyrus::PromptSetModel *model() const { return m_model; }

    QUndoStack *undoStack() const { return m_undo; }

    bool isModified() const;
    QString summaryText() const;

    /// The open set for the workspace: its file, format, whether it has unsaved edits, and its
    /// content in the Gyrus schema (so unsaved edits survive).
    QJsonObject workspaceState() const;
    /// Opens the set a workspace saved, with its modified state (the undo history is not kept).
    Status restoreWorkspaceState(const QJsonObject &state);
    /// No set open (a new workspace).
    void resetState();

Q_SIGNALS:
    /// The unsaved-edits state changed (an edit, undo to the saved state, save).
    void modifiedChanged(bool modified);

    /// The open set changed (loaded, edited, undone): other panels re-read it.
    void promptSetChanged(const gyrus::PromptSet &set);

private:
    friend class SnapshotCommand;
    void pushSnapshot(const PromptSet &before, const QString &what);
    void markClean();
    void noteModified();
    void refreshSummary();
    void openDialog();
    void saveDialog();
    void editFactorsDialog();
    QList<int> selectedRows() const;

    gyrus::PromptSetModel *m_model;
    QUndoStack *m_undo;
    QStandardItemModel *m_library;
    QStandardItemModel *m_issues;
    QTreeView *m_libraryView;
    QTableView *m_table;
    QListView *m_issueView;
    QLabel *m_summary;
    QString m_libraryRoot;
    bool m_applyingSnapshot = false;
    bool m_restoredModified = false;  // unsaved edits restored, the file no longer loads
    PromptSet m_cleanSet;             // the set as opened or saved: modified = differs from it
    bool m_modifiedSignalled = false;
};

}  // namespace gyrus::widgets
