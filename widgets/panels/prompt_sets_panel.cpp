#include "widgets/panels/prompt_sets_panel.h"

#include "core/prompts/prompt_set_io.h"
#include "core/prompts/prompt_set_model.h"
#include "core/prompts/prompt_set_validation.h"
#include "widgets/common/icons.h"
#include "widgets/views/factors_dialog.h"

#include <QAction>
#include <QDir>
#include <QDirIterator>
#include <QFileDialog>
#include <QFileInfo>
#include <QHeaderView>
#include <QJsonDocument>
#include <QLabel>
#include <QListView>
#include <QMessageBox>
#include <QMetaProperty>
#include <QPainter>
#include <QSplitter>
#include <QStandardItemModel>
#include <QStyledItemDelegate>
#include <QTableView>
#include <QToolBar>
#include <QTreeView>
#include <QUndoCommand>
#include <QUndoStack>
#include <QVBoxLayout>

namespace gyrus::widgets {

/// Undo by whole-set snapshots: prompt sets are small (hundreds of items), and a snapshot can
/// never get out of step with the model's own validation rules the way per-field inverse edits
/// could (ids, pairs and levels constrain each other).
class SnapshotCommand : public QUndoCommand
{
public:
    SnapshotCommand(PromptSetsPanel *panel, PromptSet before, PromptSet after, const QString &text)
        : QUndoCommand(text)
        , m_panel(panel)
        , m_before(std::move(before))
        , m_after(std::move(after))
    {}

    void undo() override { apply(m_before); }

    void redo() override
    {
        if (m_firstRedo) {
            m_firstRedo = false;  // the edit has already been made in the model
            return;
        }
        apply(m_after);
    }

private:
    void apply(const PromptSet &set)
    {
        m_panel->m_applyingSnapshot = true;
        m_panel->m_model->setPromptSet(set);
        m_panel->m_applyingSnapshot = false;
        m_panel->refreshSummary();
    }

    PromptSetsPanel *m_panel;
    PromptSet m_before;
    PromptSet m_after;
    bool m_firstRedo = true;
};

namespace {

// Routes the table's edits through PromptSetsPanel::setCell (the undo stack) and tints rows
// with validation issues.
class PromptItemDelegate : public QStyledItemDelegate
{
public:
    explicit PromptItemDelegate(PromptSetsPanel *panel)
        : QStyledItemDelegate(panel)
        , m_panel(panel)
    {}

    void setModelData(QWidget *editor, QAbstractItemModel *,
                      const QModelIndex &index) const override
    {
        const QByteArray property = editor->metaObject()->userProperty().name();
        const QString value = editor->property(property.constData()).toString();
        if (value != index.data(Qt::EditRole).toString()) {
            m_panel->setCell(index.row(), index.column(), value);
        }
    }

