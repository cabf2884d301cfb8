// The sentencepiece tokenizer: a tiny BPE model trained in the test, round trips on ASCII and
// non-ASCII text (byte fallback), character spans, BOS, and broken model files.

#include "core/base/address_sanitizer.h"
#include "gpu/model/tokenizer.h"
#include "tests/support/test_paths.h"
#include "tests/support/tokenizer_reference.h"

#include <QFile>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QtTest>

using gyrus::Result;
using gyrus::Status;
using gyrus::gpu::Encoding;
using gyrus::gpu::Tokenizer;
using gyrus::gpu::TokenizerTrainOptions;
using gyrus::gpu::trainSentencepieceBpe;

namespace {

constexpr int kVocabSize = 320;

// A small corpus of lowercase sentences: few distinct characters, so 256 byte pieces + the
// characters + some merges fit in kVocabSize, and anything outside (é, 日本, emoji, capitals)
// must go through byte fallback.
QByteArray corpus()
{
    const QStringList subjects = {QStringLiteral("the cat"),     QStringLiteral("a dog"),
                                  QStringLiteral("the teacher"), QStringLiteral("my neighbour"),
                                  QStringLiteral("the old man"), QStringLiteral("a small bird")};
    const QStringList verbs = {QStringLiteral("sat on"), QStringLiteral("looked at"),
                               QStringLiteral("walked to"), QStringLiteral("thought about"),
                               QStringLiteral("painted")};
    const QStringList objects = {QStringLiteral("the mat"), QStringLiteral("the house"),
                                 QStringLiteral("a garden"), QStringLiteral("the river"),
                                 QStringLiteral("the station, again")};
    QByteArray text;
    QRandomGenerator generator(7);
    for (int i = 0; i < 600; ++i) {
        const QString line =
                subjects[int(generator.bounded(quint32(subjects.size())))] + QLatin1Char(' ') +
                verbs[int(generator.bounded(quint32(verbs.size())))] + QLatin1Char(' ') +
                objects[int(generator.bounded(quint32(objects.size())))] +
                QStringLiteral(" in 1984.\n");
        text += line.toUtf8();
    }
    return text;
}

int hexByte(const QString &piece)
{
    // "<0xE6>" -> 0xE6
    bool ok = false;
    const int value = piece.mid(3, 2).toInt(&ok, 16);
    return ok && piece.size() == 6 ? value : -1;
}

}  // namespace

class TestTokenizer : public QObject
{
    Q_OBJECT
private Q_SLOTS:

    void initTestCase()
    {
#if GYRUS_ADDRESS_SANITIZER
        QSKIP("the sentencepiece module needs RTLD_DEEPBIND, which AddressSanitizer refuses");
#endif
        QVERIFY(m_dir.isValid());
        const QString input = m_dir.filePath(QStringLiteral("corpus.txt"));
        QFile file(input);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(corpus());
        file.close();
        TokenizerTrainOptions options;
        options.inputFiles = {input};
        options.modelPrefix = m_dir.filePath(QStringLiteral("tiny"));
        options.vocabSize = kVocabSize;
        options.characterCoverage = 1.0;
        const Status status = trainSentencepieceBpe(options);
        QVERIFY2(status.isOk(), qPrintable(status.message()));
        m_modelPath = options.modelPrefix + QStringLiteral(".model");
        QVERIFY(QFile::exists(m_modelPath));
        Result<Tokenizer> loaded = Tokenizer::load(m_modelPath);
        QVERIFY2(loaded.isOk(), qPrintable(loaded.status().message()));
        m_tokenizer = loaded.value();
        m_options = options;
    }

    void llamaSpecialTokens()
    {
        QCOMPARE(m_tokenizer.vocabSize(), kVocabSize);
        QCOMPARE(m_tokenizer.unkId(), 0);
        QCOMPARE(m_tokenizer.bosId(), 1);
        QCOMPARE(m_tokenizer.eosId(), 2);
        QCOMPARE(m_tokenizer.padId(), -1);
        QCOMPARE(m_tokenizer.pieceToString(1), QStringLiteral("<s>"));
        QCOMPARE(m_tokenizer.displayPiece(2), QStringLiteral("</s>"));
        QCOMPARE(m_tokenizer.displayPiece(0), QStringLiteral("<unk>"));
        QVERIFY(m_tokenizer.isControl(1));
        // Byte fallback: pieces 3..258 are <0x00>..<0xFF>, as in Llama's tokenizer.model.
        QCOMPARE(m_tokenizer.pieceToString(3), QStringLiteral("<0x00>"));
        QCOMPARE(m_tokenizer.pieceToString(3 + 0xE6), QStringLiteral("<0xE6>"));
        QVERIFY(m_tokenizer.isByte(3 + 0xE6));
        QCOMPARE(m_tokenizer.displayPiece(3 + 0xE6), QStringLiteral("<0xE6>"));
        QCOMPARE(m_tokenizer.pieceToId(QStringLiteral("<0x41>")), 3 + 0x41);
        QCOMPARE(m_tokenizer.pieceToId(QStringLiteral("no such piece")), 0);
        QCOMPARE(m_tokenizer.pieceToString(kVocabSize), QString());
        QCOMPARE(m_tokenizer.pieceToString(-1), QString());
        // A learned piece with the word-boundary mark shows it as a space.
        const int the = m_tokenizer.pieceToId(QStringLiteral("▁the"));
        QVERIFY(the > 258);
        QCOMPARE(m_tokenizer.displayPiece(the), QStringLiteral(" the"));
    }

