// gyrus-cli tokenize: ids, tokens and offsets of texts under any tokenizer Gyrus reads
// (tokenizer.json, tokenizer.model, vocab.json + merges.txt), one JSON object per text, with
// offsets in code points as Hugging Face's return_offsets_mapping gives them. The reference tests
// compare this output with Hugging Face's own.

#include "app/cli/cli.h"
#include "app/cli/commands.h"
#include "gpu/model/tokenizer.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTextStream>

#include <cstdio>
#include <vector>

namespace gyrus::cli {

namespace {

// For every UTF-16 index of `text` (and its end), the index of its code point.
std::vector<int> codePointIndex(const QString &text)
{
    std::vector<int> index(size_t(text.size()) + 1, 0);
    int point = 0;
    for (int i = 0; i < text.size(); ++i) {
        index[size_t(i)] = point;
        const bool pairStart = text.at(i).isHighSurrogate() && i + 1 < text.size() &&
                               text.at(i + 1).isLowSurrogate();
        if (!pairStart) {
            ++point;
        }
    }
    index[size_t(text.size())] = point;
    return index;
}

QByteArray encodeLine(const gpu::Tokenizer &tokenizer, const QString &text, bool special)
{
    const gpu::Encoding encoding = tokenizer.encode(text, special);
    const std::vector<int> points = codePointIndex(text);
    QJsonArray ids;
    QJsonArray tokens;
    QJsonArray offsets;
    for (int i = 0; i < encoding.ids.size(); ++i) {
        const gpu::Encoding::Span span = encoding.spans[i];
        ids.append(encoding.ids[i]);
        tokens.append(tokenizer.pieceToString(encoding.ids[i]));
        // A span ending inside a surrogate pair cannot happen: spans cover whole characters.
        offsets.append(QJsonArray{points[size_t(span.begin)],
                                  span.end > span.begin ? points[size_t(span.end - 1)] + 1
                                                        : points[size_t(span.begin)]});
    }
    const QJsonObject json{{QStringLiteral("ids"), ids},
                           {QStringLiteral("tokens"), tokens},
                           {QStringLiteral("offsets"), offsets}};
    return QJsonDocument(json).toJson(QJsonDocument::Compact) + '\n';
}

int runTokenize(const QStringList &arguments)
{
    const QString name = QStringLiteral("tokenize");
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
            "Tokenize texts and print one JSON object per text: {\"ids\", \"tokens\", "
            "\"offsets\"}, offsets [start, end) in Unicode code points of the text (Python "
            "string indexing, as Hugging Face's return_offsets_mapping). Special tokens the "
            "tokenizer adds (BOS/EOS) get [0, 0]."));
    const QCommandLineOption tokenizerPath(
            QStringLiteral("tokenizer"),
            QStringLiteral("A model directory, a tokenizer.json, a tokenizer.model, or a "
                           "directory with vocab.json + merges.txt (required)."),
            QStringLiteral("PATH"));
    const QCommandLineOption text(QStringLiteral("text"), QStringLiteral("One text to encode."),
                                  QStringLiteral("TEXT"));
    const QCommandLineOption jsonl(QStringLiteral("jsonl"),
                                   QStringLiteral("A file of texts, one JSON string per line."),
                                   QStringLiteral("FILE"));
    const QCommandLineOption noSpecial(
            QStringLiteral("no-special"),
            QStringLiteral("Add no special tokens (no BOS/EOS, no template)."));
    parser.addOptions({tokenizerPath, text, jsonl, noSpecial});
    if (int exit = parseCommandLine(parser, name, arguments); exit >= 0) {
        return exit;
    }
    if (!parser.isSet(tokenizerPath)) {
        return fail(name, QStringLiteral("missing --tokenizer PATH (see --help)"));
    }
    if (parser.isSet(text) == parser.isSet(jsonl)) {
        return fail(name, QStringLiteral("give exactly one of --text TEXT and --jsonl FILE"));
    }
    QStringList texts;
    if (parser.isSet(text)) {
        texts.append(parser.value(text));
    } else {
        const QString path = parser.value(jsonl);
        QFile file(path);
        if (!file.open(QIODevice::ReadOnly)) {
            return fail(name, QStringLiteral("%1: cannot open: %2").arg(path, file.errorString()));
        }
        int lineNumber = 0;
        while (!file.atEnd()) {
            const QByteArray line = file.readLine();
            ++lineNumber;
            if (line.trimmed().isEmpty()) {
                continue;
            }
            // Wrapped in an array: QJsonDocument parses only arrays and objects.
            QJsonParseError error;
            const QJsonDocument document =
                    QJsonDocument::fromJson('[' + line.trimmed() + ']', &error);
            if (error.error != QJsonParseError::NoError || document.array().size() != 1 ||
                !document.array().at(0).isString()) {
                return fail(name, QStringLiteral("%1: line %2: expected one JSON string per line")
                                          .arg(path)
                                          .arg(lineNumber));
            }
            texts.append(document.array().at(0).toString());
        }
    }
    const Result<gpu::Tokenizer> tokenizer = gpu::Tokenizer::load(parser.value(tokenizerPath));
    if (!tokenizer) {
        return failWith(name, tokenizer.status());
    }
    const bool special = !parser.isSet(noSpecial);
    for (const QString &input : texts) {
        const QByteArray line = encodeLine(*tokenizer, input, special);
        std::fwrite(line.constData(), 1, size_t(line.size()), stdout);
    }
    std::fflush(stdout);
    return kExitOk;
}

}  // namespace

Command tokenizeCommand()
{
    return {QStringLiteral("tokenize"),
            QStringLiteral("Ids, tokens and code-point offsets of texts under a tokenizer.json, "
                           "tokenizer.model or vocab.json + merges.txt (JSON lines)."),
            &runTokenize};
}

}  // namespace gyrus::cli