    void paint(QPainter *painter, const QStyleOptionViewItem &option,
               const QModelIndex &index) const override
    {
        const int severity = index.data(PromptSetModel::SeverityRole).toInt();
        if (severity >= 0) {
            QColor tint = severity == static_cast<int>(PromptIssue::Severity::Error)
                                  ? QColor(220, 50, 47)
                                  : QColor(181, 137, 0);
            tint.setAlphaF(0.18);
            painter->fillRect(option.rect, tint);
        }
        QStyledItemDelegate::paint(painter, option, index);
    }

private:
    PromptSetsPanel *m_panel;
};

constexpr int kPathRole = Qt::UserRole + 1;

}  // namespace

PromptSetsPanel::PromptSetsPanel(QWidget *parent)
    : QWidget(parent)
    , m_model(new PromptSetModel(this))
    , m_undo(new QUndoStack(this))
    , m_library(new QStandardItemModel(this))
    , m_issues(new QStandardItemModel(this))
    , m_libraryView(new QTreeView(this))
    , m_table(new QTableView(this))
    , m_issueView(new QListView(this))
    , m_summary(new QLabel(this))
{
    m_undo->setUndoLimit(200);
    // Modified means "differs from the file", not "the undo stack moved": undoing back to the
    // original, or typing the old text back, is unmodified again.
    connect(m_undo, &QUndoStack::indexChanged, this, [this] { noteModified(); });

    // Two short rows rather than one long one: in a dock a quarter of a small screen wide, one row
    // pushed Redo and Factors… into an overflow menu nobody finds.
    auto *toolbar = new QToolBar(this);
    toolbar->setObjectName(QStringLiteral("promptSetFileBar"));
    // Words without icons: an icon beside each word costs the width of a button.
    toolbar->setToolButtonStyle(Qt::ToolButtonTextOnly);
    toolbar->addAction(tr("New"), this, &PromptSetsPanel::newSet);
    toolbar->addAction(uiIcon(QStringLiteral("open")), tr("Open…"), this,
                       &PromptSetsPanel::openDialog);
    toolbar->addAction(uiIcon(QStringLiteral("save")), tr("Save as…"), this,
                       &PromptSetsPanel::saveDialog);
    toolbar->addSeparator();
    auto *editBar = new QToolBar(this);
    editBar->setObjectName(QStringLiteral("promptSetEditBar"));
    editBar->setToolButtonStyle(Qt::ToolButtonTextOnly);
    QAction *undo = m_undo->createUndoAction(this, tr("Undo"));
    undo->setShortcut(QKeySequence::Undo);
    undo->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    QAction *redo = m_undo->createRedoAction(this, tr("Redo"));
    redo->setShortcut(QKeySequence::Redo);
    redo->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    toolbar->addAction(undo);
    toolbar->addAction(redo);
    addAction(undo);
    addAction(redo);
    editBar->addAction(uiIcon(QStringLiteral("add")), tr("Add"), this, &PromptSetsPanel::addItem);
    editBar->addAction(tr("Duplicate"), this, [this] { duplicateItems(selectedRows()); });
    editBar->addAction(uiIcon(QStringLiteral("remove")), tr("Remove"), this,
                       [this] { removeItems(selectedRows()); });
    editBar->addSeparator();
    editBar->addAction(tr("Factors…"), this, &PromptSetsPanel::editFactorsDialog);

    m_libraryView->setModel(m_library);
    m_libraryView->setHeaderHidden(true);
    m_libraryView->setObjectName(QStringLiteral("promptLibrary"));
    m_libraryView->setEditTriggers(QAbstractItemView::NoEditTriggers);
    connect(m_libraryView, &QTreeView::activated, this, [this](const QModelIndex &index) {
        const QString path = index.data(kPathRole).toString();
        if (!path.isEmpty()) {
            openFile(path);
        }
    });

    m_table->setModel(m_model);
    m_table->setObjectName(QStringLiteral("promptItems"));
    m_table->setItemDelegate(new PromptItemDelegate(this));
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setWordWrap(false);
    m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 6);
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_issueView->setModel(m_issues);
    m_issueView->setObjectName(QStringLiteral("promptIssues"));
    m_issueView->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_issueView->setWordWrap(true);
    connect(m_issueView, &QListView::activated, this, [this](const QModelIndex &index) {
        const int row = index.data(kPathRole).toInt();
        if (row >= 0 && row < m_model->rowCount()) {
            m_table->selectRow(row);
            m_table->scrollTo(m_model->index(row, 0));
        }
    });
    m_summary->setWordWrap(true);
    m_summary->setObjectName(QStringLiteral("promptSummary"));

    auto *editor = new QWidget(this);
    auto *editorLayout = new QVBoxLayout(editor);
    editorLayout->setContentsMargins(0, 0, 0, 0);
    editorLayout->addWidget(m_summary);
    editorLayout->addWidget(m_table, 3);
    editorLayout->addWidget(m_issueView, 1);
    auto *splitter = new QSplitter(Qt::Vertical, this);
    splitter->addWidget(m_libraryView);
    splitter->addWidget(editor);
    splitter->setStretchFactor(0, 1);
    splitter->setStretchFactor(1, 3);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(2, 2, 2, 2);
    layout->setSpacing(0);
    layout->addWidget(toolbar);
    layout->addWidget(editBar);
    layout->addWidget(splitter);

    connect(m_model, &QAbstractItemModel::modelReset, this, &PromptSetsPanel::refreshSummary);
    refreshSummary();
}

PromptSetsPanel::~PromptSetsPanel()
{
    // The undo stack is a child, destroyed by ~QWidget after this destructor: its destructor
    // clears the stack and emits cleanChanged when there were unsaved edits. Our slot would then
    // run on an object that is no longer a PromptSetsPanel (undefined behaviour, seen by UBSan)
    // and tell listeners the panel's modified state changed while it is being destroyed.
    m_undo->disconnect(this);
}