    void roundTripAndSpans_data()
    {
        QTest::addColumn<QString>("text");
        QTest::newRow("ascii") << QStringLiteral("the cat sat on the mat in 1984.");
        QTest::newRow("unseen ascii") << QStringLiteral("The QUICK fox, jumped!");
        QTest::newRow("accent") << QStringLiteral("the café was painted é");
        QTest::newRow("cjk") << QStringLiteral("日本 the river");
        QTest::newRow("emoji") << QStringLiteral("a small bird 🐦 sat 🧠");
        QTest::newRow("spaces and newline") << QStringLiteral("  two  spaces\nand a line");
        QTest::newRow("digits") << QStringLiteral("in 2024 and 31415");
        QTest::newRow("single char") << QStringLiteral("é");
    }

    void roundTripAndSpans()
    {
        QFETCH(QString, text);
        const Encoding encoding = m_tokenizer.encode(text, false);
        QVERIFY(!encoding.ids.isEmpty());
        QCOMPARE(encoding.spans.size(), encoding.ids.size());
        QCOMPARE(m_tokenizer.decode(encoding.ids), text);

        // Spans are monotonic, inside the text, and tile it: each token starts where the previous
        // ended, except byte-fallback tokens of one character, which share its span.
        int covered = 0;
        QString rebuilt;
        for (int i = 0; i < encoding.ids.size(); ++i) {
            const Encoding::Span span = encoding.spans[i];
            QVERIFY(span.begin <= span.end);
            QVERIFY(span.end <= text.size());
            const bool sharesPrevious = i > 0 && span.begin == encoding.spans[i - 1].begin &&
                                        span.end == encoding.spans[i - 1].end &&
                                        m_tokenizer.isByte(encoding.ids[i]);
            if (!sharesPrevious) {
                QCOMPARE(span.begin, covered);
                rebuilt += text.mid(span.begin, span.end - span.begin);
                covered = span.end;
            }
        }
        QCOMPARE(covered, int(text.size()));
        QCOMPARE(rebuilt, text);

        // Each token's text is its display piece (modulo the dummy-prefix space at the start);
        // runs of byte tokens over one span are the UTF-8 bytes of those characters.
        for (int i = 0; i < encoding.ids.size();) {
            const int id = encoding.ids[i];
            const Encoding::Span span = encoding.spans[i];
            const QString tokenText = text.mid(span.begin, span.end - span.begin);
            if (m_tokenizer.isByte(id)) {
                QByteArray bytes;
                int j = i;
                while (j < encoding.ids.size() && m_tokenizer.isByte(encoding.ids[j]) &&
                       encoding.spans[j].begin == span.begin && encoding.spans[j].end == span.end) {
                    const int value = hexByte(m_tokenizer.displayPiece(encoding.ids[j]));
                    QVERIFY(value >= 0);
                    bytes += char(value);
                    ++j;
                }
                QCOMPARE(QString::fromUtf8(bytes), tokenText);
                i = j;
                continue;
            }
            const QString display = m_tokenizer.displayPiece(id);
            const bool matches = display == tokenText ||
                                 (span.begin == 0 && display == QLatin1Char(' ') + tokenText);
            QVERIFY2(matches, qPrintable(QStringLiteral("token %1 '%2' covers '%3'")
                                                 .arg(i)
                                                 .arg(display, tokenText)));
            ++i;
        }
    }

