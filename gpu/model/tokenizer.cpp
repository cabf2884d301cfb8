#include "gpu/model/tokenizer.h"

#include "core/tokenizer/hf_tokenizer.h"
#include "gpu/model/sentencepiece_api.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSaveFile>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

namespace gyrus::gpu {

namespace {

QString fromStd(const std::string &s)
{
    return QString::fromUtf8(s.data(), qsizetype(s.size()));
}

// The UTF-8 bytes of `text` and, for every byte, the UTF-16 span of the character it belongs to.
// Built by hand rather than with QString::toUtf8() so that a lone surrogate (encoded as U+FFFD)
// is guaranteed to map consistently.
struct Utf8Alignment
{
    std::string bytes;
    std::vector<int> charBegin;  // per byte: UTF-16 index where its character starts
    std::vector<int> charEnd;    // per byte: UTF-16 index where its character ends
};

Utf8Alignment alignUtf8(const QString &text)
{
    Utf8Alignment out;
    out.bytes.reserve(size_t(text.size()) * 3);
    const int length = int(text.size());
    for (int i = 0; i < length;) {
        char32_t codePoint = text.at(i).unicode();
        int units = 1;
        if (QChar::isHighSurrogate(codePoint) && i + 1 < length &&
            text.at(i + 1).isLowSurrogate()) {
            codePoint = QChar::surrogateToUcs4(text.at(i), text.at(i + 1));
            units = 2;
        } else if (QChar::isSurrogate(codePoint)) {
            codePoint = 0xFFFD;
        }
        char encoded[4];
        int n = 0;
        if (codePoint < 0x80) {
            encoded[n++] = char(codePoint);
        } else if (codePoint < 0x800) {
            encoded[n++] = char(0xC0 | (codePoint >> 6));
            encoded[n++] = char(0x80 | (codePoint & 0x3F));
        } else if (codePoint < 0x10000) {
            encoded[n++] = char(0xE0 | (codePoint >> 12));
            encoded[n++] = char(0x80 | ((codePoint >> 6) & 0x3F));
            encoded[n++] = char(0x80 | (codePoint & 0x3F));
        } else {
            encoded[n++] = char(0xF0 | (codePoint >> 18));
            encoded[n++] = char(0x80 | ((codePoint >> 12) & 0x3F));
            encoded[n++] = char(0x80 | ((codePoint >> 6) & 0x3F));
            encoded[n++] = char(0x80 | (codePoint & 0x3F));
        }
        out.bytes.append(encoded, size_t(n));
        for (int k = 0; k < n; ++k) {
            out.charBegin.push_back(i);
            out.charEnd.push_back(i + units);
        }
        i += units;
    }
    return out;
}

}  // namespace

struct Tokenizer::Impl
{
    std::unique_ptr<detail::SentencepieceProcessor> processor;
    std::shared_ptr<const tokenizer::HfTokenizer> hf;
    QString path;
    QString kind;
};

Tokenizer::Tokenizer()
    : m_impl(std::make_shared<const Impl>())
{}

namespace {

QString sibling(const QString &path, const QString &name)
{
    return QFileInfo(path).dir().filePath(name);
}

bool isVocabJson(const QString &path)
{
    const QString name = QFileInfo(path).fileName();
    return name == QLatin1String("vocab.json") || name == QLatin1String("encoder.json");
}

// merges.txt beside vocab.json, or vocab.bpe beside encoder.json (GPT-2's original names).
QString mergesFor(const QString &vocabPath)
{
    const bool original = QFileInfo(vocabPath).fileName() == QLatin1String("encoder.json");
    return sibling(vocabPath,
                   original ? QStringLiteral("vocab.bpe") : QStringLiteral("merges.txt"));
}

}  // namespace

QString Tokenizer::findInDirectory(const QString &directory)
{
    const QDir dir(directory);
    for (const char *name : {"tokenizer.json", "tokenizer.model"}) {
        if (QFileInfo(dir.filePath(QLatin1String(name))).isFile()) {
            return dir.filePath(QLatin1String(name));
        }
    }
    for (const char *name : {"vocab.json", "encoder.json"}) {
        const QString vocab = dir.filePath(QLatin1String(name));
        if (QFileInfo(vocab).isFile() && QFileInfo(mergesFor(vocab)).isFile()) {
            return vocab;
        }
    }
    return {};
}

Result<Tokenizer> Tokenizer::load(const QString &path)
{
    QString tokenizerModelPath = path;
    if (QFileInfo(path).isDir()) {
        tokenizerModelPath = findInDirectory(path);
        if (tokenizerModelPath.isEmpty()) {
            return Status::notFound(QStringLiteral("%1: is a directory with no tokenizer.json, "
                                                   "tokenizer.model or vocab.json + merges.txt")
                                            .arg(path));
        }
    }
    if (tokenizerModelPath.endsWith(QLatin1String(".json"), Qt::CaseInsensitive)) {
        const bool vocabMerges = isVocabJson(tokenizerModelPath);
        Result<std::shared_ptr<const tokenizer::HfTokenizer>> hf =
                vocabMerges ? tokenizer::HfTokenizer::loadVocabMerges(tokenizerModelPath,
                                                                      mergesFor(tokenizerModelPath))
                            : tokenizer::HfTokenizer::loadJson(
                                      tokenizerModelPath,
                                      sibling(tokenizerModelPath,
                                              QStringLiteral("tokenizer_config.json")));
        if (!hf) {
            return hf.status();
        }
        if ((*hf)->vocabSize() == 0) {
            return Status::invalidInput(
                    QStringLiteral("%1: empty vocabulary").arg(tokenizerModelPath));
        }
        auto impl = std::make_shared<Impl>();
        impl->hf = std::move(hf).value();
        impl->path = tokenizerModelPath;
        impl->kind = vocabMerges ? QStringLiteral("vocab.json+merges.txt")
                                 : QStringLiteral("tokenizer.json");
        Tokenizer tokenizer;
        tokenizer.m_impl = std::move(impl);
        return tokenizer;
    }
    QFile file(tokenizerModelPath);
    if (!file.exists()) {
        return Status::notFound(QStringLiteral("%1: no such file").arg(tokenizerModelPath));
    }
    if (QFileInfo(tokenizerModelPath).isDir()) {
        return Status::invalidInput(
                QStringLiteral("%1: is a directory; give the tokenizer.model file")
                        .arg(tokenizerModelPath));
    }
    if (!file.open(QIODevice::ReadOnly)) {
        return Status::invalidInput(
                QStringLiteral("%1: cannot open: %2").arg(tokenizerModelPath, file.errorString()));
    }
    const QByteArray bytes = file.readAll();
    auto impl = std::make_shared<Impl>();
    impl->path = tokenizerModelPath;
    impl->kind = QStringLiteral("sentencepiece");
    std::string error;
    const detail::SentencepieceApi *api = detail::sentencepieceApi(&error);
    if (api == nullptr) {
        return Status::internal(fromStd(error));
    }
    impl->processor.reset(api->createProcessor());
    if (!impl->processor->load(bytes.toStdString(), &error)) {
        return Status::invalidInput(QStringLiteral("%1: not a sentencepiece model (%2)")
                                            .arg(tokenizerModelPath, fromStd(error)));
    }
    if (impl->processor->pieceSize() <= 0) {
        return Status::invalidInput(
                QStringLiteral("%1: sentencepiece model has an empty vocabulary")
                        .arg(tokenizerModelPath));
    }
    Tokenizer tokenizer;
    tokenizer.m_impl = std::move(impl);
    return tokenizer;
}

namespace {

// A Hugging Face tokenizer's tokens with spans in UTF-16 code units of `text`.
Encoding encodeHf(const tokenizer::HfTokenizer &hf, const QString &text, bool addSpecial)
{
    const Utf8Alignment alignment = alignUtf8(text);
    const std::vector<tokenizer::Token> tokens = hf.encode(alignment.bytes, addSpecial);
    Encoding encoding;
    encoding.ids.reserve(int(tokens.size()));
    encoding.spans.reserve(int(tokens.size()));
    for (const tokenizer::Token &token : tokens) {
        Encoding::Span span;
        if (token.end > token.begin) {
            span.begin = alignment.charBegin[token.begin];
            span.end = alignment.charEnd[token.end - 1];
        }
        encoding.ids.push_back(token.id);
        encoding.spans.push_back(span);
    }
    return encoding;
}

}  // namespace

Encoding Tokenizer::encode(const QString &text, bool addBos) const
{
    if (!addBos || !m_prependBos) {
        return encodeOwnRule(text, addBos);
    }
    Encoding encoding = encodeOwnRule(text, false);
    const int bos = bosId() >= 0 ? bosId() : m_ruleBosId;
    if (*m_prependBos && bos >= 0) {
        encoding.ids.prepend(bos);
        encoding.spans.prepend(Encoding::Span{0, 0});
    }
    return encoding;
}

Encoding Tokenizer::encodeOwnRule(const QString &text, bool addBos) const
{
    if (m_impl->hf) {
        return encodeHf(*m_impl->hf, text, addBos);
    }
    Encoding encoding;
    const int bos = bosId();
    if (addBos && bos >= 0) {
        encoding.ids.push_back(bos);
        encoding.spans.push_back({0, 0});
    }
    if (vocabSize() == 0 || text.isEmpty()) {
        return encoding;
    }
    const Utf8Alignment alignment = alignUtf8(text);
    std::vector<detail::SentencepiecePiece> pieces;
    std::string error;
    if (!m_impl->processor->encode(alignment.bytes, &pieces, &error)) {
        return encoding;  // only an unloaded model fails, and vocabSize() excluded that
    }
    const size_t byteCount = alignment.bytes.size();
    const int textLength = int(text.size());
    const auto toBegin = [&](size_t byte) {
        return byte >= byteCount ? textLength : alignment.charBegin[byte];
    };
    const auto toEnd = [&](size_t byte) {
        return byte == 0 ? 0 : alignment.charEnd[std::min(byte, byteCount) - 1];
    };
    encoding.ids.reserve(encoding.ids.size() + int(pieces.size()));
    encoding.spans.reserve(encoding.spans.size() + int(pieces.size()));
    // sentencepiece gives a character split into byte-fallback pieces to the last of them and
    // empty ranges to the others; give all of them the character.
    for (size_t i = pieces.size(); i-- > 1;) {
        const detail::SentencepiecePiece &next = pieces[i];
        detail::SentencepiecePiece &piece = pieces[i - 1];
        if (piece.begin == piece.end && piece.begin == next.begin && next.end > next.begin &&
            m_impl->processor->isByte(piece.id) && m_impl->processor->isByte(next.id)) {
            piece.end = next.end;
        }
    }
    for (const detail::SentencepiecePiece &piece : pieces) {
        const size_t begin = piece.begin;
        const size_t end = piece.end;
        Encoding::Span span;
        span.begin = toBegin(begin);
        span.end = end > begin ? toEnd(end) : span.begin;
        encoding.ids.push_back(piece.id);
        encoding.spans.push_back(span);
    }
    return encoding;
}

QString Tokenizer::decode(const QVector<int> &ids) const
{
    if (m_impl->hf) {
        const std::string text = m_impl->hf->decode(std::vector<int>(ids.begin(), ids.end()), true);
        return fromStd(text);
    }
    std::vector<int> valid;
    valid.reserve(size_t(ids.size()));
    const int size = vocabSize();
    for (int id : ids) {
        // sentencepiece aborts on out-of-range ids in some builds: drop them.
        if (id >= 0 && id < size) {
            valid.push_back(id);
        }
    }
    if (valid.empty()) {
        return {};
    }
    return fromStd(m_impl->processor->decode(valid));
}

QString Tokenizer::displayPiece(int id) const
{
    if (m_impl->hf) {
        return fromStd(m_impl->hf->displayToken(id));
    }
    const QString piece = pieceToString(id);
    if (piece.isEmpty() || isByte(id) || isControl(id) || m_impl->processor->isUnknown(id)) {
        return piece;
    }
    QString shown = piece;
    shown.replace(QChar(0x2581), QLatin1Char(' '));
    return shown;
}

QString Tokenizer::pieceToString(int id) const
{
    if (id < 0 || id >= vocabSize()) {
        return {};
    }
    if (m_impl->hf) {
        return fromStd(m_impl->hf->idToToken(id));
    }
    return fromStd(m_impl->processor->idToPiece(id));
}

int Tokenizer::pieceToId(const QString &piece) const
{
    if (vocabSize() == 0) {
        return -1;
    }
    if (m_impl->hf) {
        const int id = m_impl->hf->tokenToId(piece.toStdString());
        return id >= 0 ? id : unkId();
    }
    return m_impl->processor->pieceToId(piece.toStdString());
}

bool Tokenizer::isByte(int id) const
{
    if (m_impl->hf) {
        return m_impl->hf->isByteFallback(id);
    }
    return id >= 0 && id < vocabSize() && m_impl->processor->isByte(id);
}

bool Tokenizer::isControl(int id) const
{
    if (m_impl->hf) {
        return m_impl->hf->isSpecial(id);
    }
    return id >= 0 && id < vocabSize() && m_impl->processor->isControl(id);
}

int Tokenizer::vocabSize() const
{
    if (m_impl->hf) {
        return m_impl->hf->vocabSize();
    }
    return m_impl->processor ? m_impl->processor->pieceSize() : 0;
}

int Tokenizer::bosId() const
{
    if (m_impl->hf) {
        return m_impl->hf->bosId();
    }
    return vocabSize() == 0 ? -1 : m_impl->processor->bosId();
}

QString Tokenizer::kind() const
{
    return m_impl->kind;
}

int Tokenizer::eosId() const
{
    if (m_impl->hf) {
        return m_impl->hf->eosId();
    }
    return vocabSize() == 0 ? -1 : m_impl->processor->eosId();
}

int Tokenizer::unkId() const
{
    if (m_impl->hf) {
        return m_impl->hf->unkId();
    }
    return vocabSize() == 0 ? -1 : m_impl->processor->unkId();
}

int Tokenizer::padId() const
{
    if (m_impl->hf) {
        return m_impl->hf->padId();
    }
    return vocabSize() == 0 ? -1 : m_impl->processor->padId();
}

QString Tokenizer::path() const
{
    return m_impl->path;
}

namespace {

// <prefix>.model (the serialised model) and <prefix>.vocab ("piece<TAB>score" per line), as
// spm_train writes them; each atomically.
Status writeModelFiles(const QString &prefix, const std::string &model,
                       const detail::SentencepieceApi &api)
{
    const std::unique_ptr<detail::SentencepieceProcessor> processor(api.createProcessor());
    std::string error;
    if (!processor->load(model, &error)) {
        return Status::internal(
                QStringLiteral("the trained model does not load: %1").arg(fromStd(error)));
    }
    QByteArray vocabulary;
    for (int id = 0; id < processor->pieceSize(); ++id) {
        vocabulary += QByteArray::fromStdString(processor->idToPiece(id)) + '\t' +
                      QByteArray::number(double(processor->score(id)), 'g', 6) + '\n';
    }
    const std::pair<QString, QByteArray> files[] = {
            {prefix + QStringLiteral(".model"), QByteArray::fromStdString(model)},
            {prefix + QStringLiteral(".vocab"), vocabulary}};
    for (const auto &[path, bytes] : files) {
        QSaveFile file(path);
        if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size() ||
            !file.commit()) {
            return Status::invalidInput(
                    QStringLiteral("%1: cannot write: %2").arg(path, file.errorString()));
        }
    }
    return Status::ok();
}

}  // namespace

