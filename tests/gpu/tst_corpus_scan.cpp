// Corpus scans against a brute-force pass over the same tokens.

#include "gpu/analysis/corpus_scan.h"
#include "gpu/lm/token_corpus.h"
#include "gpu/model/language_model.h"
#include "gpu/model/random_llama.h"
#include "gpu/model/transformer.h"
#include "gpu/sae/sae_module.h"
#include "tests/gpu/tiny_models.h"
#include "tests/support/test_paths.h"

#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

#include <ATen/ATen.h>

using namespace gyrus;
using namespace gyrus::gpu;

namespace {
constexpr int kWidth = 32;
}

class TestCorpusScan : public QObject
{
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    std::unique_ptr<LanguageModel> m_model;
    std::unique_ptr<gpu::detail::SaeModule> m_sae;
    QString m_corpus;

private Q_SLOTS:

    void initTestCase()
    {
        const QString dir = m_dir.filePath(QStringLiteral("model"));
        QVERIFY(test::writeTinyDemoVocabModel(dir, kWidth, 12).isOk());
        // A failed load stops the test case here (its message shown) instead of leaving a null
        // model for every test to dereference.
        auto loaded = LanguageModel::load(dir);
        QVERIFY2(loaded.isOk(), qPrintable(loaded.status().message()));
        m_model = std::move(loaded).value();
        m_sae = std::make_unique<gpu::detail::SaeModule>(test::mirrorSae(kWidth));
        m_corpus = m_dir.filePath(QStringLiteral("corpus.txt"));
        QFile file(m_corpus);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(
                "The jury said the election was fair.\nIt rained all day in the town.\n"
                "The team won the game.\nShe wrote a long letter to her friend.\n");
    }

    void oneWindowMatchesBruteForce()
    {
        CorpusScanOptions options;
        options.corpusPath = m_corpus;
        options.contextLength = 256;  // the whole stream in one window
        options.topK = 3;
        auto scan = scanCorpus(*m_model, *m_sae, options);
        QVERIFY2(scan.isOk(), qPrintable(scan.status().message()));
        QCOMPARE(scan->hookName, QStringLiteral("blocks.1.hook_resid_post"));

        std::vector<int> ids(scan->tokens.begin(), scan->tokens.end());
        ForwardOptions forward;
        forward.captures = {scan->hookName};
        forward.logits = false;
        const FloatTensor h = m_model->forward(ids, forward).value().activations.at(scan->hookName);
        const at::Tensor x = at::from_blob(const_cast<float *>(h.values.data()),
                                           {h.shape[0], h.shape[1]}, at::kFloat);
        const at::Tensor f = at::cat({at::relu(x), at::relu(-x)}, 1);
        const at::Tensor notBos = at::tensor(std::vector<int64_t>(ids.begin(), ids.end()))
                                          .ne(m_model->tokenizer().bosId());
        QCOMPARE(scan->scannedTokens, notBos.sum().item<int64_t>());
        for (int feature = 0; feature < 2 * kWidth; ++feature) {
            const at::Tensor column = at::where(notBos, f.select(1, feature),
                                                at::full_like(f.select(1, feature), -1.0));
            const int64_t best = column.argmax().item<int64_t>();
            const FeatureScan &s = scan->features[size_t(feature)];
            if (column.max().item<float>() <= 0) {
                QVERIFY(s.top.empty());
                continue;
            }
            QCOMPARE(s.top.front().token, best);
            QVERIFY(std::abs(s.top.front().activation - column.max().item<float>()) < 1e-5);
            for (size_t j = 1; j < s.top.size(); ++j) {
                QVERIFY(s.top[j].activation <= s.top[j - 1].activation);
            }
            const int64_t active = (column > 0).sum().item<int64_t>();
            QVERIFY(std::abs(s.density - double(active) / double(scan->scannedTokens)) < 1e-12);
            qint64 counted = 0;
            for (qint64 c : s.histogram) {
                counted += c;
            }
            QCOMPARE(counted, active);
            // Each bin's samples are tokens whose activation falls in that bin.
            QCOMPARE(s.binSamples.size(), s.histogram.size());
            for (size_t b = 0; b < s.binSamples.size(); ++b) {
                QCOMPARE(qint64(s.binSamples[b].size()),
                         std::min<qint64>(s.histogram[b], options.samplesPerBin));
                for (const FeatureExample &e : s.binSamples[b]) {
                    QVERIFY(std::abs(e.activation - f[e.token][feature].item<float>()) < 1e-5);
                    const double position =
                            (std::log10(double(e.activation)) - options.histogramLow) /
                            (options.histogramHigh - options.histogramLow) * options.histogramBins;
                    QCOMPARE(std::clamp(int(std::floor(position)), 0, options.histogramBins - 1),
                             int(b));
                }
            }
        }
    }

