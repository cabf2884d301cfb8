#pragma once
// The Hugging Face reference for Gyrus's tokenizers (tests/data/tokenizers/reference.json, made
// by scripts/tokenizer-reference with the Rust `tokenizers` library) and the texts it covers.

#include <QByteArray>
#include <QJsonObject>
#include <QList>
#include <QPair>
#include <QString>
#include <QStringList>
#include <QVector>

namespace gyrus::test {

/// One of the real tokenizers in ../shared/tokenizers.
struct ReferenceTokenizer
{
    QString name;  ///< key in reference.json
    QString path;  ///< tokenizer.json, or GPT-2's encoder.json (vocab.bpe beside it)
};

/// $GYRUS_SHARED_DIR/tokenizers, else ../shared/tokenizers beside the source tree; "" when
/// neither exists.
QString sharedTokenizersDir();

/// The nine tokenizers of reference.json under `dir`.
QList<ReferenceTokenizer> referenceTokenizers(const QString &dir);

/// reference.json parsed (empty on failure, with `error` set).
QJsonObject tokenizerReference(QString *error);

/// The held-out corpus as the reference encodes it: every line, then every 10 lines joined by
/// "\n".
QStringList tokenizerReferenceCorpus();

/// tests/data/tokenizers/hard_strings.json.
QStringList tokenizerHardStrings();

/// "ids;start-end,...\n" as scripts/tokenizer_reference.py digests it.
QByteArray canonicalEncoding(const QVector<int> &ids, const QVector<QPair<int, int>> &offsets);

/// The first 16 hex digits of SHA-256 over each `group` consecutive canonical encodings.
QStringList encodingDigests(const QList<QByteArray> &canonical, int group);

}  // namespace gyrus::test
