// The "engine" endpoint end to end on the demo model: chat() renders the model's chat template,
// answers one token per slice on the engine thread (other requests are served in between), gives
// the same answer as generating from the rendered prompt directly, is deterministic for a seed,
// and says clearly when the model has no chat template. Quality is irrelevant (the demo model is
// not instruct-tuned); the flow is what is tested.

#include "core/llm/chat_job.h"
#include "core/llm/engine_chat_backend.h"
#include "gpu/engine/torch_engine_client.h"
#include "gpu/model/chat_run.h"
#include "tests/support/demo_engine.h"
#include "tests/support/request_spy.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

using namespace gyrus;
using gyrus::test::hasFinished;
using gyrus::test::statusOf;

namespace {

// A Zephyr-like template (BOS first, role headers, a generation prompt), written for the demo
// model's sentencepiece vocabulary.
const char kTemplate[] =
        "{{ bos_token }}{% for message in messages %}<|{{ message['role'] }}|>\n"
        "{{ message['content'] | trim }}\n{% endfor %}"
        "{% if add_generation_prompt %}<|assistant|>\n{% endif %}";

ChatRequest question(const QString &text, int maxTokens = 12)
{
    ChatRequest request;
    request.messages = {{QStringLiteral("system"), QStringLiteral("You name patterns.")},
                        {QStringLiteral("user"), text}};
    request.maxTokens = maxTokens;
    return request;
}

struct Answer
{
    Status status;
    ChatReply reply;
    int progressReports = 0;
};

Answer ask(gpu::TorchEngineClient &engine, const ChatRequest &request)
{
    QSignalSpy finished(&engine, &EngineClient::finished);
    QSignalSpy replied(&engine, &EngineClient::chatReplied);
    QSignalSpy progress(&engine, &EngineClient::progress);
    const RequestId id = engine.chat(request);
    Answer answer;
    if (!QTest::qWaitFor([&] { return hasFinished(finished, id); }, 120000)) {
        answer.status = Status::internal(QStringLiteral("no answer in 2 minutes"));
        return answer;
    }
    answer.status = statusOf(finished, id);
    for (const QList<QVariant> &args : replied) {
        if (args.at(0).value<RequestId>() == id) {
            answer.reply = args.at(1).value<ChatReply>();
        }
    }
    for (const QList<QVariant> &args : progress) {
        answer.progressReports += args.at(0).value<RequestId>() == id ? 1 : 0;
    }
    return answer;
}

}  // namespace

