#include "core/rsa/rdm_csv.h"

#include <QFile>
#include <QSaveFile>
#include <QStringList>

#include <vector>

namespace gyrus {

namespace {

// Splits one CSV line into fields, honouring double-quoted fields with "" escapes.
QStringList splitCsvLine(const QString &line)
{
    QStringList fields;
    QString field;
    bool quoted = false;
    for (int i = 0; i < line.size(); ++i) {
        const QChar c = line[i];
        if (quoted) {
            if (c == QLatin1Char('"')) {
                if (i + 1 < line.size() && line[i + 1] == QLatin1Char('"')) {
                    field += c;
                    ++i;
                } else {
                    quoted = false;
                }
            } else {
                field += c;
            }
        } else if (c == QLatin1Char('"')) {
            quoted = true;
        } else if (c == QLatin1Char(',')) {
            fields.append(field);
            field.clear();
        } else {
            field += c;
        }
    }
    fields.append(field);
    return fields;
}

QString quoteCsvField(const QString &field)
{
    if (!field.contains(QLatin1Char(',')) && !field.contains(QLatin1Char('"')) &&
        field.trimmed() == field) {
        return field;
    }
    QString escaped = field;
    escaped.replace(QLatin1String("\""), QLatin1String("\"\""));
    return QLatin1Char('"') + escaped + QLatin1Char('"');
}

}  // namespace

Result<Rdm> readRdmCsv(const QString &path)
{
    QFile file(path);
    if (!file.exists()) {
        return Status::notFound(QStringLiteral("%1: no such file").arg(path));
    }
    if (!file.open(QIODevice::ReadOnly | QIODevice::Text)) {
        return Status::invalidInput(
                QStringLiteral("%1: cannot open (%2)").arg(path, file.errorString()));
    }
    QStringList lines = QString::fromUtf8(file.readAll()).split(QLatin1Char('\n'));
    for (QString &line : lines) {
        if (line.endsWith(QLatin1Char('\r'))) {
            line.chop(1);
        }
    }
    while (!lines.isEmpty() && lines.last().trimmed().isEmpty()) {
        lines.removeLast();
    }
    if (lines.isEmpty()) {
        return Status::invalidInput(QStringLiteral("%1: empty file, expected a header row of "
                                                   "stimulus ids")
                                            .arg(path));
    }
    QStringList ids = splitCsvLine(lines.first());
    for (QString &id : ids) {
        id = id.trimmed();
    }
    const int n = ids.size();
    if (lines.size() - 1 != n) {
        return Status::invalidInput(QStringLiteral("%1: the header names %2 stimuli but %3 rows "
                                                   "of values follow; expected a square matrix")
                                            .arg(path)
                                            .arg(n)
                                            .arg(lines.size() - 1));
    }
    std::vector<float> square(static_cast<size_t>(n) * static_cast<size_t>(n));
    for (int row = 0; row < n; ++row) {
        const QStringList fields = splitCsvLine(lines[row + 1]);
        if (fields.size() != n) {
            return Status::invalidInput(QStringLiteral("%1: line %2 has %3 values, expected %4")
                                                .arg(path)
                                                .arg(row + 2)
                                                .arg(fields.size())
                                                .arg(n));
        }
        for (int col = 0; col < n; ++col) {
            bool ok = false;
            const float value = fields[col].trimmed().toFloat(&ok);
            if (!ok) {
                return Status::invalidInput(
                        QStringLiteral("%1: line %2 (row %3), column %4: '%5' is not a number")
                                .arg(path)
                                .arg(row + 2)
                                .arg(row + 1)
                                .arg(col + 1)
                                .arg(fields[col].trimmed()));
            }
            square[static_cast<size_t>(row) * static_cast<size_t>(n) + static_cast<size_t>(col)] =
                    value;
        }
    }
    Result<Rdm> rdm = Rdm::fromSquare(std::move(ids), square, QStringLiteral("csv"));
    if (!rdm) {
        return rdm.status().withContext(path);
    }
    return rdm;
}

Status writeRdmCsv(const Rdm &rdm, const QString &path)
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly)) {
        return Status::invalidInput(
                QStringLiteral("%1: cannot write (%2)").arg(path, file.errorString()));
    }
    QStringList header;
    for (const QString &id : rdm.ids()) {
        header.append(quoteCsvField(id));
    }
    file.write(header.join(QLatin1Char(',')).toUtf8());
    file.write("\n");
    const int64_t n = rdm.size();
    QByteArray line;
    for (int64_t i = 0; i < n; ++i) {
        line.clear();
        for (int64_t j = 0; j < n; ++j) {
            if (j > 0) {
                line += ',';
            }
            line += QByteArray::number(static_cast<double>(rdm.at(i, j)), 'g', 9);
        }
        line += '\n';
        file.write(line);
    }
    if (!file.commit()) {
        return Status::invalidInput(
                QStringLiteral("%1: cannot write (%2)").arg(path, file.errorString()));
    }
    return Status::ok();
}

}  // namespace gyrus
