#include "gpu/analysis/corpus_scan_file.h"

#include "core/base/file_fingerprint.h"
#include "core/base/file_write.h"

#include <QDataStream>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSaveFile>

#include <cerrno>

namespace gyrus::gpu {

namespace {

constexpr quint32 kMagic = 0x47595343;  // "GYSC"
constexpr quint32 kVersion = 1;

void writeExamples(QDataStream &out, const std::vector<FeatureExample> &examples)
{
    out << quint32(examples.size());
    for (const FeatureExample &e : examples) {
        out << e.activation << e.token;
    }
}

// True when the rest of the file can hold `count` records of at least `bytes` bytes each: a
// count is checked against what is left before anything is allocated for it, so a damaged file
// cannot make the reader allocate gigabytes for data it does not have.
bool fits(QDataStream &in, quint64 count, quint64 bytes)
{
    const qint64 left = in.device()->bytesAvailable();
    return left >= 0 && count <= quint64(left) / bytes;
}

bool readExamples(QDataStream &in, std::vector<FeatureExample> *examples, qint64 tokens)
{
    quint32 count = 0;
    in >> count;
    if (in.status() != QDataStream::Ok || count > 1'000'000 ||
        !fits(in, count, sizeof(float) + sizeof(qint64))) {
        return false;
    }
    examples->resize(count);
    for (FeatureExample &e : *examples) {
        in >> e.activation >> e.token;
        if (e.token < 0 || e.token >= tokens) {
            return false;
        }
    }
    return in.status() == QDataStream::Ok;
}

template <typename T>
void writeVector(QDataStream &out, const std::vector<T> &values)
{
    out << quint32(values.size());
    for (const T &v : values) {
        out << v;
    }
}

template <typename T>
bool readVector(QDataStream &in, std::vector<T> *values, quint32 limit)
{
    quint32 count = 0;
    in >> count;
    if (in.status() != QDataStream::Ok || count > limit || !fits(in, count, sizeof(T))) {
        return false;
    }
    values->resize(count);
    for (T &v : *values) {
        in >> v;
    }
    return in.status() == QDataStream::Ok;
}

}  // namespace

Status saveCorpusScan(const CorpusScan &scan, const QString &saeIdentity, const QString &path)
{
    // The scan folder is made on first use (the user's data folder may not exist yet).
    QDir().mkpath(QFileInfo(path).absolutePath());
    // Built in memory and written in one go, so that a failed write (a full disk) is seen where
    // errno still says why.
    QByteArray bytes;
    QDataStream out(&bytes, QIODevice::WriteOnly);
    out.setVersion(QDataStream::Qt_6_0);
    const CorpusScanOptions &o = scan.options;
    out << kMagic << kVersion << saeIdentity << o.corpusPath << o.hookName
        << qint32(o.contextLength) << o.tokenBudget << qint32(o.topK) << qint32(o.logitTopK)
        << o.histogramLow << o.histogramHigh << qint32(o.histogramBins) << qint32(o.samplesPerBin)
        << o.seed;
    out << scan.hookName << scan.scannedTokens;
    writeVector(out, scan.tokens);
    out << quint32(scan.features.size());
    for (const FeatureScan &f : scan.features) {
        writeExamples(out, f.top);
        writeVector(out, f.histogram);
        out << quint32(f.binSamples.size());
        for (const auto &bin : f.binSamples) {
            writeExamples(out, bin);
        }
        out << f.density;
        writeVector(out, f.boosted);
        writeVector(out, f.boostedLogits);
        writeVector(out, f.suppressed);
        writeVector(out, f.suppressedLogits);
    }
    QSaveFile file(path);
    QString failure;
    if (out.status() != QDataStream::Ok) {
        failure = QStringLiteral("out of memory");
    } else if (!file.open(QIODevice::WriteOnly | QIODevice::Unbuffered)) {
        failure = file.errorString();
    } else {
        failure = writeFully(file, bytes);
        if (failure.isEmpty() && !file.commit()) {
            failure = writeFailure(file, errno);
        }
    }
    if (!failure.isEmpty()) {
        return Status::invalidInput(
                QStringLiteral("%1: cannot write the corpus scan (%2)").arg(path, failure));
    }
    return Status::ok();
}

Result<SavedCorpusScan> loadCorpusScan(const QString &path)
{
    QFile file(path);
    if (!file.exists()) {
        return Status::notFound(QStringLiteral("%1: no saved corpus scan").arg(path));
    }
    if (!file.open(QIODevice::ReadOnly)) {
        return Status::invalidInput(
                QStringLiteral("%1: cannot read (%2)").arg(path, file.errorString()));
    }
    auto bad = [&path](const QString &what) {
        return Status::invalidInput(
                QStringLiteral("%1: not a usable Gyrus corpus scan (%2); scan again to replace it")
                        .arg(path, what));
    };
    QDataStream in(&file);
    in.setVersion(QDataStream::Qt_6_0);
    quint32 magic = 0;
    quint32 version = 0;
    in >> magic >> version;
    if (magic != kMagic) {
        return bad(QStringLiteral("wrong magic number"));
    }
    if (version != kVersion) {
        return bad(QStringLiteral("format version %1, this Gyrus reads %2")
                           .arg(version)
                           .arg(kVersion));
    }
    SavedCorpusScan saved;
    CorpusScan &scan = saved.scan;
    CorpusScanOptions &o = scan.options;
    qint32 contextLength = 0;
    qint32 topK = 0;
    qint32 logitTopK = 0;
    qint32 bins = 0;
    qint32 samples = 0;
    in >> saved.saeIdentity >> o.corpusPath >> o.hookName >> contextLength >> o.tokenBudget >>
            topK >> logitTopK >> o.histogramLow >> o.histogramHigh >> bins >> samples >> o.seed;
    o.contextLength = contextLength;
    o.topK = topK;
    o.logitTopK = logitTopK;
    o.histogramBins = bins;
    o.samplesPerBin = samples;
    in >> scan.hookName >> scan.scannedTokens;
    if (!readVector(in, &scan.tokens, 1u << 30)) {
        return bad(QStringLiteral("truncated token stream"));
    }
    const auto tokens = qint64(scan.tokens.size());
    quint32 features = 0;
    in >> features;
    // A feature's record is at least its five counts, the density and two of the vectors' counts.
    if (in.status() != QDataStream::Ok || features > (1u << 24) || !fits(in, features, 36)) {
        return bad(QStringLiteral("bad feature count"));
    }
    scan.features.resize(features);
    for (FeatureScan &f : scan.features) {
        quint32 binCount = 0;
        bool ok = readExamples(in, &f.top, tokens) && readVector(in, &f.histogram, 1u << 16);
        in >> binCount;
        ok = ok && in.status() == QDataStream::Ok && binCount < (1u << 16) &&
             fits(in, binCount, sizeof(quint32));
        if (ok) {
            f.binSamples.resize(binCount);
            for (auto &bin : f.binSamples) {
                ok = ok && readExamples(in, &bin, tokens);
            }
        }
        in >> f.density;
        ok = ok && readVector(in, &f.boosted, 1u << 20) &&
             readVector(in, &f.boostedLogits, 1u << 20) &&
             readVector(in, &f.suppressed, 1u << 20) &&
             readVector(in, &f.suppressedLogits, 1u << 20);
        if (!ok) {
            return bad(QStringLiteral("truncated feature records"));
        }
    }
    return saved;
}

QString saeIdentityOf(const QString &saeDirectory, int dSae)
{
    // The content, not the path: a scan shipped with an SAE (or copied with it) stays valid
    // wherever the directory is opened from, and retrained weights at the same path do not.
    const Result<DirectoryFingerprint> fingerprint = fingerprintDirectory(saeDirectory);
    if (!fingerprint) {
        return QDir(saeDirectory).absolutePath() + QLatin1Char('|') + QString::number(dSae);
    }
    return QStringLiteral("sha256:%1|%2").arg(fingerprint.value().sha256).arg(dSae);
}

}  // namespace gyrus::gpu
