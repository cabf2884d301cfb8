#include "gpu/lm/token_corpus.h"

#include "core/base/file_sha256.h"

#include <QDataStream>
#include <QFile>
#include <QFileInfo>
#include <QSaveFile>
#include <QTextStream>

#include <cmath>
#include <unordered_map>

namespace gyrus::gpu {

namespace {
constexpr quint32 kCacheMagic = 0x47544b31;  // "GTK1"
}  // namespace

Result<TokenCorpus> encodeTextFile(const QString &textPath, const Tokenizer &tokenizer,
                                   qint64 maxLines, const std::function<bool(double)> &progress)
{
    if (tokenizer.vocabSize() == 0) {
        return Status::invalidInput(QStringLiteral("no tokenizer loaded"));
    }
    QFile file(textPath);
    if (!file.open(QIODevice::ReadOnly | QIODevice::Text)) {
        return Status::notFound(
                QStringLiteral("%1: cannot open (%2)").arg(textPath, file.errorString()));
    }
    TokenCorpus corpus;
    corpus.source = textPath;
    const qint64 size = qMax<qint64>(1, file.size());
    QTextStream in(&file);
    in.setEncoding(QStringConverter::Utf8);
    QString line;
    while (in.readLineInto(&line)) {
        if (line.trimmed().isEmpty()) {
            continue;
        }
        const Encoding encoding = tokenizer.encode(line, /*addBos=*/true);
        corpus.tokens.insert(corpus.tokens.end(), encoding.ids.begin(), encoding.ids.end());
        corpus.words += line.split(QLatin1Char(' '), Qt::SkipEmptyParts).size();
        ++corpus.lines;
        if (maxLines > 0 && corpus.lines >= maxLines) {
            break;
        }
        if (progress && corpus.lines % 2000 == 0 && !progress(double(file.pos()) / double(size))) {
            return Status::cancelled();
        }
    }
    if (corpus.tokens.empty()) {
        return Status::invalidInput(QStringLiteral("%1: no text").arg(textPath));
    }
    return corpus;
}

Result<TokenCorpus> encodeTextFileCached(const QString &textPath, const Tokenizer &tokenizer,
                                         const QString &cachePath,
                                         const std::function<bool(double)> &progress)
{
    const QByteArray tokenizerHash = fileSha256(tokenizer.path());
    const QFileInfo text(textPath);
    const QFileInfo cacheInfo(cachePath);
    if (cacheInfo.exists() && cacheInfo.lastModified() >= text.lastModified()) {
        QFile cache(cachePath);
        if (cache.open(QIODevice::ReadOnly)) {
            QDataStream in(&cache);
            quint32 magic = 0;
            QByteArray hash;
            TokenCorpus corpus;
            quint64 count = 0;
            in >> magic >> hash >> corpus.lines >> corpus.words >> count;
            if (magic == kCacheMagic && hash == tokenizerHash && in.status() == QDataStream::Ok &&
                count > 0 && count < (quint64(1) << 34)) {
                corpus.source = textPath;
                corpus.tokens.resize(count);
                const qint64 bytes = qint64(count * sizeof(int32_t));
                if (in.readRawData(reinterpret_cast<char *>(corpus.tokens.data()),
                                   static_cast<int>(bytes)) == bytes) {
                    return corpus;
                }
            }
        }
    }
    Result<TokenCorpus> corpus = encodeTextFile(textPath, tokenizer, 0, progress);
    if (!corpus) {
        return corpus;
    }
    QSaveFile cache(cachePath);
    if (cache.open(QIODevice::WriteOnly)) {
        QDataStream out(&cache);
        out << kCacheMagic << tokenizerHash << corpus->lines << corpus->words
            << quint64(corpus->tokens.size());
        out.writeRawData(reinterpret_cast<const char *>(corpus->tokens.data()),
                         static_cast<int>(corpus->tokens.size() * sizeof(int32_t)));
        cache.commit();  // a cache that cannot be written is only slower next time
    }
    return corpus;
}

NgramBaselines ngramBaselines(const TokenCorpus &train, const TokenCorpus &heldout, int vocabSize,
                              int bosId)
{
    std::vector<double> unigram(static_cast<size_t>(vocabSize), 1.0);  // add-one
    double unigramTotal = vocabSize;
    std::unordered_map<int64_t, double> bigram;
    std::vector<double> contextCount(static_cast<size_t>(vocabSize), 0.0);
    for (size_t i = 0; i < train.tokens.size(); ++i) {
        const int32_t token = train.tokens[i];
        if (token == bosId) {
            continue;  // BOS is never predicted: it is given
        }
        unigram[static_cast<size_t>(token)] += 1.0;
        unigramTotal += 1.0;
        if (i > 0) {
            const int32_t previous = train.tokens[i - 1];
            bigram[int64_t(previous) * vocabSize + token] += 1.0;
            contextCount[static_cast<size_t>(previous)] += 1.0;
        }
    }

    // Held-out transitions: (previous, token) pairs whose target is not BOS.
    std::vector<std::pair<int32_t, int32_t>> pairs;
    for (size_t i = 1; i < heldout.tokens.size(); ++i) {
        if (heldout.tokens[i] != bosId) {
            pairs.emplace_back(heldout.tokens[i - 1], heldout.tokens[i]);
        }
    }
    NgramBaselines result;
    result.evaluatedTokens = static_cast<qint64>(pairs.size());
    if (pairs.empty()) {
        return result;
    }
    auto crossEntropy = [&](double weight) {
        double total = 0.0;
        for (const auto &[previous, token] : pairs) {
            const double pUni = unigram[static_cast<size_t>(token)] / unigramTotal;
            double pBi = 0.0;
            const double context = contextCount[static_cast<size_t>(previous)];
            if (context > 0) {
                const auto it = bigram.find(int64_t(previous) * vocabSize + token);
                pBi = it == bigram.end() ? 0.0 : it->second / context;
            }
            total -= std::log(weight * pBi + (1.0 - weight) * pUni);
        }
        return total / double(pairs.size());
    };
    result.unigram = crossEntropy(0.0);
    result.bigram = result.unigram;
    for (int step = 1; step < 100; ++step) {
        const double weight = step / 100.0;
        const double ce = crossEntropy(weight);
        if (ce < result.bigram) {
            result.bigram = ce;
            result.bigramWeight = weight;
        }
    }
    return result;
}

}  // namespace gyrus::gpu
