// Broken and unsupported tokenizer files give one error naming the file and the JSON path, never
// a crash; a small hand-written tokenizer.json shows the pieces (added tokens, Split behaviours,
// Metaspace, Digits, byte fallback, unk fusing) work on their own.

#include "core/tokenizer/hf_tokenizer.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest>

using gyrus::tokenizer::HfTokenizer;

namespace {

// A byte-fallback BPE over a few letters, with a Split(regex) pre-tokeniser and an added token.
QJsonObject smallTokenizer()
{
    QJsonObject vocab{{QStringLiteral("<unk>"), 0},  {QStringLiteral("<s>"), 1},
                      {QStringLiteral("a"), 2},      {QStringLiteral("b"), 3},
                      {QStringLiteral("ab"), 4},     {QStringLiteral("▁"), 5},
                      {QStringLiteral("▁ab"), 6},    {QStringLiteral("1"), 7},
                      {QStringLiteral("<0xC3>"), 8}, {QStringLiteral("<0xA9>"), 9}};
    QJsonObject model{
            {QStringLiteral("type"), QStringLiteral("BPE")},
            {QStringLiteral("unk_token"), QStringLiteral("<unk>")},
            {QStringLiteral("fuse_unk"), true},
            {QStringLiteral("byte_fallback"), true},
            {QStringLiteral("vocab"), vocab},
            {QStringLiteral("merges"), QJsonArray{QStringLiteral("a b"), QStringLiteral("▁ ab")}}};
    QJsonObject added{{QStringLiteral("id"), 1},
                      {QStringLiteral("content"), QStringLiteral("<s>")},
                      {QStringLiteral("single_word"), false},
                      {QStringLiteral("lstrip"), false},
                      {QStringLiteral("rstrip"), false},
                      {QStringLiteral("normalized"), false},
                      {QStringLiteral("special"), true}};
    QJsonObject split{{QStringLiteral("type"), QStringLiteral("Split")},
                      {QStringLiteral("pattern"),
                       QJsonObject{{QStringLiteral("Regex"), QStringLiteral("\\p{N}")}}},
                      {QStringLiteral("behavior"), QStringLiteral("Isolated")},
                      {QStringLiteral("invert"), false}};
    QJsonObject metaspace{{QStringLiteral("type"), QStringLiteral("Metaspace")},
                          {QStringLiteral("replacement"), QStringLiteral("▁")},
                          {QStringLiteral("prepend_scheme"), QStringLiteral("first")},
                          {QStringLiteral("split"), true}};
    return {{QStringLiteral("version"), QStringLiteral("1.0")},
            {QStringLiteral("added_tokens"), QJsonArray{added}},
            {QStringLiteral("normalizer"), QJsonValue::Null},
            {QStringLiteral("pre_tokenizer"),
             QJsonObject{{QStringLiteral("type"), QStringLiteral("Sequence")},
                         {QStringLiteral("pretokenizers"), QJsonArray{split, metaspace}}}},
            {QStringLiteral("post_processor"), QJsonValue::Null},
            {QStringLiteral("decoder"),
             QJsonObject{{QStringLiteral("type"), QStringLiteral("Metaspace")},
                         {QStringLiteral("replacement"), QStringLiteral("▁")},
                         {QStringLiteral("prepend_scheme"), QStringLiteral("first")}}},
            {QStringLiteral("model"), model}};
}

}  // namespace

class TestHfTokenizerErrors : public QObject
{
    Q_OBJECT
private Q_SLOTS:

    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void smallTokenizerEncodes()
    {
        const QString path = write(QJsonDocument(smallTokenizer()).toJson());
        const auto loaded = HfTokenizer::loadJson(path, QString());
        QVERIFY2(loaded.isOk(), qPrintable(loaded.status().message()));
        const HfTokenizer &t = *loaded.value();
        // "ab ab1<s>é x": Metaspace (first) prepends ▁ only to the text's start; "1" is split
        // off by the regex; <s> is an added token; é falls back to bytes; "x" is unknown.
        const std::string text = "ab ab1<s>\xC3\xA9xx";
        std::vector<int> ids;
        std::vector<std::pair<uint32_t, uint32_t>> offsets;
        for (const auto &token : t.encode(text, true)) {
            ids.push_back(token.id);
            offsets.emplace_back(token.begin, token.end);
        }
        QCOMPARE(ids, (std::vector<int>{6, 6, 7, 1, 8, 9, 0}));
        const std::vector<std::pair<uint32_t, uint32_t>> want = {{0, 2},  {2, 5},  {5, 6},  {6, 9},
                                                                 {9, 11}, {9, 11}, {11, 13}};
        QCOMPARE(offsets, want);
        QCOMPARE(t.decode({6, 6}, false), std::string("ab ab"));
        QCOMPARE(t.displayToken(6), std::string(" ab"));
        QVERIFY(t.isByteFallback(8));
        QVERIFY(t.isSpecial(1));
        QCOMPARE(t.unkId(), 0);
    }

