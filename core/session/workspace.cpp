#include "core/session/workspace.h"

#include "core/session/workspace_file.h"

#include <QFileInfo>
#include <QTimer>

#include <algorithm>

namespace gyrus {

namespace {

class CallbackSection : public WorkspaceSection
{
public:
    CallbackSection(QString name, std::function<QByteArray()> save,
                    std::function<Status(const QByteArray &, QStringList *)> restore,
                    std::function<void()> reset, int order)
        : m_name(std::move(name))
        , m_save(std::move(save))
        , m_restore(std::move(restore))
        , m_reset(std::move(reset))
        , m_order(order)
    {}

    int restoreOrder() const override { return m_order; }

    QString name() const override { return m_name; }

    QByteArray save() const override { return m_save(); }

    Status restore(const QByteArray &json, QStringList *warnings) override
    {
        return m_restore(json, warnings);
    }

    void reset() override
    {
        if (m_reset) {
            m_reset();
        }
    }

private:
    QString m_name;
    std::function<QByteArray()> m_save;
    std::function<Status(const QByteArray &, QStringList *)> m_restore;
    std::function<void()> m_reset;
    int m_order = 0;
};

}  // namespace

std::unique_ptr<WorkspaceSection> makeWorkspaceSection(
        const QString &name, std::function<QByteArray()> save,
        std::function<Status(const QByteArray &json, QStringList *warnings)> restore,
        std::function<void()> reset, int restoreOrder)
{
    return std::make_unique<CallbackSection>(name, std::move(save), std::move(restore),
                                             std::move(reset), restoreOrder);
}

Workspace::Workspace(QObject *parent)
    : QObject(parent)
    , m_checkTimer(new QTimer(this))
{
    m_checkTimer->setSingleShot(true);
    m_checkTimer->setInterval(150);
    connect(m_checkTimer, &QTimer::timeout, this, &Workspace::refreshDirty);
}

Workspace::~Workspace() = default;

void Workspace::addSection(std::unique_ptr<WorkspaceSection> section)
{
    Q_ASSERT(section && isValidSectionName(section->name()));
    removeSection(section->name());
    // A section registered late still counts as clean in its current state.
    m_clean.insert(section->name(), section->save());
    m_sections.push_back(std::move(section));
}

void Workspace::removeSection(const QString &name)
{
    for (auto it = m_sections.begin(); it != m_sections.end(); ++it) {
        if ((*it)->name() == name) {
            m_sections.erase(it);
            m_clean.remove(name);
            return;
        }
    }
}

QStringList Workspace::sectionNames() const
{
    QStringList names;
    for (const auto &section : m_sections) {
        names << section->name();
    }
    return names;
}

QString Workspace::displayName() const
{
    return m_path.isEmpty() ? tr("Untitled") : QFileInfo(m_path).fileName();
}

QMap<QString, WorkspaceData> Workspace::dataSnapshot() const
{
    QMap<QString, WorkspaceData> data = m_foreignData;
    for (const auto &section : m_sections) {
        WorkspaceData arrays = section->saveData();
        if (!arrays.isEmpty()) {
            data.insert(section->name(), std::move(arrays));
        }
    }
    return data;
}

QMap<QString, QByteArray> Workspace::snapshot() const
{
    QMap<QString, QByteArray> state;
    for (const auto &section : m_sections) {
        state.insert(section->name(), section->save());
    }
    return state;
}

Status Workspace::saveAs(const QString &path)
{
    if (path.isEmpty()) {
        return Status::invalidInput(tr("the workspace has no file yet: use Save As"));
    }
    WorkspaceDocument document;
    document.sections = m_foreign;
    const QMap<QString, QByteArray> state = snapshot();
    for (auto it = state.cbegin(); it != state.cend(); ++it) {
        document.sections.insert(it.key(), it.value());
    }
    document.data = dataSnapshot();
    document.provenance = m_provenance;
    document.provenance.remove(QStringLiteral("recovered_from"));
    if (Status written = writeWorkspaceFile(path, document); !written.isOk()) {
        return written;
    }
    if (!document.provenance.contains(QStringLiteral("created_at"))) {
        Result<WorkspaceDocument> reread = readWorkspaceFile(path);
        if (reread) {
            m_provenance = reread->provenance;
        }
    }
    m_clean = state;
    m_forcedDirty = false;
    setPath(path);
    setDirty(false);
    return Status::ok();
}

Status Workspace::writeCopy(const QString &path, const QJsonObject &extraProvenance) const
{
    WorkspaceDocument document;
    document.sections = m_foreign;
    const QMap<QString, QByteArray> state = snapshot();
    for (auto it = state.cbegin(); it != state.cend(); ++it) {
        document.sections.insert(it.key(), it.value());
    }
    document.data = dataSnapshot();
    document.provenance = m_provenance;
    for (auto it = extraProvenance.begin(); it != extraProvenance.end(); ++it) {
        document.provenance.insert(it.key(), it.value());
    }
    return writeWorkspaceFile(path, document);
}

std::vector<WorkspaceSection *> Workspace::inRestoreOrder() const
{
    std::vector<WorkspaceSection *> ordered;
    for (const auto &section : m_sections) {
        ordered.push_back(section.get());
    }
    std::stable_sort(ordered.begin(), ordered.end(),
                     [](const WorkspaceSection *a, const WorkspaceSection *b) {
                         return a->restoreOrder() < b->restoreOrder();
                     });
    return ordered;
}

Status Workspace::applySections(const QMap<QString, QByteArray> &sections,
                                const QMap<QString, WorkspaceData> &data, QStringList *warnings)
{
    const QMap<QString, QByteArray> before = snapshot();
    const QMap<QString, WorkspaceData> beforeData = dataSnapshot();
    m_restoring = true;
    Status failure = Status::ok();
    QStringList collected;
    std::vector<WorkspaceSection *> touched;  // rolled back on failure (the failing one too)
    for (WorkspaceSection *section : inRestoreOrder()) {
        touched.push_back(section);
        const auto found = sections.constFind(section->name());
        if (found == sections.cend()) {
            section->setRestoredData({});
            section->reset();
            continue;
        }
        section->setRestoredData(data.value(section->name()));
        Status restored = section->restore(found.value(), &collected);
        if (!restored.isOk()) {
            failure = restored.withContext(tr("section '%1'").arg(section->name()));
            break;
        }
    }
    if (!failure.isOk()) {
        // Roll back: the session the user had stays as it was.
        QStringList ignored;
        for (WorkspaceSection *section : touched) {
            const auto old = before.constFind(section->name());
            if (old != before.cend()) {
                section->setRestoredData(beforeData.value(section->name()));
                section->restore(old.value(), &ignored);
            }
        }
    } else if (warnings) {
        *warnings << collected;
    }
    m_restoring = false;
    return failure;
}

Status Workspace::open(const QString &path, QStringList *warnings)
{
    return restoreCopy(path, path, warnings);
}

Status Workspace::restoreCopy(const QString &copyPath, const QString &pathAfterwards,
                              QStringList *warnings)
{
    Result<WorkspaceDocument> document = readWorkspaceFile(copyPath);
    if (!document) {
        return document.status();
    }
    if (Status applied = applySections(document->sections, document->data, warnings);
        !applied.isOk()) {
        return Status::invalidInput(tr("%1: %2").arg(copyPath, applied.message()));
    }
    m_foreign.clear();
    m_foreignData.clear();
    const QStringList known = sectionNames();
    for (auto it = document->sections.cbegin(); it != document->sections.cend(); ++it) {
        if (!known.contains(it.key())) {
            m_foreign.insert(it.key(), it.value());
            if (document->data.contains(it.key())) {
                m_foreignData.insert(it.key(), document->data.value(it.key()));
            }
        }
    }
    m_provenance = document->provenance;
    takeCleanSnapshot();
    m_forcedDirty = copyPath != pathAfterwards;
    setPath(pathAfterwards);
    setDirty(m_forcedDirty);
    Q_EMIT restored();
    return Status::ok();
}

void Workspace::clear()
{
    m_restoring = true;
    for (WorkspaceSection *section : inRestoreOrder()) {
        section->setRestoredData({});
        section->reset();
    }
    m_restoring = false;
    m_foreign.clear();
    m_foreignData.clear();
    m_provenance = QJsonObject();
    takeCleanSnapshot();
    m_forcedDirty = false;
    setPath(QString());
    setDirty(false);
    Q_EMIT restored();
}

void Workspace::acceptCurrentState(const QStringList &sections)
{
    for (const auto &section : m_sections) {
        if (sections.contains(section->name())) {
            m_clean.insert(section->name(), section->save());
        }
    }
    refreshDirty();
}

void Workspace::takeCleanSnapshot()
{
    m_clean = snapshot();
    m_checkTimer->stop();
}

void Workspace::noteChanged()
{
    if (!m_restoring) {
        m_checkTimer->start();
    }
}

void Workspace::refreshDirty()
{
    m_checkTimer->stop();
    setDirty(m_forcedDirty || snapshot() != m_clean);
}

void Workspace::markDirty()
{
    m_forcedDirty = true;
    setDirty(true);
}

void Workspace::setPath(const QString &path)
{
    if (path != m_path) {
        m_path = path;
        Q_EMIT pathChanged(path);
    }
}

void Workspace::setDirty(bool dirty)
{
    if (dirty != m_dirty) {
        m_dirty = dirty;
        Q_EMIT dirtyChanged(dirty);
    }
}

}  // namespace gyrus