    void byteFallbackForUnseenCharacters()
    {
        const QString text = QStringLiteral("é");
        const Encoding encoding = m_tokenizer.encode(text, false);
        // "▁" then é's two UTF-8 bytes 0xC3 0xA9, both spanning the one character.
        QVector<int> bytes;
        for (int i = 0; i < encoding.ids.size(); ++i) {
            if (m_tokenizer.isByte(encoding.ids[i])) {
                bytes << encoding.ids[i];
                QCOMPARE(encoding.spans[i].begin, 0);
                QCOMPARE(encoding.spans[i].end, 1);
            }
        }
        QCOMPARE(bytes, (QVector<int>{3 + 0xC3, 3 + 0xA9}));
        // A surrogate pair is two UTF-16 units: the emoji's span is 2 long.
        const QString emoji = QStringLiteral("a🧠");
        const Encoding e = m_tokenizer.encode(emoji, false);
        QCOMPARE(e.spans.last().end, 3);
        QCOMPARE(e.spans.last().begin, 1);
    }

    void bos()
    {
        const QString text = QStringLiteral("the dog sat");
        const Encoding plain = m_tokenizer.encode(text, false);
        const Encoding withBos = m_tokenizer.encode(text, true);
        QCOMPARE(withBos.ids.size(), plain.ids.size() + 1);
        QCOMPARE(withBos.ids.first(), 1);
        QCOMPARE(withBos.spans.first().begin, 0);
        QCOMPARE(withBos.spans.first().end, 0);
        QCOMPARE(withBos.ids.mid(1), plain.ids);
        QCOMPARE(m_tokenizer.decode(withBos.ids), text);  // control tokens decode to nothing
        const Encoding empty = m_tokenizer.encode(QString(), true);
        QCOMPARE(empty.ids, QVector<int>{1});
        QVERIFY(m_tokenizer.encode(QString(), false).ids.isEmpty());
    }

    void loneSurrogateDoesNotBreakSpans()
    {
        QString text = QStringLiteral("ab");
        text.insert(1, QChar(0xD800));
        const Encoding encoding = m_tokenizer.encode(text, false);
        QVERIFY(!encoding.ids.isEmpty());
        QCOMPARE(encoding.spans.last().end, int(text.size()));
        for (const Encoding::Span &span : encoding.spans) {
            QVERIFY(span.begin >= 0 && span.end <= text.size() && span.begin <= span.end);
        }
    }

    void deterministicTraining()
    {
        // Same corpus elsewhere, written to another directory: byte-identical model (no path
        // is recorded in it), vocabulary and encodings.
        QTemporaryDir other;
        const QString copy = other.filePath(QStringLiteral("copy of corpus.txt"));
        QVERIFY(QFile::copy(m_options.inputFiles.first(), copy));
        TokenizerTrainOptions options = m_options;
        options.inputFiles = {copy};
        options.modelPrefix = other.filePath(QStringLiteral("again"));
        QVERIFY(trainSentencepieceBpe(options).isOk());
        const auto read = [](const QString &path) {
            QFile file(path);
            return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
        };
        const QByteArray model = read(m_modelPath);
        QVERIFY(!model.isEmpty());
        QCOMPARE(read(options.modelPrefix + QStringLiteral(".model")), model);
        const QByteArray vocabulary = read(m_options.modelPrefix + QStringLiteral(".vocab"));
        QCOMPARE(vocabulary.count('\n'), kVocabSize);
        QVERIFY(vocabulary.startsWith("<unk>\t0\n<s>\t0\n</s>\t0\n<0x00>\t0\n"));
        QCOMPARE(read(options.modelPrefix + QStringLiteral(".vocab")), vocabulary);
        QVERIFY(!model.contains("corpus"));
        const Result<Tokenizer> again =
                Tokenizer::load(options.modelPrefix + QStringLiteral(".model"));
        QVERIFY(again.isOk());
        const QString text = QStringLiteral("the teacher walked to a garden in 2025, é");
        QCOMPARE(again->encode(text, true).ids, m_tokenizer.encode(text, true).ids);
    }

    void trainerErrors()
    {
        TokenizerTrainOptions options = m_options;
        options.modelPrefix = m_dir.filePath(QStringLiteral("bad"));
        options.vocabSize = 100;
        Status status = trainSentencepieceBpe(options);
        QVERIFY(!status.isOk());
        QVERIFY2(status.message().contains(QStringLiteral("vocab size 100 is too small")),
                 qPrintable(status.message()));

        options = m_options;
        options.inputFiles = {m_dir.filePath(QStringLiteral("missing.txt"))};
        status = trainSentencepieceBpe(options);
        QCOMPARE(status.code(), Status::Code::NotFound);
        QVERIFY(status.message().contains(QStringLiteral("missing.txt")));

        options = m_options;
        options.inputFiles.clear();
        QVERIFY(!trainSentencepieceBpe(options).isOk());
    }