void PromptSetsPanel::setLibraryRoot(const QString &directory)
{
    m_libraryRoot = directory;
    m_library->clear();
    QMap<QString, QStandardItem *> folders;
    QStringList files;
    QDirIterator it(directory, {QStringLiteral("*.json")}, QDir::Files,
                    QDirIterator::Subdirectories);
    while (it.hasNext()) {
        files << it.next();
    }
    files.sort();
    const QDir root(directory);
    for (const QString &file : std::as_const(files)) {
        const QString relativeDir = QFileInfo(root.relativeFilePath(file)).path();
        QStandardItem *&folder = folders[relativeDir];
        if (!folder) {
            folder = new QStandardItem(relativeDir == QLatin1String(".") ? tr("(top level)")
                                                                         : relativeDir);
            folder->setSelectable(false);
            m_library->appendRow(folder);
        }
        auto *item = new QStandardItem(QFileInfo(file).completeBaseName());
        item->setData(file, kPathRole);
        item->setToolTip(QDir::toNativeSeparators(file));
        folder->appendRow(item);
    }
    m_libraryView->expandAll();
}

QStringList PromptSetsPanel::libraryFiles() const
{
    QStringList files;
    for (int row = 0; row < m_library->rowCount(); ++row) {
        const QStandardItem *folder = m_library->item(row);
        for (int file = 0; file < folder->rowCount(); ++file) {
            files << folder->child(file)->data(kPathRole).toString();
        }
    }
    return files;
}

Status PromptSetsPanel::openFile(const QString &path)
{
    Result<PromptSetLoad> loaded = loadPromptSet(path);
    if (!loaded) {
        m_summary->setText(tr("Could not open %1: %2")
                                   .arg(QFileInfo(path).fileName(), loaded.status().message()));
        return loaded.status();
    }
    m_undo->clear();
    m_model->setPromptSet(loaded->set);
    markClean();
    refreshSummary();
    return Status::ok();
}

void PromptSetsPanel::markClean()
{
    m_undo->setClean();
    m_cleanSet = m_model->promptSet();
    m_restoredModified = false;
    noteModified();
}

void PromptSetsPanel::noteModified()
{
    const bool modified = isModified();
    if (modified != m_modifiedSignalled) {
        m_modifiedSignalled = modified;
        Q_EMIT modifiedChanged(modified);
    }
}

Status PromptSetsPanel::saveAs(const QString &path)
{
    PromptSet set = m_model->promptSet();
    if (set.name.isEmpty()) {
        set.name = QFileInfo(path).completeBaseName();
    }
    if (Status saved = savePromptSet(set, path); !saved.isOk()) {
        return saved;
    }
    set.sourceFile = path;
    set.format = PromptSet::Format::Gyrus;
    m_applyingSnapshot = true;
    m_model->setPromptSet(set);
    m_applyingSnapshot = false;
    markClean();
    refreshSummary();
    return Status::ok();
}

void PromptSetsPanel::newSet()
{
    PromptSet set;
    set.name = tr("untitled");
    set.factors.append(
            PromptFactor{QStringLiteral("condition"), {QStringLiteral("a"), QStringLiteral("b")}});
    m_undo->clear();
    m_model->setPromptSet(set);
    markClean();
    refreshSummary();
}

bool PromptSetsPanel::setCell(int row, int column, const QString &value)
{
    const PromptSet before = m_model->promptSet();
    if (!m_model->setData(m_model->index(row, column), value)) {
        return false;
    }
    const QString header = m_model->headerData(column, Qt::Horizontal).toString();
    pushSnapshot(before, tr("Edit %1 of %2").arg(header, before.items.value(row).id));
    return true;
}

void PromptSetsPanel::addItem()
{
    const PromptSet before = m_model->promptSet();
    const int row = m_model->rowCount();
    if (m_model->insertRows(row, 1)) {
        pushSnapshot(before, tr("Add item"));
        m_table->selectRow(row);
        m_table->edit(m_model->index(row, PromptSetModel::textColumn()));
    }
}

void PromptSetsPanel::duplicateItems(const QList<int> &rows)
{
    if (rows.isEmpty()) {
        return;
    }
    const PromptSet before = m_model->promptSet();
    for (int row : rows) {
        const PromptItem source = before.items.value(row);
        const int target = m_model->rowCount();
        if (!m_model->insertRows(target, 1)) {
            continue;
        }
        m_model->setData(m_model->index(target, PromptSetModel::textColumn()), source.text);
        for (int f = 0; f < before.factors.size(); ++f) {
            m_model->setData(m_model->index(target, m_model->factorColumn(f)),
                             source.levels.value(before.factors[f].name));
        }
    }
    pushSnapshot(before, tr("Duplicate %n item(s)", nullptr, static_cast<int>(rows.size())));
}

