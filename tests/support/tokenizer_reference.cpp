#include "tests/support/tokenizer_reference.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>

namespace gyrus::test {

QString sharedTokenizersDir()
{
    const QString fromEnvironment = qEnvironmentVariable("GYRUS_SHARED_DIR");
    for (const QString &shared : {fromEnvironment, QStringLiteral(GYRUS_SOURCE_DIR "/../shared")}) {
        if (!shared.isEmpty() && QFileInfo(shared + QStringLiteral("/tokenizers")).isDir()) {
            return QDir(shared + QStringLiteral("/tokenizers")).absolutePath();
        }
    }
    return {};
}

QList<ReferenceTokenizer> referenceTokenizers(const QString &dir)
{
    const QList<QPair<const char *, const char *>> files = {
            {"gpt2", "gpt2/tokenizer.json"},
            {"gemma2", "gemma2/tokenizer.json"},
            {"gemma3", "gemma3/tokenizer.json"},
            {"llama3", "llama3/tokenizer.json"},
            {"llama3_1", "llama3_1/tokenizer.json"},
            {"qwen2_5", "qwen2_5/tokenizer.json"},
            {"qwen3", "qwen3/tokenizer.json"},
            {"mistral", "mistral-lenml-llama2/tokenizer.json"},
            {"gpt2-original", "gpt2-original/encoder.json"}};
    QList<ReferenceTokenizer> out;
    for (const auto &[name, file] : files) {
        out.append({QLatin1String(name), dir + QLatin1Char('/') + QLatin1String(file)});
    }
    return out;
}

QJsonObject tokenizerReference(QString *error)
{
    QFile file(QStringLiteral(GYRUS_TEST_DATA_DIR "/tokenizers/reference.json"));
    if (!file.open(QIODevice::ReadOnly)) {
        *error = file.fileName() + QStringLiteral(": ") + file.errorString();
        return {};
    }
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(file.readAll(), &parseError);
    if (parseError.error != QJsonParseError::NoError) {
        *error = file.fileName() + QStringLiteral(": ") + parseError.errorString();
        return {};
    }
    return document.object();
}

QStringList tokenizerReferenceCorpus()
{
    QFile file(QStringLiteral(GYRUS_SOURCE_DIR "/datasets/corpus/heldout.txt"));
    if (!file.open(QIODevice::ReadOnly)) {
        return {};
    }
    QStringList lines = QString::fromUtf8(file.readAll()).split(QLatin1Char('\n'));
    if (!lines.isEmpty() && lines.last().isEmpty()) {
        lines.removeLast();
    }
    QStringList texts = lines;
    constexpr int kParagraphLines = 10;
    for (int i = 0; i < lines.size(); i += kParagraphLines) {
        texts.append(lines.mid(i, kParagraphLines).join(QLatin1Char('\n')));
    }
    return texts;
}

QStringList tokenizerHardStrings()
{
    QFile file(QStringLiteral(GYRUS_TEST_DATA_DIR "/tokenizers/hard_strings.json"));
    if (!file.open(QIODevice::ReadOnly)) {
        return {};
    }
    QStringList out;
    for (const QJsonValue &value : QJsonDocument::fromJson(file.readAll()).array()) {
        out.append(value.toString());
    }
    return out;
}

QByteArray canonicalEncoding(const QVector<int> &ids, const QVector<QPair<int, int>> &offsets)
{
    QByteArray out;
    for (int i = 0; i < ids.size(); ++i) {
        out += (i > 0 ? "," : "") + QByteArray::number(ids[i]);
    }
    out += ';';
    for (int i = 0; i < offsets.size(); ++i) {
        out += (i > 0 ? "," : "") + QByteArray::number(offsets[i].first) + '-' +
               QByteArray::number(offsets[i].second);
    }
    out += '\n';
    return out;
}

QStringList encodingDigests(const QList<QByteArray> &canonical, int group)
{
    QStringList out;
    for (int g = 0; g < canonical.size(); g += group) {
        QCryptographicHash hash(QCryptographicHash::Sha256);
        for (int i = g; i < std::min<int>(g + group, int(canonical.size())); ++i) {
            hash.addData(canonical[i]);
        }
        out.append(QString::fromLatin1(hash.result().toHex().left(16)));
    }
    return out;
}

}  // namespace gyrus::test