    // Hugging Face tokenizers through the same facade: UTF-16 spans for the GUI (a character
    // split into byte-level tokens gives each of them its span), BOS with an empty span, readable
    // pieces, decoding back to the text; a model directory picks tokenizer.json.
    void huggingFaceTokenizers()
    {
        const QString shared = gyrus::test::sharedTokenizersDir();
        if (shared.isEmpty()) {
            QSKIP("no ../shared/tokenizers (set GYRUS_SHARED_DIR)");
        }
        Result<Tokenizer> llama = Tokenizer::load(shared + QStringLiteral("/llama3_1"));
        QVERIFY2(llama.isOk(), qPrintable(llama.status().message()));
        QCOMPARE(llama->kind(), QStringLiteral("tokenizer.json"));
        QCOMPARE(llama->vocabSize(), 128256);
        QCOMPARE(llama->bosId(), 128000);
        const QString text = QStringLiteral("Hi \U00010348 the\n");
        const Encoding encoding = llama->encode(text, true);
        QCOMPARE(encoding.ids.front(), 128000);
        QCOMPARE(encoding.spans.front().begin, 0);
        QCOMPARE(encoding.spans.front().end, 0);
        // "Hi", " " with the first byte of U+10348, its other three bytes alone (each spanning
        // both UTF-16 units of the character), " the", "\n".
        QStringList shown;
        for (int i = 1; i < encoding.ids.size(); ++i) {
            shown.append(llama->displayPiece(encoding.ids[i]));
            const auto span = encoding.spans[i];
            QVERIFY(span.begin < span.end && span.end <= text.size());
        }
        QCOMPARE(shown.first(), QStringLiteral("Hi"));
        QVERIFY2(shown.contains(QStringLiteral(" the")), qPrintable(shown.join(QLatin1Char('|'))));
        QCOMPARE(shown.last(), QStringLiteral("\u23CE"));
        QCOMPARE(llama->pieceToString(encoding.ids.last()), QStringLiteral("\u010A"));
        int splitCharacter = 0;
        for (int i = 1; i < encoding.ids.size(); ++i) {
            if (encoding.spans[i].begin == 3) {
                QCOMPARE(encoding.spans[i].end, 5);
                ++splitCharacter;
            }
        }
        QCOMPARE(splitCharacter, 3);
        QCOMPARE(llama->decode(encoding.ids), text);

        Result<Tokenizer> gemma =
                Tokenizer::load(shared + QStringLiteral("/gemma3/tokenizer.json"));
        QVERIFY2(gemma.isOk(), qPrintable(gemma.status().message()));
        const QString accents = QStringLiteral("caf\u00E9 na\u00EFve \U00010348");
        const Encoding g = gemma->encode(accents, true);
        QCOMPARE(g.ids.front(), gemma->bosId());
        QCOMPARE(gemma->decode(g.ids), accents);
        for (int i = 1; i < g.ids.size(); ++i) {
            QVERIFY(g.spans[i].end > g.spans[i].begin);
            if (gemma->isByte(g.ids[i])) {
                // Byte fallback of the 4-byte character: its whole surrogate pair.
                QCOMPARE(accents.mid(g.spans[i].begin, g.spans[i].end - g.spans[i].begin),
                         QStringLiteral("\U00010348"));
            }
        }

        Result<Tokenizer> gpt2 = Tokenizer::load(shared + QStringLiteral("/gpt2-original"));
        QVERIFY2(gpt2.isOk(), qPrintable(gpt2.status().message()));
        QCOMPARE(gpt2->kind(), QStringLiteral("vocab.json+merges.txt"));
        QCOMPARE(gpt2->displayPiece(gpt2->pieceToId(QStringLiteral("\u0120the"))),
                 QStringLiteral(" the"));
    }