Status trainSentencepieceBpe(const TokenizerTrainOptions &options)
{
    if (options.inputFiles.isEmpty()) {
        return Status::invalidInput(QStringLiteral("no input text files"));
    }
    for (const QString &input : options.inputFiles) {
        const QFileInfo info(input);
        if (!info.exists()) {
            return Status::notFound(QStringLiteral("%1: no such file").arg(input));
        }
        if (!info.isFile() || !info.isReadable()) {
            return Status::invalidInput(QStringLiteral("%1: not a readable file").arg(input));
        }
        if (info.size() == 0) {
            return Status::invalidInput(QStringLiteral("%1: empty file").arg(input));
        }
    }
    if (options.modelPrefix.isEmpty()) {
        return Status::invalidInput(QStringLiteral("no model prefix"));
    }
    const QFileInfo prefixInfo(options.modelPrefix);
    if (!prefixInfo.absoluteDir().exists()) {
        return Status::notFound(
                QStringLiteral("%1: no such directory").arg(prefixInfo.absolutePath()));
    }
    // Three special pieces, plus 256 byte pieces with byte fallback: below that sentencepiece
    // fails with a less direct message.
    const int minimum = 3 + (options.byteFallback ? 256 : 0) + 1;
    if (options.vocabSize < minimum) {
        return Status::invalidInput(
                QStringLiteral("vocab size %1 is too small: byte fallback and the special tokens "
                               "alone need %2")
                        .arg(options.vocabSize)
                        .arg(minimum));
    }
    if (!(options.characterCoverage > 0.0 && options.characterCoverage <= 1.0)) {
        return Status::invalidInput(QStringLiteral("character coverage must be in (0, 1], got %1")
                                            .arg(options.characterCoverage));
    }
    const auto number = [](double value) { return QString::number(value, 'g', 10).toStdString(); };
    const auto flag = [](bool value) { return std::string(value ? "true" : "false"); };
    std::vector<std::string> inputs;
    for (const QString &input : options.inputFiles) {
        inputs.push_back(QFile::encodeName(QFileInfo(input).absoluteFilePath()).toStdString());
    }
    // The settings of Llama's tokenizer.model, except identity normalisation keeps token spans on
    // the user's characters (Llama's is identity too).
    const std::vector<std::pair<std::string, std::string>> args = {
            {"model_type", "bpe"},
            {"vocab_size", std::to_string(options.vocabSize)},
            {"character_coverage", number(options.characterCoverage)},
            {"byte_fallback", flag(options.byteFallback)},
            {"split_digits", "true"},
            {"allow_whitespace_only_pieces", "true"},
            {"normalization_rule_name", "identity"},
            {"remove_extra_whitespaces", "false"},
            {"add_dummy_prefix", "true"},
            {"unk_id", "0"},
            {"bos_id", "1"},
            {"eos_id", "2"},
            {"pad_id", "-1"},
            {"input_sentence_size", std::to_string(options.inputSentenceSize)},
            {"shuffle_input_sentence", "true"},
            {"max_sentence_length", std::to_string(options.maxSentenceLength)},
            {"num_threads", std::to_string(std::max(1, options.numThreads))},
    };
    std::string error;
    const detail::SentencepieceApi *api = detail::sentencepieceApi(&error);
    if (api == nullptr) {
        return Status::internal(fromStd(error));
    }
    std::string model;
    if (!api->train(args, inputs, options.seed, &model, &error)) {
        return Status::invalidInput(
                QStringLiteral("sentencepiece training failed: %1").arg(fromStd(error)));
    }
    return writeModelFiles(prefixInfo.absoluteFilePath(), model, *api);
}

}  // namespace gyrus::gpu