class TestEngineChat : public QObject
{
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    QString m_chatModel;  // the demo model with a chat template beside it
    gpu::TorchEngineClient m_engine;

private Q_SLOTS:

    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_chatModel = m_dir.filePath(QStringLiteral("demo-chat"));
        QVERIFY(QDir().mkpath(m_chatModel));
        const QDir demo(test::demoModelPath());
        for (const char *name : {"config.json", "model.safetensors", "tokenizer.model"}) {
            QVERIFY(QFile::link(demo.filePath(QLatin1String(name)),
                                QDir(m_chatModel).filePath(QLatin1String(name))));
        }
        const QJsonObject config{{QStringLiteral("bos_token"), QStringLiteral("<s>")},
                                 {QStringLiteral("eos_token"), QStringLiteral("</s>")},
                                 {QStringLiteral("chat_template"), QLatin1String(kTemplate)}};
        QFile file(QDir(m_chatModel).filePath(QStringLiteral("tokenizer_config.json")));
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(QJsonDocument(config).toJson());
    }

    void modelWithoutChatTemplateIsAClearError()
    {
        QVERIFY(test::loadDemo(m_engine, test::DemoParts::Model).isOk());
        const Answer answer = ask(m_engine, question(QStringLiteral("hello")));
        QCOMPARE(answer.status.code(), Status::Code::InvalidInput);
        QVERIFY2(answer.status.message().contains(QLatin1String("no chat template")),
                 qPrintable(answer.status.message()));
        QVERIFY(answer.status.message().contains(test::demoModelPath()));
    }

    void answersAsGeneratingFromTheRenderedPrompt()
    {
        QSignalSpy finished(&m_engine, &EngineClient::finished);
        const RequestId load = m_engine.loadModel(ModelSpec{m_chatModel});
        QVERIFY(QTest::qWaitFor([&] { return hasFinished(finished, load); }, 120000));
        QVERIFY(statusOf(finished, load).isOk());

        const ChatRequest request = question(QStringLiteral("the bridge over the bay"));
        const Answer answer = ask(m_engine, request);
        QVERIFY2(answer.status.isOk(), qPrintable(answer.status.message()));
        QCOMPARE(answer.reply.model, QStringLiteral("demo-chat"));

        // The reference: the template rendered here, its BOS text as the BOS id, greedy
        // generation straight from the model.
        Result<std::unique_ptr<gpu::LanguageModel>> model = gpu::LanguageModel::load(m_chatModel);
        QVERIFY(model);
        Result<ChatTemplate> chatTemplate = ChatTemplate::fromTokenizerConfig(m_chatModel);
        QVERIFY(chatTemplate);
        Result<QString> rendered = chatTemplate->render(request.messages, true);
        QVERIFY(rendered);
        QVERIFY(rendered->startsWith(QLatin1String("<s><|system|>\nYou name patterns.\n")));
        QVERIFY(rendered->endsWith(QLatin1String("<|assistant|>\n")));
        Result<std::vector<int>> body = (*model)->encode(rendered->mid(3), false);
        QVERIFY(body);
        std::vector<int> prompt{(*model)->tokenizer().bosId()};
        prompt.insert(prompt.end(), body->begin(), body->end());
        GenerateOptions options;
        options.maxNewTokens = request.maxTokens;
        Result<gpu::GenerateResult> expected = (*model)->generateFromTokens(prompt, options);
        QVERIFY(expected);
        QCOMPARE(answer.reply.text, expected->text);
        QCOMPARE(answer.reply.finishReason, expected->stopReason == QLatin1String("eos")
                                                    ? QStringLiteral("stop")
                                                    : QStringLiteral("length"));
        QVERIFY(!expected->tokens.empty());
        QVERIFY(answer.progressReports >= 1);  // reported per token, throttled by the runner

        Result<std::vector<int>> encoded =
                gpu::encodeChatPrompt(**model, chatTemplate.value(), rendered.value());
        QVERIFY(encoded);
        QCOMPARE(*encoded, prompt);  // one BOS, not the text "<s>" and not two
    }

    void seededSamplingIsDeterministic()
    {
        ChatRequest request = question(QStringLiteral("fresh apples and pears"), 10);
        request.temperature = 1.2;
        request.seed = 11;
        const Answer first = ask(m_engine, request);
        const Answer second = ask(m_engine, request);
        QVERIFY2(first.status.isOk(), qPrintable(first.status.message()));
        QCOMPARE(second.reply.text, first.reply.text);
        QSet<QString> answers;
        for (qint64 seed = 1; seed <= 4; ++seed) {
            request.seed = seed;
            answers.insert(ask(m_engine, request).reply.text);
        }
        QVERIFY2(answers.size() > 1, "four seeds at temperature 1.2 gave one answer");
    }

    void otherRequestsAreServedBetweenTokens()
    {
        QSignalSpy finished(&m_engine, &EngineClient::finished);
        ChatRequest request = question(QStringLiteral("a long answer"), 40);
        const RequestId chat = m_engine.chat(request);
        GenerateRequest generate;
        generate.prompt = QStringLiteral("the bridge");
        generate.options.maxNewTokens = 1;
        const RequestId quick = m_engine.generate(generate);
        QVERIFY(QTest::qWaitFor([&] { return hasFinished(finished, chat); }, 120000));
        int chatAt = -1;
        int quickAt = -1;
        for (int i = 0; i < finished.size(); ++i) {
            const RequestId id = finished.at(i).at(0).value<RequestId>();
            chatAt = id == chat ? i : chatAt;
            quickAt = id == quick ? i : quickAt;
        }
        QVERIFY2(quickAt >= 0 && quickAt < chatAt, "the one-token request waited for the chat");
    }

    void backendLoadsItsModelAndRunsAJob()
    {
        // An explainer with an engine of its own, as `--endpoint engine --judge-model DIR` runs.
        gpu::TorchEngineClient judgeEngine;
        EngineChatBackend backend(&judgeEngine, ModelSpec{m_chatModel});
        QCOMPARE(backend.describe(), QStringLiteral("engine model demo-chat"));
        ChatJob job(&backend, {question(QStringLiteral("one")), question(QStringLiteral("two"))});
        QSignalSpy progress(&job, &ChatJob::progress);
        QVERIFY(runToCompletion(job).isOk());
        QCOMPARE(job.statuses().size(), 2);
        for (int i = 0; i < 2; ++i) {
            QVERIFY2(job.statuses()[i].isOk(), qPrintable(job.statuses()[i].message()));
            QCOMPARE(job.replies()[i].model, QStringLiteral("demo-chat"));
        }
        QCOMPARE(progress.last().at(0).toInt(), 2);
        QCOMPARE(job.replies()[0].text, ask(m_engine, question(QStringLiteral("one"))).reply.text);
    }

    void backendSaysWhenItsModelCannotLoad()
    {
        gpu::TorchEngineClient judgeEngine;
        EngineChatBackend backend(&judgeEngine,
                                  ModelSpec{m_dir.filePath(QStringLiteral("no-such-model"))});
        ChatJob job(&backend, {question(QStringLiteral("one"))});
        QVERIFY(runToCompletion(job).isOk());
        QVERIFY(!job.statuses()[0].isOk());
        QVERIFY2(job.statuses()[0].message().contains(QLatin1String("no-such-model")),
                 qPrintable(job.statuses()[0].message()));
    }
};

QTEST_GUILESS_MAIN(TestEngineChat)
#include "tst_engine_chat.moc"
