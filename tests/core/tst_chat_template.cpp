// Chat templates: the real templates of Llama 3/3.1, Qwen 2.5/3 and Gemma 3 rendered by Gyrus's
// Jinja subset must equal transformers' apply_chat_template byte for byte
// (tests/data/chat_templates/expected.json, made by make_fixtures.sh), and bad templates,
// models without one and templates that raise give one clear message.

#include "core/chat/chat_template.h"
#include "core/jinja/jinja_template.h"
#include "tests/support/test_paths.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest>

using namespace gyrus;

namespace {

QJsonObject fixtures()
{
    QFile file(test::dataPath(QStringLiteral("chat_templates/expected.json")));
    if (!file.open(QIODevice::ReadOnly)) {
        return {};
    }
    return QJsonDocument::fromJson(file.readAll()).object();
}

QList<ChatMessage> conversation(const QJsonArray &messages)
{
    QList<ChatMessage> out;
    for (const QJsonValue &m : messages) {
        out.append({m[QStringLiteral("role")].toString(), m[QStringLiteral("content")].toString()});
    }
    return out;
}

QString renderJinja(const char *source, const char *contextJson)
{
    Result<jinja::Template> t = jinja::Template::parse(source);
    if (!t) {
        return QStringLiteral("PARSE: ") + t.status().message();
    }
    const jinja::Value context =
            jinja::fromJson(QJsonDocument::fromJson(QByteArray(contextJson)).object());
    Result<std::string> out = t->render(context);
    return out ? QString::fromStdString(out.value())
               : QStringLiteral("RENDER: ") + out.status().message();
}

}  // namespace

class TestChatTemplate : public QObject
{
    Q_OBJECT
private Q_SLOTS:

    void matchesTransformersOnRealTemplates()
    {
        const QJsonObject doc = fixtures();
        QVERIFY2(!doc.isEmpty(), "tests/data/chat_templates/expected.json missing");
        const QJsonObject templates = doc[QStringLiteral("templates")].toObject();
        const QJsonObject conversations = doc[QStringLiteral("conversations")].toObject();
        int rendered = 0;
        int refused = 0;
        for (const QJsonValue &caseValue : doc[QStringLiteral("cases")].toArray()) {
            const QJsonObject c = caseValue.toObject();
            const QString model = c[QStringLiteral("model")].toString();
            const QJsonObject t = templates[model].toObject();
            const QString what =
                    model + QLatin1Char('/') + c[QStringLiteral("conversation")].toString() +
                    (c[QStringLiteral("add_generation_prompt")].toBool() ? QStringLiteral(" +gen")
                                                                         : QString());
            Result<ChatTemplate> chat =
                    ChatTemplate::fromSource(t[QStringLiteral("chat_template")].toString(),
                                             t[QStringLiteral("bos_token")].toString(),
                                             t[QStringLiteral("eos_token")].toString());
            if (c.contains(QStringLiteral("error"))) {  // transformers refused: so must we
                QVERIFY2(!chat, qPrintable(what));
                ++refused;
                continue;
            }
            QVERIFY2(chat, qPrintable(what + QStringLiteral(": ") + chat.status().message()));
            const Result<QString> text = chat->render(
                    conversation(
                            conversations[c[QStringLiteral("conversation")].toString()].toArray()),
                    c[QStringLiteral("add_generation_prompt")].toBool());
            QVERIFY2(text, qPrintable(what + QStringLiteral(": ") + text.status().message()));
            QCOMPARE(text.value(), c[QStringLiteral("expected")].toString());
            ++rendered;
        }
        QCOMPARE(rendered, 60);  // 5 templates x 6 conversations x 2
        QCOMPARE(refused, 12);   // gemma2 has no chat template
    }

    void readsTheRealTokenizerConfigs()
    {
        const QJsonObject templates = fixtures()[QStringLiteral("templates")].toObject();
        const QString dir = test::sharedPath(QStringLiteral("tokenizers"));
        if (!QFile::exists(dir)) {
            QSKIP("../shared/tokenizers not present");
        }
        for (const QString &model :
             {QStringLiteral("llama3_1"), QStringLiteral("qwen3"), QStringLiteral("gemma3")}) {
            Result<ChatTemplate> chat =
                    ChatTemplate::fromTokenizerConfig(dir + QLatin1Char('/') + model);
            QVERIFY2(chat, qPrintable(chat.status().message()));
            // The fixtures were made from these same files.
            QCOMPARE(chat->source(), templates[model][QStringLiteral("chat_template")].toString());
            QCOMPARE(chat->bosToken(), templates[model][QStringLiteral("bos_token")].toString());
        }
        const Result<ChatTemplate> base =
                ChatTemplate::fromTokenizerConfig(dir + QStringLiteral("/gemma2"));
        QVERIFY(!base);
        QVERIFY(base.status().message().contains(QStringLiteral("no chat template")));
        QVERIFY(base.status().message().contains(QStringLiteral("tokenizer_config.json")));
    }