void PromptSetsPanel::removeItems(const QList<int> &rows)
{
    if (rows.isEmpty()) {
        return;
    }
    const PromptSet before = m_model->promptSet();
    QList<int> sorted = rows;
    std::sort(sorted.begin(), sorted.end(), std::greater<int>());
    for (int row : sorted) {
        m_model->removeRows(row, 1);
    }
    pushSnapshot(before, tr("Remove %n item(s)", nullptr, static_cast<int>(rows.size())));
}

Status PromptSetsPanel::setFactorsFromText(const QString &text)
{
    QList<PromptFactor> factors;
    const QStringList lines = text.split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    for (const QString &line : lines) {
        const int colon = static_cast<int>(line.indexOf(QLatin1Char(':')));
        PromptFactor factor;
        factor.name = line.left(colon).trimmed();
        for (const QString &level :
             line.mid(colon + 1).split(QLatin1Char(','), Qt::SkipEmptyParts)) {
            factor.levels << level.trimmed();
        }
        if (colon <= 0 || factor.name.isEmpty() || factor.levels.size() < 2) {
            return Status::invalidInput(
                    tr("'%1': write a factor as 'name: level, level' with at least two levels")
                            .arg(line.trimmed()));
        }
        factors << factor;
    }
    return setFactors(factors);
}

Status PromptSetsPanel::setFactors(const QList<PromptFactor> &factors)
{
    if (factors.isEmpty()) {
        return Status::invalidInput(tr("a prompt set needs at least one factor"));
    }
    const PromptSet before = m_model->promptSet();
    PromptSet after = before;
    after.factors = factors;
    for (PromptItem &item : after.items) {
        QMap<QString, QString> levels;
        for (const PromptFactor &factor : factors) {
            const QString kept = item.levels.value(factor.name);
            levels.insert(factor.name, factor.levels.contains(kept) ? kept : factor.levels.first());
        }
        item.levels = levels;
    }
    m_applyingSnapshot = true;
    m_model->setPromptSet(after);
    m_applyingSnapshot = false;
    pushSnapshot(before, tr("Change factors"));
    return Status::ok();
}

const PromptSet &PromptSetsPanel::promptSet() const
{
    return m_model->promptSet();
}

bool PromptSetsPanel::isModified() const
{
    return m_restoredModified || !(m_model->promptSet() == m_cleanSet);
}

QJsonObject PromptSetsPanel::workspaceState() const
{
    const PromptSet &set = m_model->promptSet();
    QJsonObject state{{QStringLiteral("version"), 1}};
    if (set.items.isEmpty() && set.factors.isEmpty() && set.name.isEmpty()) {
        return state;  // nothing open
    }
    state[QStringLiteral("open")] = QJsonObject{
            {QStringLiteral("source_file"), set.sourceFile},
            {QStringLiteral("format"), promptSetFormatName(set.format)},
            {QStringLiteral("modified"), isModified()},
            {QStringLiteral("set"), QJsonDocument::fromJson(promptSetToJson(set)).object()},
    };
    return state;
}

Status PromptSetsPanel::restoreWorkspaceState(const QJsonObject &state)
{
    const QJsonObject open = state.value(QStringLiteral("open")).toObject();
    if (open.isEmpty()) {
        resetState();
        return Status::ok();
    }
    const QString source = open.value(QStringLiteral("source_file")).toString();
    Result<PromptSetLoad> parsed =
            parsePromptSet(QJsonDocument(open.value(QStringLiteral("set")).toObject()).toJson(),
                           source.isEmpty() ? tr("the workspace's prompt set") : source);
    if (!parsed) {
        return parsed.status();
    }
    PromptSet set = parsed->set;
    set.sourceFile = source;
    set.format = open.value(QStringLiteral("format")).toString() ==
                                 promptSetFormatName(PromptSet::Format::Legacy)
                         ? PromptSet::Format::Legacy
                         : PromptSet::Format::Gyrus;
    m_undo->clear();
    m_model->setPromptSet(set);
    m_undo->setClean();
    m_cleanSet = set;
    m_restoredModified = false;
    if (open.value(QStringLiteral("modified")).toBool()) {
        // Unsaved edits: modified against the file as it is on disk, when it still loads.
        Result<PromptSetLoad> onDisk = source.isEmpty()
                                               ? Result<PromptSetLoad>(Status::notFound(source))
                                               : loadPromptSet(source);
        if (onDisk) {
            m_cleanSet = onDisk->set;
        }
        m_restoredModified = !onDisk;
    }
    refreshSummary();
    noteModified();
    return Status::ok();
}