    void windowsAndLogitEffects()
    {
        CorpusScanOptions options;
        options.corpusPath = m_corpus;
        options.contextLength = 8;  // several windows, the last one shorter
        options.topK = 5;
        auto scan = scanCorpus(*m_model, *m_sae, options);
        QVERIFY(scan.isOk());
        const FeatureScan &s = scan->features[3];
        QCOMPARE(int(s.boosted.size()), options.logitTopK);
        // Feature 3 decodes to +e_3: its logit effect is g_3 · W_U[:, 3].
        const gpu::detail::TransformerWeights &w = m_model->tensorModel().weights();
        const at::Tensor expected = w.lmHead.select(1, 3) * w.finalNorm.weight[3];
        QCOMPARE(int64_t(s.boosted.front()), expected.argmax().item<int64_t>());
        QCOMPARE(int64_t(s.suppressed.front()), expected.argmin().item<int64_t>());
        QVERIFY(std::abs(s.boostedLogits.front() - expected.max().item<float>()) < 1e-5);

        // A scan too wide to compute every feature's logit effects leaves them empty; one
        // feature's, computed when it is shown, equal the eager scan's.
        CorpusScanOptions wide = options;
        wide.logitEffectsAtScanWork = 0;
        auto deferred = scanCorpus(*m_model, *m_sae, wide);
        QVERIFY(deferred.isOk());
        QVERIFY(!logitEffectsAtScan(*m_model, *m_sae, wide));
        QVERIFY(logitEffectsAtScan(*m_model, *m_sae, options));
        QVERIFY(deferred->features[3].boosted.empty());
        QCOMPARE(deferred->features[3].top.size(), s.top.size());
        FeatureScan shown;
        addLogitEffects(*m_model, *m_sae, options.logitTopK, 3, 1, &shown);
        QCOMPARE(shown.boosted, s.boosted);
        QCOMPARE(shown.suppressed, s.suppressed);
        QCOMPARE(shown.boostedLogits.size(), s.boostedLogits.size());
        for (size_t i = 0; i < s.boostedLogits.size(); ++i) {
            QVERIFY(std::abs(shown.boostedLogits[i] - s.boostedLogits[i]) < 1e-5);
        }

        const ExampleContext context =
                exampleContext(*m_model, scan.value(), s.top.front().token, 3);
        QCOMPARE(context.token,
                 m_model->tokenizer().displayPiece(scan->tokens[size_t(s.top.front().token)]));
        QVERIFY(!context.before.contains(QStringLiteral("<s>")));
    }

    void refusesMismatchedSae()
    {
        CorpusScanOptions options;
        options.corpusPath = m_corpus;
        options.hookName = QStringLiteral("blocks.5.hook_resid_post");
        QCOMPARE(scanCorpus(*m_model, *m_sae, options).status().code(), Status::Code::InvalidInput);
    }
};

QTEST_GUILESS_MAIN(TestCorpusScan)
#include "tst_corpus_scan.moc"
