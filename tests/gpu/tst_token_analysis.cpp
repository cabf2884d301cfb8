// TorchEngineClient::analyzeText on the demo model and demo SAE: the heatmap's values are what
// `gyrus-cli sae encode` (encodeActivationFile) gives for the same tokens' activations, and
// batching items of unequal length changes no item's values.

#include "core/hdf5/hdf5_reader.h"
#include "core/hdf5/hdf5_writer.h"
#include "gpu/engine/torch_engine_client.h"
#include "gpu/model/language_model.h"
#include "gpu/sae/activations/sae_encoding.h"
#include "gpu/sae/sae_io.h"
#include "tests/support/request_spy.h"
#include "tests/support/test_paths.h"

#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>

using namespace gyrus;

namespace {

using gyrus::test::hasFinished;
using gyrus::test::statusOf;

const QString kHook = QStringLiteral("blocks.2.hook_resid_post");

QString demoModel()
{
    return test::sourcePath(QStringLiteral("datasets/demo/model"));
}

QString demoSae()
{
    return test::sourcePath(QStringLiteral("datasets/demo/sae"));
}

// Runs a request to its end; the status it finished with.
Status await(RequestId id, QSignalSpy &finished)
{
    [&] { QTRY_VERIFY_WITH_TIMEOUT(hasFinished(finished, id), 60000); }();
    return statusOf(finished, id);
}

TokenAnalysisPtr analysisOf(const QSignalSpy &ready, RequestId id)
{
    for (const QList<QVariant> &args : ready) {
        if (args.at(0).value<RequestId>() == id) {
            return args.at(1).value<TokenAnalysisPtr>();
        }
    }
    return {};
}

}  // namespace

class TestTokenAnalysis : public QObject
{
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    std::unique_ptr<gpu::TorchEngineClient> m_engine;

    TokenAnalysisPtr analyze(const QStringList &texts, Status *status = nullptr)
    {
        QSignalSpy finished(m_engine.get(), &EngineClient::finished);
        QSignalSpy ready(m_engine.get(), &EngineClient::tokenAnalysisReady);
        TokenAnalysisRequest request;
        request.texts = texts;
        const RequestId id = m_engine->analyzeText(request);
        const Status done = await(id, finished);
        if (status) {
            *status = done;
        }
        return analysisOf(ready, id);
    }

private Q_SLOTS:

    void initTestCase()
    {
        m_engine = std::make_unique<gpu::TorchEngineClient>();
        QSignalSpy finished(m_engine.get(), &EngineClient::finished);
        // Errors first, while nothing is loaded.
        Status status;
        QVERIFY(!analyze({QStringLiteral("the court")}, &status));
        QVERIFY2(status.message().contains(QLatin1String("no model")),
                 qPrintable(status.message()));
        const RequestId model = m_engine->loadModel(ModelSpec{demoModel()});
        QVERIFY2(await(model, finished).isOk(), qPrintable(statusOf(finished, model).message()));
        QVERIFY(!analyze({QStringLiteral("the court")}, &status));
        QVERIFY2(status.message().contains(QLatin1String("no SAE")), qPrintable(status.message()));
        const RequestId sae = m_engine->loadSae(SaeSpec{demoSae()});
        QVERIFY2(await(sae, finished).isOk(), qPrintable(statusOf(finished, sae).message()));
    }