void PromptSetsPanel::resetState()
{
    m_undo->clear();
    m_model->setPromptSet(PromptSet{});
    markClean();
    refreshSummary();
}

QString PromptSetsPanel::summaryText() const
{
    return m_summary->text();
}

void PromptSetsPanel::pushSnapshot(const PromptSet &before, const QString &what)
{
    m_undo->push(new SnapshotCommand(this, before, m_model->promptSet(), what));
    refreshSummary();
}

void PromptSetsPanel::refreshSummary()
{
    const PromptSet &set = m_model->promptSet();
    if (m_applyingSnapshot) {
        return;
    }
    QStringList factors;
    for (const PromptFactor &factor : set.factors) {
        factors << QStringLiteral("%1 (%2)").arg(factor.name,
                                                 factor.levels.join(QStringLiteral(" / ")));
    }
    if (set.items.isEmpty() && set.factors.isEmpty()) {
        m_summary->setText(
                tr("No prompt set open. Double-click one in the library above, or open a "
                   "seed JSON file or a Gyrus prompt set."));
    } else {
        m_summary->setText(tr("<b>%1</b>%2 · %3 · %4 items in %5 conditions · %6")
                                   .arg(set.name.toHtmlEscaped(),
                                        isModified() ? QStringLiteral(" *") : QString(),
                                        factors.join(QStringLiteral(" × ")).toHtmlEscaped())
                                   .arg(set.items.size())
                                   .arg(set.conditions().size())
                                   .arg(set.format == PromptSet::Format::Legacy
                                                ? tr("seed (legacy) format")
                                                : tr("Gyrus format")));
    }
    m_issues->clear();
    for (const PromptIssue &issue : m_model->issues()) {
        auto *row = new QStandardItem(
                QStringLiteral("%1: %2").arg(issueSeverityName(issue.severity), issue.message));
        row->setData(issue.itemIndex, kPathRole);
        m_issues->appendRow(row);
    }
    m_issueView->setVisible(m_issues->rowCount() > 0);
    Q_EMIT promptSetChanged(set);
}

void PromptSetsPanel::openDialog()
{
    const QString path = QFileDialog::getOpenFileName(this, tr("Open a prompt set"), m_libraryRoot,
                                                      tr("Prompt sets (*.json)"));
    if (path.isEmpty()) {
        return;
    }
    if (Status opened = openFile(path); !opened.isOk()) {
        QMessageBox::warning(this, tr("Open prompt set"), opened.message());
    }
}

void PromptSetsPanel::saveDialog()
{
    const PromptSet &set = m_model->promptSet();
    QString suggestion = set.sourceFile;
    if (set.format == PromptSet::Format::Legacy || suggestion.isEmpty()) {
        // Never overwrite a seed file with another format: suggest a sibling.
        suggestion = QFileInfo(suggestion.isEmpty() ? set.name : suggestion).completeBaseName() +
                     QStringLiteral(".gyrus.json");
    }
    const QString path = QFileDialog::getSaveFileName(this, tr("Save prompt set"), suggestion,
                                                      tr("Gyrus prompt sets (*.json)"));
    if (path.isEmpty()) {
        return;
    }
    if (Status saved = saveAs(path); !saved.isOk()) {
        QMessageBox::warning(this, tr("Save prompt set"), saved.message());
    }
}

void PromptSetsPanel::editFactorsDialog()
{
    FactorsDialog dialog(m_model->promptSet().factors, this);
    if (dialog.exec() != QDialog::Accepted) {
        return;
    }
    const Result<QList<PromptFactor>> factors = dialog.factors();  // checked by accept()
    if (Status changed = factors ? setFactors(*factors) : factors.status(); !changed.isOk()) {
        QMessageBox::warning(this, tr("Factors"), changed.message());
    }
}

QList<int> PromptSetsPanel::selectedRows() const
{
    QList<int> rows;
    for (const QModelIndex &index : m_table->selectionModel()->selectedRows()) {
        rows << index.row();
    }
    return rows;
}

}  // namespace gyrus::widgets