    // tokenizer_config.json's add_bos_token/add_eos_token rebuild the template for the classes
    // whose transformers tokenizer does so (Llama, Gemma), and only for them.
    void configFlagsDecideBosAndEos()
    {
        const QString path = write(QJsonDocument(smallTokenizer()).toJson());
        const QString config = m_dir.filePath(QStringLiteral("tokenizer_config.json"));
        const auto encodeWith = [&](const QByteArray &json) {
            QFile file(config);
            if (!file.open(QIODevice::WriteOnly)) {
                return std::vector<int>{-1};
            }
            file.write(json);
            file.close();
            const auto loaded = HfTokenizer::loadJson(path, config);
            std::vector<int> ids;
            if (!loaded) {
                ids.push_back(-2);
                return ids;
            }
            for (const auto &token : loaded.value()->encode("ab", true)) {
                ids.push_back(token.id);
            }
            return ids;
        };
        QCOMPARE(encodeWith(R"({"tokenizer_class": "LlamaTokenizerFast", "add_bos_token": true,
                               "add_eos_token": true, "bos_token": "<s>", "eos_token": "<unk>"})"),
                 (std::vector<int>{1, 6, 0}));
        QCOMPARE(encodeWith(R"({"tokenizer_class": "GemmaTokenizer", "add_bos_token": false,
                               "bos_token": {"content": "<s>"}})"),
                 (std::vector<int>{6}));
        QCOMPARE(encodeWith(R"({"tokenizer_class": "PreTrainedTokenizerFast",
                               "add_bos_token": true, "bos_token": "<s>"})"),
                 (std::vector<int>{6}));
        QCOMPARE(encodeWith("{not json"), (std::vector<int>{-2}));
    }

    void brokenFiles_data()
    {
        QTest::addColumn<QByteArray>("content");
        QTest::addColumn<QString>("message");
        const QByteArray good = QJsonDocument(smallTokenizer()).toJson();
        QTest::newRow("truncated")
                << good.left(good.size() / 2) << QStringLiteral("not valid JSON");
        QTest::newRow("not JSON") << QByteArray("\x89PNG\r\n\x1a\n")
                                  << QStringLiteral("not valid JSON");
        QTest::newRow("empty") << QByteArray() << QStringLiteral("not valid JSON");
        QTest::newRow("array") << QByteArray("[1, 2]") << QStringLiteral("expected a JSON object");

        QJsonObject root = smallTokenizer();
        QJsonObject pre = root[QStringLiteral("pre_tokenizer")].toObject();
        QJsonArray list = pre[QStringLiteral("pretokenizers")].toArray();
        list[1] = QJsonObject{{QStringLiteral("type"), QStringLiteral("Whitespace")}};
        pre[QStringLiteral("pretokenizers")] = list;
        root[QStringLiteral("pre_tokenizer")] = pre;
        QTest::newRow("unsupported pre-tokenizer")
                << QJsonDocument(root).toJson()
                << QStringLiteral(
                           "pre_tokenizer.pretokenizers[1].type: unsupported \"Whitespace\"");

        root = smallTokenizer();
        root[QStringLiteral("normalizer")] =
                QJsonObject{{QStringLiteral("type"), QStringLiteral("BertNormalizer")}};
        QTest::newRow("unsupported normalizer")
                << QJsonDocument(root).toJson()
                << QStringLiteral("normalizer.type: unsupported \"BertNormalizer\"");

        root = smallTokenizer();
        pre = root[QStringLiteral("pre_tokenizer")].toObject();
        list = pre[QStringLiteral("pretokenizers")].toArray();
        QJsonObject split = list[0].toObject();
        split[QStringLiteral("pattern")] =
                QJsonObject{{QStringLiteral("Regex"), QStringLiteral("(\\p{L}+")}};
        list[0] = split;
        pre[QStringLiteral("pretokenizers")] = list;
        root[QStringLiteral("pre_tokenizer")] = pre;
        QTest::newRow("bad regex") << QJsonDocument(root).toJson()
                                   << QStringLiteral(
                                              "pre_tokenizer.pretokenizers[0].pattern.Regex: "
                                              "bad regex");

        root = smallTokenizer();
        QJsonObject model = root[QStringLiteral("model")].toObject();
        model.remove(QStringLiteral("vocab"));
        root[QStringLiteral("model")] = model;
        QTest::newRow("missing vocab")
                << QJsonDocument(root).toJson() << QStringLiteral("model: missing \"vocab\"");

        root = smallTokenizer();
        model = root[QStringLiteral("model")].toObject();
        model[QStringLiteral("merges")] = QJsonArray{QStringLiteral("a zz")};
        root[QStringLiteral("model")] = model;
        QTest::newRow("merge of an unknown token")
                << QJsonDocument(root).toJson()
                << QStringLiteral("model.merges[0]: token \"zz\" is not in the vocabulary");

        root = smallTokenizer();
        model = root[QStringLiteral("model")].toObject();
        QJsonObject vocab = model[QStringLiteral("vocab")].toObject();
        vocab[QStringLiteral("b")] = -3;
        model[QStringLiteral("vocab")] = vocab;
        root[QStringLiteral("model")] = model;
        QTest::newRow("vocab id out of range")
                << QJsonDocument(root).toJson()
                << QStringLiteral("model.vocab[\"b\"]: id -3 out of range");

        root = smallTokenizer();
        model = root[QStringLiteral("model")].toObject();
        model[QStringLiteral("type")] = QStringLiteral("WordPiece");
        root[QStringLiteral("model")] = model;
        QTest::newRow("unsupported model")
                << QJsonDocument(root).toJson()
                << QStringLiteral("model.type: unsupported \"WordPiece\"");

        root = smallTokenizer();
        root[QStringLiteral("added_tokens")] = QJsonArray{QJsonObject{{QStringLiteral("id"), 1}}};
        QTest::newRow("added token without content")
                << QJsonDocument(root).toJson()
                << QStringLiteral("added_tokens[0]: missing \"content\"");

        root = smallTokenizer();
        root[QStringLiteral("decoder")] =
                QJsonObject{{QStringLiteral("type"), QStringLiteral("WordPiece")}};
        QTest::newRow("unsupported decoder")
                << QJsonDocument(root).toJson()
                << QStringLiteral("decoder.type: unsupported \"WordPiece\"");
    }

    void brokenFiles()
    {
        QFETCH(QByteArray, content);
        QFETCH(QString, message);
        const QString path = write(content);
        const auto loaded = HfTokenizer::loadJson(path, QString());
        QVERIFY(!loaded.isOk());
        const QString text = loaded.status().message();
        QVERIFY2(text.startsWith(path + QStringLiteral(": ")), qPrintable(text));
        QVERIFY2(text.contains(message), qPrintable(text));
        QVERIFY2(!text.contains(QLatin1Char('\n')), qPrintable(text));
    }

    void missingFiles()
    {
        const QString absent = m_dir.filePath(QStringLiteral("absent.json"));
        auto loaded = HfTokenizer::loadJson(absent, QString());
        QVERIFY(!loaded.isOk());
        QVERIFY(loaded.status().message().contains(QStringLiteral("absent.json: no such file")));
        loaded = HfTokenizer::loadVocabMerges(absent, m_dir.filePath(QStringLiteral("m.txt")));
        QVERIFY(!loaded.isOk());
        QVERIFY(loaded.status().message().contains(QStringLiteral("absent.json")));

        // merges.txt naming a token vocab.json lacks.
        const QString vocab = m_dir.filePath(QStringLiteral("vocab.json"));
        QFile v(vocab);
        QVERIFY(v.open(QIODevice::WriteOnly));
        v.write(R"({"a": 0, "b": 1, "ab": 2})");
        v.close();
        const QString merges = m_dir.filePath(QStringLiteral("merges.txt"));
        QFile m(merges);
        QVERIFY(m.open(QIODevice::WriteOnly));
        m.write("#version: 0.2\na b\na c\n");
        m.close();
        loaded = HfTokenizer::loadVocabMerges(vocab, merges);
        QVERIFY(!loaded.isOk());
        QVERIFY2(loaded.status().message().contains(
                         QStringLiteral("merges.txt: line 3: token \"c\" is not in")),
                 qPrintable(loaded.status().message()));
    }

private:
    QString write(const QByteArray &content)
    {
        const QString path = m_dir.filePath(QStringLiteral("tokenizer%1.json").arg(m_count++));
        QFile file(path);
        if (file.open(QIODevice::WriteOnly)) {
            file.write(content);
        }
        return path;
    }

    QTemporaryDir m_dir;
    int m_count = 0;
};

QTEST_GUILESS_MAIN(TestHfTokenizerErrors)
#include "tst_hf_tokenizer_errors.moc"
