#include "core/session/workspace_file.h"

#include "core/base/child_process_probe.h"
#include "core/base/version.h"
#include "core/hdf5/hdf5_reader.h"
#include "core/hdf5/hdf5_writer.h"

#include <QDateTime>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonParseError>
#include <QRegularExpression>
#include <QSysInfo>

namespace gyrus {

namespace {

const QString kSectionsGroup = QStringLiteral("/sections");

QString sectionDataset(const QString &name)
{
    return kSectionsGroup + QLatin1Char('/') + name;
}

const QString kDataGroup = QStringLiteral("/data");

QString dataDataset(const QString &section, const QString &array)
{
    return kDataGroup + QLatin1Char('/') + section + QLatin1Char('/') + array;
}

Status writeData(Hdf5Writer &writer, const QString &path, const QString &section,
                 const WorkspaceData &data)
{
    for (auto it = data.cbegin(); it != data.cend(); ++it) {
        if (!isValidSectionName(it.key())) {
            return Status::invalidInput(
                    QStringLiteral("cannot save workspace '%1': section '%2' has an array with "
                                   "an invalid name '%3'")
                            .arg(path, section, it.key()));
        }
        const WorkspaceArray &array = it.value();
        int64_t count = 1;
        for (int64_t size : array.shape) {
            count *= size;
        }
        if (!array.isText && count != int64_t(array.numbers.size())) {
            return Status::internal(QStringLiteral("workspace section '%1': array '%2' holds %3 "
                                                   "numbers for its shape's %4")
                                            .arg(section, it.key())
                                            .arg(array.numbers.size())
                                            .arg(count));
        }
        const QString name = dataDataset(section, it.key());
        Status written = array.isText
                                 ? writer.writeStrings(name, array.strings)
                                 : writer.writeFloat64(name, array.shape, array.numbers.data());
        if (!written.isOk()) {
            return written;
        }
    }
    return Status::ok();
}

Result<WorkspaceData> readData(const Hdf5Reader &reader, const QString &section)
{
    WorkspaceData data;
    for (const QString &array : reader.memberNames(kDataGroup + QLatin1Char('/') + section)) {
        const QString name = dataDataset(section, array);
        Result<std::vector<int64_t>> shape = reader.shape(name);
        if (!shape) {
            return shape.status();
        }
        Result<std::vector<double>> numbers = reader.readDoubles(name);
        if (numbers) {
            data.insert(array, WorkspaceArray::ofNumbers(std::move(numbers).value(), *shape));
            continue;
        }
        Result<QStringList> strings = reader.readStrings(name);
        if (!strings) {
            return Status::invalidInput(
                    QStringLiteral("%1: workspace data '%2' is neither numbers nor text")
                            .arg(reader.path(), name));
        }
        data.insert(array, WorkspaceArray::ofStrings(std::move(strings).value()));
    }
    return data;
}

/// Why `json` is not a JSON object or array, or an empty string when it is.
QString jsonProblem(const QByteArray &json)
{
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(json, &error);
    if (error.error != QJsonParseError::NoError) {
        return QStringLiteral("%1 at byte %2").arg(error.errorString()).arg(error.offset);
    }
    if (!document.isObject() && !document.isArray()) {
        return QStringLiteral("not a JSON object or array");
    }
    return QString();
}

}  // namespace

bool isValidSectionName(const QString &name)
{
    static const QRegularExpression pattern(QStringLiteral("^[a-z0-9_.-]+$"));
    return name != QLatin1String(".") && name != QLatin1String("..") &&
           pattern.match(name).hasMatch();
}

Status writeWorkspaceFile(const QString &path, const WorkspaceDocument &document)
{
    Result<std::unique_ptr<Hdf5Writer>> created = Hdf5Writer::create(path);
    if (!created) {
        return created.status();
    }
    Hdf5Writer &writer = *created.value();
    const QString now = QDateTime::currentDateTimeUtc().toString(Qt::ISODate);
    QJsonObject provenance = document.provenance;
    provenance[QStringLiteral("gyrus_version")] = versionString();
    provenance[QStringLiteral("qt_version")] = QString::fromLatin1(qVersion());
    provenance[QStringLiteral("os")] = QSysInfo::prettyProductName();
    provenance[QStringLiteral("saved_at")] = now;
    if (!provenance.contains(QStringLiteral("created_at"))) {
        provenance[QStringLiteral("created_at")] = now;
    }
    provenance[QStringLiteral("sections")] = QJsonArray::fromStringList(document.sections.keys());

    const auto attributes = {
            std::pair{QStringLiteral("format"), QString::fromLatin1(kWorkspaceFormat)},
            std::pair{QStringLiteral("format_version"), QString::number(kWorkspaceFormatVersion)},
            std::pair{QStringLiteral("gyrus_version"), versionString()},
            std::pair{QStringLiteral("saved_at"), now},
    };
    for (const auto &[key, value] : attributes) {
        if (Status written = writer.setAttribute(key, value); !written.isOk()) {
            return written;
        }
    }
    if (Status written = writer.writeText(QStringLiteral("/provenance"),
                                          QJsonDocument(provenance).toJson(QJsonDocument::Compact));
        !written.isOk()) {
        return written;
    }
    // Validated while writing: a bad section aborts with the temporary file discarded (the
    // writer's destructor), so the file at `path` stays what it was.
    for (auto it = document.sections.cbegin(); it != document.sections.cend(); ++it) {
        if (!isValidSectionName(it.key())) {
            return Status::invalidInput(
                    QStringLiteral("cannot save workspace '%1': invalid section name '%2' (use "
                                   "lower-case letters, digits, '_', '.', '-')")
                            .arg(path, it.key()));
        }
        if (const QString problem = jsonProblem(it.value()); !problem.isEmpty()) {
            return Status::invalidInput(
                    QStringLiteral("cannot save workspace '%1': section '%2' is not valid JSON "
                                   "(%3)")
                            .arg(path, it.key(), problem));
        }
        if (Status written = writer.writeText(sectionDataset(it.key()), it.value());
            !written.isOk()) {
            return written;
        }
    }
    for (auto it = document.data.cbegin(); it != document.data.cend(); ++it) {
        if (it.value().isEmpty() || !document.sections.contains(it.key())) {
            continue;  // data belongs to a section; an orphan would never be read back
        }
        if (Status written = writeData(writer, path, it.key(), it.value()); !written.isOk()) {
            return written;
        }
    }
    return writer.commit();
}

namespace {

Result<WorkspaceDocument> readWorkspaceFileHere(const QString &path)
{
    if (!QFileInfo(path).isFile()) {
        if (QFileInfo(path).exists()) {
            return Status::invalidInput(
                    QStringLiteral("%1 is not a workspace file (it is a directory)").arg(path));
        }
        return Status::notFound(QStringLiteral("workspace %1 does not exist").arg(path));
    }
    Result<std::shared_ptr<Hdf5Reader>> opened = Hdf5Reader::open(path);
    if (!opened) {
        return Status::invalidInput(
                QStringLiteral("%1 is not a Gyrus workspace: it is not an HDF5 file (damaged, "
                               "or another kind of file)")
                        .arg(path));
    }
    const Hdf5Reader &reader = *opened.value();
    const Result<QString> format = reader.readRootAttribute(QStringLiteral("format"));
    if (!format || *format != QLatin1String(kWorkspaceFormat)) {
        return Status::invalidInput(
                QStringLiteral("%1 is an HDF5 file but not a Gyrus workspace (no '%2' format "
                               "attribute; an activation cache or a forward dump?)")
                        .arg(path, QString::fromLatin1(kWorkspaceFormat)));
    }
    const Result<QString> version = reader.readRootAttribute(QStringLiteral("format_version"));
    bool numeric = false;
    const int formatVersion = version ? version->toInt(&numeric) : 0;
    if (!numeric || formatVersion < 1) {
        return Status::invalidInput(
                QStringLiteral("%1: the workspace has no valid format_version").arg(path));
    }
    if (formatVersion > kWorkspaceFormatVersion) {
        return Status::invalidInput(
                QStringLiteral("%1 was written by a newer Gyrus (workspace format %2); this "
                               "version reads format %3 — update Gyrus to open it")
                        .arg(path)
                        .arg(formatVersion)
                        .arg(kWorkspaceFormatVersion));
    }
    WorkspaceDocument document;
    if (reader.hasDataset(QStringLiteral("/provenance"))) {
        const Result<QByteArray> provenance = reader.readText(QStringLiteral("/provenance"));
        if (provenance) {
            document.provenance = QJsonDocument::fromJson(*provenance).object();
        }
    }
    for (const QString &section : reader.memberNames(kSectionsGroup)) {
        const Result<QByteArray> json = reader.readText(sectionDataset(section));
        if (!json) {
            return Status::invalidInput(
                    QStringLiteral("%1: workspace section '%2' cannot be read: %3")
                            .arg(path, section, json.status().message()));
        }
        if (const QString problem = jsonProblem(*json); !problem.isEmpty()) {
            return Status::invalidInput(QStringLiteral("%1: workspace section '%2' is damaged (%3)")
                                                .arg(path, section, problem));
        }
        document.sections.insert(section, *json);
        Result<WorkspaceData> data = readData(reader, section);
        if (!data) {
            return Status::invalidInput(QStringLiteral("%1: workspace section '%2': %3")
                                                .arg(path, section, data.status().message()));
        }
        if (!data->isEmpty()) {
            document.data.insert(section, std::move(data).value());
        }
    }
    return document;
}

}  // namespace

Result<WorkspaceDocument> readWorkspaceFile(const QString &path)
{
    // A damaged workspace can make HDF5 loop forever (child_process_probe.h): read it in a child
    // first, so that opening it fails instead of hanging the app.
    if (QFileInfo(path).isFile()) {
        if (Status probed =
                    probeReadInChildProcess(path, [&] { (void)readWorkspaceFileHere(path); });
            !probed.isOk()) {
            return probed;
        }
    }
    return readWorkspaceFileHere(path);
}

}  // namespace gyrus