    // The demo model loads tokenizer.json (datasets/demo/tokenizer/make_tokenizer_json.sh wrote it
    // from tokenizer.model and checked it with Hugging Face tokenizers): through Gyrus's own two
    // paths it must be the same tokenizer, id for id, on the whole held-out corpus.
    void demoTokenizerJsonIsTheTokenizerModel()
    {
        Result<Tokenizer> sentencepiece = Tokenizer::load(
                gyrus::test::sourcePath(QStringLiteral("datasets/demo/tokenizer/tokenizer.model")));
        QVERIFY2(sentencepiece.isOk(), qPrintable(sentencepiece.status().message()));
        Result<Tokenizer> json =
                Tokenizer::load(gyrus::test::sourcePath(QStringLiteral("datasets/demo/model")));
        QVERIFY2(json.isOk(), qPrintable(json.status().message()));
        QCOMPARE(sentencepiece->kind(), QStringLiteral("sentencepiece"));
        QCOMPARE(json->kind(), QStringLiteral("tokenizer.json"));
        QCOMPARE(json->vocabSize(), sentencepiece->vocabSize());
        QCOMPARE(json->bosId(), sentencepiece->bosId());
        QCOMPARE(json->eosId(), sentencepiece->eosId());
        QCOMPARE(json->unkId(), sentencepiece->unkId());
        QCOMPARE(json->padId(), sentencepiece->padId());
        for (int id = 0; id < sentencepiece->vocabSize(); ++id) {
            QCOMPARE(json->pieceToString(id), sentencepiece->pieceToString(id));
            QCOMPARE(json->displayPiece(id), sentencepiece->displayPiece(id));
            QCOMPARE(json->isByte(id), sentencepiece->isByte(id));
            // <unk> is an UNKNOWN piece to sentencepiece and a special token to Hugging Face
            // (as in Llama's tokenizer.json); every other id has the same kind.
            QCOMPARE(json->isControl(id), sentencepiece->isControl(id) || id == json->unkId());
        }
        QFile heldout(gyrus::test::sourcePath(QStringLiteral("datasets/corpus/heldout.txt")));
        QVERIFY(heldout.open(QIODevice::ReadOnly));
        const QStringList lines = QString::fromUtf8(heldout.readAll()).split(QLatin1Char('\n'));
        int checked = 0;
        for (const QString &line : lines) {
            if (line.isEmpty()) {
                continue;
            }
            const Encoding expected = sentencepiece->encode(line, true);
            const Encoding got = json->encode(line, true);
            QVERIFY2(got.ids == expected.ids, qPrintable(line));
            QCOMPARE(json->decode(got.ids), sentencepiece->decode(expected.ids));
            ++checked;
        }
        QCOMPARE(checked, 6030);
    }

    void brokenModelFiles()
    {
        QTemporaryDir dir;
        Result<Tokenizer> loaded = Tokenizer::load(dir.filePath(QStringLiteral("absent.model")));
        QVERIFY(!loaded.isOk());
        QCOMPARE(loaded.status().code(), Status::Code::NotFound);
        QVERIFY(loaded.status().message().contains(QStringLiteral("absent.model")));

        loaded = Tokenizer::load(dir.path());
        QVERIFY(!loaded.isOk());
        QVERIFY(loaded.status().message().contains(QStringLiteral("is a directory")));

        const QString corrupt = dir.filePath(QStringLiteral("corrupt.model"));
        QFile file(corrupt);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("this is not a protobuf \xff\xfe\x01\x02 at all");
        file.close();
        loaded = Tokenizer::load(corrupt);
        QVERIFY(!loaded.isOk());
        QCOMPARE(loaded.status().code(), Status::Code::InvalidInput);
        QVERIFY2(loaded.status().message().contains(QStringLiteral("corrupt.model: not a "
                                                                   "sentencepiece model")),
                 qPrintable(loaded.status().message()));

        // A truncated real model.
        QFile real(m_modelPath);
        QVERIFY(real.open(QIODevice::ReadOnly));
        const QByteArray bytes = real.readAll();
        const QString truncated = dir.filePath(QStringLiteral("truncated.model"));
        QFile out(truncated);
        QVERIFY(out.open(QIODevice::WriteOnly));
        out.write(bytes.left(bytes.size() / 2));
        out.close();
        loaded = Tokenizer::load(truncated);
        QVERIFY(!loaded.isOk());
        QVERIFY(loaded.status().message().contains(QStringLiteral("truncated.model")));

        const QString empty = dir.filePath(QStringLiteral("empty.model"));
        QFile emptyFile(empty);
        QVERIFY(emptyFile.open(QIODevice::WriteOnly));
        emptyFile.close();
        loaded = Tokenizer::load(empty);
        QVERIFY(!loaded.isOk());
        QVERIFY(loaded.status().message().contains(QStringLiteral("empty.model")));

        // An empty Tokenizer answers without crashing.
        const Tokenizer none;
        QCOMPARE(none.vocabSize(), 0);
        QVERIFY(none.encode(QStringLiteral("x"), true).ids.isEmpty());
        QCOMPARE(none.decode({1, 2}), QString());
    }

private:
    QTemporaryDir m_dir;
    QString m_modelPath;
    Tokenizer m_tokenizer;
    TokenizerTrainOptions m_options;
};

QTEST_GUILESS_MAIN(TestTokenizer)
#include "tst_tokenizer.moc"