    void valuesEqualSaeEncodeOfTheSameTokens()
    {
        const QString text = QStringLiteral(
                "The committee said that the new plan would help the city, and the mayor agreed.");
        const TokenAnalysisPtr analysis = analyze({text});
        QVERIFY(analysis);
        QCOMPARE(analysis->hookName, kHook);
        QCOMPARE(analysis->dSae, 1536);
        QCOMPARE(analysis->dModel, 192);
        QCOMPARE(int(analysis->texts.size()), 1);
        const TextActivations &row = analysis->texts.front();

        // The reference: the model's own tokens and hook activations, through `sae encode`.
        auto model = gpu::LanguageModel::load(demoModel());
        QVERIFY(model);
        const auto ids = model.value()->encode(text);
        QVERIFY(ids);
        QCOMPARE(row.tokenCount(), int(ids.value().size()));
        QVERIFY(row.tokens.front().bos);
        for (int t = 0; t < row.tokenCount(); ++t) {
            QCOMPARE(row.tokens[t].id, ids.value()[t]);
            QCOMPARE(row.tokens[t].bos, t == 0);
            QCOMPARE(row.tokens[t].piece, model.value()->tokenizer().displayPiece(ids.value()[t]));
        }
        // Spans cover the text: each non-BOS token's span is inside it and they do not go back.
        for (int t = 1; t < row.tokenCount(); ++t) {
            QVERIFY(row.tokens[t].begin >= row.tokens[t - 1].begin);
            QVERIFY(row.tokens[t].end <= text.size());
        }
        gpu::ForwardOptions options;
        options.captures = {kHook};
        options.logits = false;
        const auto forward = model.value()->forward(ids.value(), options);
        QVERIFY(forward);
        const gpu::FloatTensor &x = forward.value().activations.at(kHook);
        QCOMPARE(row.hook.size(), x.values.size());  // the raw hook vectors come back as they are
        for (size_t i = 0; i < x.values.size(); ++i) {
            QCOMPARE(row.hook[i], x.values[i]);
        }
        const QString input = m_dir.filePath(QStringLiteral("acts.h5"));
        const QString output = m_dir.filePath(QStringLiteral("codes.h5"));
        {
            auto writer = Hdf5Writer::create(input);
            QVERIFY(writer);
            QVERIFY(writer.value()
                            ->writeFloat32(QStringLiteral("activations"), x.shape, x.values.data())
                            .isOk());
            QVERIFY(writer.value()->commit().isOk());
        }
        auto sae = gpu::loadSae(demoSae());
        QVERIFY(sae);
        const auto encoded = gpu::encodeActivationFile(*sae.value(), input, output, {});
        QVERIFY2(encoded, qPrintable(encoded.status().message()));
        auto reader = Hdf5Reader::open(output);
        QVERIFY(reader);
        const auto dense = reader.value()->readFloatMatrix(QStringLiteral("features"));
        QVERIFY(dense);
        QCOMPARE(dense.value().rows, qint64(row.tokenCount()));
        QCOMPARE(dense.value().cols, qint64(1536));
        int nonzero = 0;
        for (int t = 0; t < row.tokenCount(); ++t) {
            int active = 0;
            for (int f = 0; f < 1536; ++f) {
                const float expected = dense.value().at(t, f);
                if (expected != 0.0f) {
                    ++active;
                }
                if (std::abs(row.activation(t, f) - expected) > 1e-5f) {
                    QFAIL(qPrintable(QStringLiteral("token %1 feature %2: %3 vs sae encode %4")
                                             .arg(t)
                                             .arg(f)
                                             .arg(row.activation(t, f))
                                             .arg(expected)));
                }
            }
            QCOMPARE(row.activeCount(t), active);  // every nonzero, and nothing else
            QVERIFY(active <= 32);                 // TopK, k = 32
            nonzero += active;
        }
        QVERIFY(nonzero > row.tokenCount());  // not a trivially empty code
    }

    void paddingInABatchChangesNoItem()
    {
        const QStringList items{
                QStringLiteral("The cat sat."),
                QStringLiteral("After a long day at the office the tired old man walked slowly "
                               "home through the rain, thinking about dinner."),
                QStringLiteral("She read the letter twice before she answered.")};
        const TokenAnalysisPtr together = analyze(items);
        QVERIFY(together);
        QCOMPARE(int(together->texts.size()), items.size());
        QVERIFY(together->texts[0].tokenCount() < together->texts[1].tokenCount());
        for (int i = 0; i < items.size(); ++i) {
            const TokenAnalysisPtr alone = analyze({items.at(i)});
            QVERIFY(alone);
            const TextActivations &a = together->texts[size_t(i)];
            const TextActivations &b = alone->texts.front();
            QCOMPARE(a.text, items.at(i));
            QCOMPARE(a.tokenCount(), b.tokenCount());
            QCOMPARE(a.rowStart, b.rowStart);
            QCOMPARE(a.features, b.features);
            for (size_t k = 0; k < a.values.size(); ++k) {
                QVERIFY2(std::abs(a.values[k] - b.values[k]) <= 1e-5f,
                         qPrintable(QStringLiteral("item %1 entry %2: %3 batched vs %4 alone")
                                            .arg(i)
                                            .arg(k)
                                            .arg(a.values[k])
                                            .arg(b.values[k])));
            }
        }
    }

    void emptyItemIsRefusedByNumber()
    {
        Status status;
        QVERIFY(!analyze({QStringLiteral("fine"), QStringLiteral("  ")}, &status));
        QCOMPARE(status.code(), Status::Code::InvalidInput);
        QVERIFY2(status.message().contains(QLatin1String("item 2")), qPrintable(status.message()));
        QVERIFY(!analyze({QString()}, &status));
        QVERIFY2(status.message().contains(QLatin1String("empty")), qPrintable(status.message()));
    }

    void cleanupTestCase() { m_engine.reset(); }
};

QTEST_GUILESS_MAIN(TestTokenAnalysis)
#include "tst_token_analysis.moc"
