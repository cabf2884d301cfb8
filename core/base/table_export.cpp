#include "core/base/table_export.h"

#include "core/hdf5/hdf5_writer.h"
#include "core/rsa/rdm_hdf5.h"

#include <QAbstractItemModel>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLocale>
#include <QRegularExpression>
#include <QSaveFile>
#include <QSet>

#include <optional>

namespace gyrus {

namespace {

std::optional<double> numberIn(const QAbstractItemModel &model, int row, int column, int role)
{
    const QVariant value = model.index(row, column).data(role);
    switch (value.typeId()) {
        case QMetaType::Double:
        case QMetaType::Float:
        case QMetaType::Int:
        case QMetaType::UInt:
        case QMetaType::LongLong:
        case QMetaType::ULongLong:
            return value.toDouble();
        default:
            return std::nullopt;
    }
}

QString textIn(const QAbstractItemModel &model, int row, int column)
{
    return model.index(row, column).data(Qt::DisplayRole).toString();
}

QString header(const QAbstractItemModel &model, int column)
{
    return model.headerData(column, Qt::Horizontal, Qt::DisplayRole).toString();
}

QByteArray csvCell(const QString &text)
{
    QByteArray utf8 = text.toUtf8();
    if (utf8.contains(',') || utf8.contains('"') || utf8.contains('\n')) {
        utf8.replace("\"", "\"\"");
        return '"' + utf8 + '"';
    }
    return utf8;
}

Status cannotWrite(const QString &path, const QString &why)
{
    return Status::invalidInput(QStringLiteral("%1: cannot write (%2)").arg(path, why));
}

}  // namespace

Status writeTableCsv(const QAbstractItemModel &model, const QString &path, int numberRole)
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly)) {
        return cannotWrite(path, file.errorString());
    }
    const int rows = model.rowCount();
    const int columns = model.columnCount();
    QByteArrayList line;
    for (int column = 0; column < columns; ++column) {
        line << csvCell(header(model, column));
    }
    file.write(line.join(',') + '\n');
    for (int row = 0; row < rows; ++row) {
        line.clear();
        for (int column = 0; column < columns; ++column) {
            const std::optional<double> number = numberIn(model, row, column, numberRole);
            line << (number ? QString::number(*number, 'g', QLocale::FloatingPointShortest).toUtf8()
                            : csvCell(textIn(model, row, column)));
        }
        file.write(line.join(',') + '\n');
    }
    if (!file.commit()) {
        return cannotWrite(path, file.errorString());
    }
    return Status::ok();
}

Status writeTableHdf5(const QAbstractItemModel &model, const QString &path, int numberRole)
{
    auto writer = Hdf5Writer::create(path);
    if (!writer) {
        return writer.status();
    }
    const int rows = model.rowCount();
    const int columns = model.columnCount();
    static const QRegularExpression other(QStringLiteral("[^a-z0-9]+"));
    QSet<QString> used;
    QJsonArray headers;
    Status status = Status::ok();
    for (int column = 0; column < columns && status.isOk(); ++column) {
        const QString title = header(model, column);
        headers.append(title);
        QString name = title.toLower().replace(other, QStringLiteral("_"));
        name = name.isEmpty() || name == QLatin1String("_") ? QStringLiteral("column") : name;
        const QString base = name;
        for (int k = 2; used.contains(name); ++k) {
            name = base + QStringLiteral("_%1").arg(k);
        }
        used.insert(name);
        std::vector<double> numbers;
        QStringList texts;
        bool numeric = rows > 0;
        for (int row = 0; row < rows; ++row) {
            const std::optional<double> number = numberIn(model, row, column, numberRole);
            numeric = numeric && number.has_value();
            numbers.push_back(number.value_or(0.0));
            texts << textIn(model, row, column);
        }
        status = numeric ? writer.value()->writeFloat64(name, {rows}, numbers.data())
                         : writer.value()->writeStrings(name, texts);
    }
    if (status.isOk()) {
        status = writer.value()->setAttribute(
                QStringLiteral("columns"),
                QString::fromUtf8(QJsonDocument(headers).toJson(QJsonDocument::Compact)));
    }
    return status.isOk() ? writer.value()->commit() : status;
}

Status writeTable(const QAbstractItemModel &model, const QString &path, int numberRole)
{
    if (isHdf5Path(path)) {
        return writeTableHdf5(model, path, numberRole);
    }
    if (QFileInfo(path).suffix().compare(QLatin1String("csv"), Qt::CaseInsensitive) == 0) {
        return writeTableCsv(model, path, numberRole);
    }
    return Status::invalidInput(
            QStringLiteral("%1: a table is written as .csv or .h5 (.hdf5)").arg(path));
}

}  // namespace gyrus
