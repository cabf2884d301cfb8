#include "app/cli/scan_json.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <cmath>

namespace gyrus::cli {

namespace {

QList<FeatureExampleText> examplesOf(const QJsonArray &array)
{
    QList<FeatureExampleText> out;
    for (const QJsonValue &v : array) {
        const QJsonObject e = v.toObject();
        out.append({e.value(QStringLiteral("activation")).toDouble(),
                    qint64(e.value(QStringLiteral("token_index")).toDouble()),
                    e.value(QStringLiteral("before")).toString(),
                    e.value(QStringLiteral("token")).toString(),
                    e.value(QStringLiteral("after")).toString()});
    }
    return out;
}

}  // namespace

Result<ScanFile> readScanJson(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        return Status::notFound(path + QStringLiteral(": cannot open (") + file.errorString() +
                                QLatin1Char(')'));
    }
    QJsonParseError error{};
    const QJsonDocument document = QJsonDocument::fromJson(file.readAll(), &error);
    const QJsonArray features = document.object().value(QStringLiteral("features")).toArray();
    if (!document.isObject() || features.isEmpty()) {
        return Status::invalidInput(
                path +
                QStringLiteral(": not a gyrus-cli scan file (expected a JSON object with "
                               "'features'") +
                (error.error == QJsonParseError::NoError
                         ? QString()
                         : QStringLiteral("; ") + error.errorString()) +
                QLatin1Char(')'));
    }
    ScanFile scan;
    const QJsonObject root = document.object();
    scan.corpusPath = root.value(QStringLiteral("corpus")).toString();
    scan.scannedTokens = qint64(root.value(QStringLiteral("scanned_tokens")).toDouble());
    const QJsonArray range = root.value(QStringLiteral("histogram_log10_range")).toArray();
    for (qsizetype i = 0; i < features.size(); ++i) {
        const QJsonObject f = features[i].toObject();
        FeatureDetails d;
        d.feature = f.value(QStringLiteral("feature")).toInt(int(i));
        d.corpusPath = scan.corpusPath;
        d.scannedTokens = scan.scannedTokens;
        d.density = f.value(QStringLiteral("density")).toDouble();
        d.top = examplesOf(f.value(QStringLiteral("examples")).toArray());
        d.maxActivation = d.top.isEmpty() ? 0 : d.top.front().activation;
        const QJsonArray bins = f.value(QStringLiteral("bin_samples")).toArray();
        const double low = range.at(0).toDouble();
        const double width = bins.isEmpty() ? 0 : (range.at(1).toDouble() - low) / bins.size();
        for (qsizetype b = 0; b < bins.size(); ++b) {
            FeatureBinExamples bin;
            bin.low = std::pow(10.0, low + width * double(b));
            bin.high = std::pow(10.0, low + width * double(b + 1));
            bin.examples = examplesOf(bins[b].toArray());
            bin.count = bin.examples.size();
            d.bins.append(bin);
        }
        scan.features.append(d);
    }
    return scan;
}

Result<QList<int>> parseFeatureList(const QString &text, int featureCount)
{
    QList<int> out;
    for (const QString &part : text.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        const QStringList ends = part.trimmed().split(QLatin1Char('-'));
        bool ok[2] = {true, true};
        const int first = ends.value(0).toInt(&ok[0]);
        const int last = ends.size() == 2 ? ends[1].toInt(&ok[1]) : first;
        if (!ok[0] || !ok[1] || ends.size() > 2 || first < 0 || last < first ||
            last >= featureCount) {
            return Status::invalidInput(
                    QStringLiteral("--features: '%1' is not a feature or range in 0..%2")
                            .arg(part.trimmed())
                            .arg(featureCount - 1));
        }
        for (int f = first; f <= last; ++f) {
            out.append(f);
        }
    }
    if (out.isEmpty()) {
        return Status::invalidInput(QStringLiteral("--features: no features given"));
    }
    return out;
}

}  // namespace gyrus::cli
