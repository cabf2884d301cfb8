// gyrus-cli explain with --endpoint engine: the explainer is an instruct model run by Gyrus's own
// engine (the demo model with a chat template beside it; its labels are meaningless, the flow
// and determinism are what is tested), and the clear refusals: no --judge-model, a model without
// a chat template.

#include "tests/support/cli_run.h"
#include "tests/support/test_paths.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest>

using gyrus::test::runCli;

namespace {

QJsonObject example(double activation, int index, const char *before, const char *token)
{
    return {{QStringLiteral("activation"), activation},
            {QStringLiteral("token_index"), index},
            {QStringLiteral("before"), QString::fromUtf8(before)},
            {QStringLiteral("token"), QString::fromUtf8(token)},
            {QStringLiteral("after"), QString()}};
}

QJsonObject feature(int index, const QJsonArray &examples)
{
    return {{QStringLiteral("feature"), index},
            {QStringLiteral("density"), 0.01},
            {QStringLiteral("examples"), examples},
            {QStringLiteral("histogram"), QJsonArray{}},
            {QStringLiteral("bin_samples"), QJsonArray{}}};
}

bool writeJson(const QString &path, const QJsonObject &json)
{
    QFile file(path);
    return file.open(QIODevice::WriteOnly) && file.write(QJsonDocument(json).toJson()) > 0;
}

// The explanations without their creation times (which differ between runs).
QJsonArray withoutTimes(const QJsonArray &explanations)
{
    QJsonArray out;
    for (const QJsonValue &value : explanations) {
        QJsonObject e = value.toObject();
        e.remove(QStringLiteral("created_utc"));
        out.append(e);
    }
    return out;
}

}  // namespace

class TestAutoInterpEngineCli : public QObject
{
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    QString m_scan;
    QString m_chatModel;

private Q_SLOTS:

    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_scan = m_dir.filePath(QStringLiteral("scan.json"));
        const QJsonArray bridge{example(5, 1, "the ", "bridge"),
                                example(4, 2, "a suspension ", "bridge")};
        const QJsonArray food{example(6, 10, "bread and ", "butter"),
                              example(5, 11, "a bowl of ", "soup")};
        QVERIFY(writeJson(m_scan, {{QStringLiteral("corpus"), QStringLiteral("heldout.txt")},
                                   {QStringLiteral("scanned_tokens"), 1000},
                                   {QStringLiteral("histogram_log10_range"), QJsonArray{-2, 2}},
                                   {QStringLiteral("features"),
                                    QJsonArray{feature(0, bridge), feature(1, food)}}}));
        m_chatModel = m_dir.filePath(QStringLiteral("demo-chat"));
        QVERIFY(QDir().mkpath(m_chatModel));
        const QDir demo(gyrus::test::sourcePath(QStringLiteral("datasets/demo/model")));
        for (const char *name : {"config.json", "model.safetensors", "tokenizer.model"}) {
            QVERIFY(QFile::link(demo.filePath(QLatin1String(name)),
                                QDir(m_chatModel).filePath(QLatin1String(name))));
        }
        const QString chatTemplate = QStringLiteral(
                "{{ bos_token }}{% for m in messages %}<|{{ m.role }}|>\n{{ m.content }}\n"
                "{% endfor %}{% if add_generation_prompt %}<|assistant|>\n{% endif %}");
        QVERIFY(writeJson(QDir(m_chatModel).filePath(QStringLiteral("tokenizer_config.json")),
                          {{QStringLiteral("bos_token"), QStringLiteral("<s>")},
                           {QStringLiteral("eos_token"), QStringLiteral("</s>")},
                           {QStringLiteral("chat_template"), chatTemplate}}));
    }

    void engineNeedsAModelDirectory()
    {
        const auto run = runCli({QStringLiteral("explain"), QStringLiteral("--scan"), m_scan,
                                 QStringLiteral("--features"), QStringLiteral("0"),
                                 QStringLiteral("--endpoint"), QStringLiteral("engine")});
        QCOMPARE(run.exitCode, 2);
        QVERIFY2(run.err.contains(QLatin1String("--judge-model DIR")), qPrintable(run.err));
    }

    void aBaseModelWithoutChatTemplateIsRefused()
    {
        const QString base = gyrus::test::sourcePath(QStringLiteral("datasets/demo/model"));
        const auto run = runCli({QStringLiteral("explain"), QStringLiteral("--scan"), m_scan,
                                 QStringLiteral("--features"), QStringLiteral("0,1"),
                                 QStringLiteral("--endpoint"), QStringLiteral("engine"),
                                 QStringLiteral("--judge-model"), base});
        QCOMPARE(run.exitCode, 2);
        QVERIFY2(run.err.contains(QLatin1String("no chat template")), qPrintable(run.err));
        QVERIFY(run.out.isEmpty());
    }

    void explainsThroughTheEngineDeterministically()
    {
        const QStringList arguments{QStringLiteral("explain"),
                                    QStringLiteral("--scan"),
                                    m_scan,
                                    QStringLiteral("--features"),
                                    QStringLiteral("0,1"),
                                    QStringLiteral("--endpoint"),
                                    QStringLiteral("engine"),
                                    QStringLiteral("--judge-model"),
                                    m_chatModel};
        const auto first = runCli(arguments);
        const auto second = runCli(arguments);
        QVERIFY2(first.exitCode == 0 || first.exitCode == 2, qPrintable(first.err));
        QCOMPARE(second.exitCode, first.exitCode);
        QVERIFY2(first.err.contains(QLatin1String("explain: 2/2")), qPrintable(first.err));
        if (first.exitCode == 2) {
            // Every answer failed to parse: the same clear message, quoting the same answer.
            const QString line = first.err.trimmed().section(QLatin1Char('\n'), -1);
            QVERIFY2(line.startsWith(QLatin1String("gyrus-cli explain: ")) &&
                             line.contains(QLatin1String("answer")),
                     qPrintable(first.err));
            QCOMPARE(second.err.trimmed().section(QLatin1Char('\n'), -1), line);
            return;
        }
        const QJsonObject a = QJsonDocument::fromJson(first.out).object();
        const QJsonObject b = QJsonDocument::fromJson(second.out).object();
        QCOMPARE(a.value(QStringLiteral("explainer")).toString(),
                 QStringLiteral("engine model demo-chat"));
        const QJsonArray explanations = a.value(QStringLiteral("explanations")).toArray();
        QCOMPARE(explanations.size() + a.value(QStringLiteral("failed")).toArray().size(), 2);
        QCOMPARE(withoutTimes(b.value(QStringLiteral("explanations")).toArray()),
                 withoutTimes(explanations));
        QCOMPARE(b.value(QStringLiteral("failed")), a.value(QStringLiteral("failed")));
        const QJsonObject e = explanations.first().toObject();
        QCOMPARE(e.value(QStringLiteral("explainer")).toString(),
                 QStringLiteral("engine model demo-chat (answered by demo-chat)"));
        QVERIFY(!e.value(QStringLiteral("raw_answer")).toString().isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestAutoInterpEngineCli)
#include "tst_autointerp_engine_cli.moc"