    void badInputGivesOneClearMessage()
    {
        QTemporaryDir dir;
        const Result<ChatTemplate> missing = ChatTemplate::fromTokenizerConfig(dir.path());
        QVERIFY(!missing);
        QVERIFY(missing.status().message().contains(QStringLiteral("tokenizer_config.json")));

        QFile corrupt(dir.filePath(QStringLiteral("tokenizer_config.json")));
        QVERIFY(corrupt.open(QIODevice::WriteOnly));
        corrupt.write("{\"chat_template\": ");
        corrupt.close();
        const Result<ChatTemplate> bad = ChatTemplate::fromTokenizerConfig(dir.path());
        QVERIFY(!bad);
        QVERIFY(bad.status().message().contains(QStringLiteral("not a JSON object")));

        const Result<ChatTemplate> syntax =
                ChatTemplate::fromSource(QStringLiteral("hello\n{% if messages %}{{ x }"), {}, {});
        QVERIFY(!syntax);
        QVERIFY2(syntax.status().message().contains(QStringLiteral("line 2")),
                 qPrintable(syntax.status().message()));

        // Gemma 3 insists on alternating roles through raise_exception().
        const QJsonObject t = fixtures()[QStringLiteral("templates")]
                                      .toObject()[QStringLiteral("gemma3")]
                                      .toObject();
        Result<ChatTemplate> gemma = ChatTemplate::fromSource(
                t[QStringLiteral("chat_template")].toString(), QStringLiteral("<bos>"), {});
        QVERIFY(gemma);
        const Result<QString> text = gemma->render({{QStringLiteral("user"), QStringLiteral("a")},
                                                    {QStringLiteral("user"), QStringLiteral("b")}},
                                                   true);
        QVERIFY(!text);
        QVERIFY2(text.status().message().contains(QStringLiteral("roles must alternate")),
                 qPrintable(text.status().message()));
    }

    // Semantics the real templates lean on; every expected value is what jinja2 3.1.4 renders with
    // trim_blocks and lstrip_blocks (checked by hand in a throwaway venv).
    void jinjaSemantics_data()
    {
        QTest::addColumn<QString>("source");
        QTest::addColumn<QString>("context");
        QTest::addColumn<QString>("expected");
        QTest::newRow("slice reverse") << "{% for x in xs[::-1] %}{{ x }}{% endfor %}"
                                       << R"({"xs":[1,2,3]})"
                                       << "321";
        QTest::newRow("slice from 1") << "{{ xs[1:] }}"
                                      << R"({"xs":["a","b"]})"
                                      << "['b']";
        QTest::newRow("negative index split") << "{{ s.split('</think>')[-1].lstrip('\\n') }}"
                                              << R"({"s":"x</think>\n\ny"})"
                                              << "y";
        QTest::newRow("namespace survives loop")
                << "{% set ns = namespace(n=0) %}{% for x in xs %}{% set ns.n = ns.n + x %}"
                   "{% endfor %}{{ ns.n }}"
                << R"({"xs":[1,2,3]})"
                << "6";
        QTest::newRow("loop set does not leak")
                << "{% set y = 1 %}{% for x in xs %}{% set y = 2 %}{% endfor %}{{ y }}"
                << R"({"xs":[1]})"
                << "1";
        QTest::newRow("each iteration starts afresh")
                << "{% for x in xs %}{% if loop.first %}{% set y = 5 %}{% endif %}{{ y }}"
                   "{% endfor %}"
                << R"({"xs":[1,2]})"
                << "5";
        QTest::newRow("for else") << "{% for x in xs %}{{ x }}{% else %}none{% endfor %}"
                                  << R"({"xs":[]})"
                                  << "none";
        QTest::newRow("python modulo") << "{{ -7 % 3 }} {{ -7 // 2 }} {{ 7 / 2 }}"
                                       << "{}"
                                       << "2 -4 3.5";
        QTest::newRow("tests") << "{{ x is defined }} {{ y is not none }} {{ z is string }}"
                               << R"({"x":1,"y":null,"z":"s"})"
                               << "True False True";
        QTest::newRow("filter binds tighter than plus") << "{{ s | trim + '!' }}"
                                                        << R"({"s":"  a  "})"
                                                        << "a!";
        QTest::newRow("conditional expression")
                << "{{ 'y' if f else 'n' }}{{ 'y' if not f else 'n' }}"
                << R"({"f":true})"
                << "yn";
        QTest::newRow("trim_blocks and lstrip_blocks")
                << "a\n    {% if true %}\n    b\n    {% endif %}\nc"
                << "{}"
                << "a\n    b\nc";
        QTest::newRow("dash strips") << "a   {{- 'b' -}}   c"
                                     << "{}"
                                     << "abc";
        QTest::newRow("tojson") << "{{ d | tojson }}"
                                << R"({"d":{"a":[1,"é",null,true]}})"
                                << "{\"a\": [1, \"é\", null, true]}";
        QTest::newRow("undefined prints empty") << "[{{ missing }}]"
                                                << "{}"
                                                << "[]";
        QTest::newRow("attribute of undefined") << "{{ missing.x }}"
                                                << "{}"
                                                << "RENDER: line 1: 'missing' is undefined";
        QTest::newRow("unknown filter") << "{{ 1 | frobnicate }}"
                                        << "{}"
                                        << "RENDER: line 1: unsupported filter 'frobnicate'";
        QTest::newRow("string plus int") << "{{ 'a' + 1 }}"
                                         << "{}"
                                         << "RENDER: line 1: unsupported operand types for +: "
                                            "string and int";
    }

    void jinjaSemantics()
    {
        QFETCH(QString, source);
        QFETCH(QString, context);
        QFETCH(QString, expected);
        QCOMPARE(renderJinja(source.toUtf8().constData(), context.toUtf8().constData()), expected);
    }
};

QTEST_GUILESS_MAIN(TestChatTemplate)
#include "tst_chat_template.moc"
