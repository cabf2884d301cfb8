// gyrus-cli search-features on the demo model, SAE and shipped scan: "fires on" hits are the
// features the steering dock's range request sees at that token, with the same activations;
// concept hits are decoder cosines computed here in double; boosted-token and example-text hits
// all carry what was asked for in the scan; labels come from a workspace's annotations.

#include "core/session/workspace_file.h"
#include "gpu/analysis/corpus_scan.h"
#include "gpu/analysis/corpus_scan_file.h"
#include "gpu/model/language_model.h"
#include "gpu/sae/sae_module.h"
#include "gpu/sae/steering/steering.h"
#include "tests/gpu/demo_modules.h"
#include "tests/support/cli_run.h"
#include "tests/support/demo_engine.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest>

#include <ATen/ATen.h>

#include <cmath>

using namespace gyrus;

namespace {

const QString kText = QStringLiteral("The jury said that the city");

}  // namespace

class TestFeatureSearchCli : public QObject
{
    Q_OBJECT
private:
    std::unique_ptr<gpu::LanguageModel> m_model;
    std::shared_ptr<gpu::detail::SaeModule> m_sae;
    gpu::CorpusScan m_scan;
    QTemporaryDir m_dir;

    QJsonArray hits(const QStringList &extra)
    {
        return test::runCliJson(QStringList{QStringLiteral("search-features"),
                                            QStringLiteral("--model"), test::demoModelPath(),
                                            QStringLiteral("--sae"), test::demoSaePath()} +
                                extra)[QStringLiteral("hits")]
                .toArray();
    }

private Q_SLOTS:

    void initTestCase()
    {
        auto demo = test::loadDemoModules();
        QVERIFY2(demo, qPrintable(demo.status().message()));
        m_model = std::move(demo.value().model);
        m_sae = demo->sae;
        auto scan = gpu::loadCorpusScan(
                QDir(test::demoSaePath()).filePath(QStringLiteral("gyrus_scan.bin")));
        QVERIFY2(scan, qPrintable(scan.status().message()));
        m_scan = scan->scan;
    }

    void firesOnAreTheFeaturesActiveAtThatToken()
    {
        const QJsonArray found = hits({QStringLiteral("--fires-on"), kText,
                                       QStringLiteral("--limit"), QStringLiteral("1000")});
        QVERIFY(!found.isEmpty());
        auto tokens = m_model->encode(kText);
        QVERIFY(tokens);
        QList<int> all;
        for (int j = 0; j < m_sae->config().dSae; ++j) {
            all.append(j);
        }
        auto ranges = gpu::featureRangesOnPrompt(*m_model, *m_sae, tokens.value(), all);
        QVERIFY2(ranges, qPrintable(ranges.status().message()));
        int active = 0;
        for (const FeatureRange &range : ranges->ranges) {
            active += range.last > 0 ? 1 : 0;
        }
        QCOMPARE(found.size(), active);
        double previous = 1e30;
        for (const QJsonValue &hit : found) {
            const int feature = hit[QStringLiteral("feature")].toInt();
            const double score = hit[QStringLiteral("score")].toDouble();
            QVERIFY(std::abs(score - ranges->ranges[feature].last) < 1e-4);
            QVERIFY(score <= previous);
            previous = score;
            QVERIFY(hit[QStringLiteral("density")].toDouble() >= 0.0);  // from the shipped scan
        }
    }

    void conceptHitsAreDecoderCosines()
    {
        // A concept vector: one decoder row plus a little of another, as concept-vector's JSON.
        const at::Tensor decoder = m_sae->weights().wDec.to(at::kDouble);
        const at::Tensor v = decoder[7] + 0.3 * decoder[11];
        QJsonArray values;
        for (int64_t c = 0; c < v.numel(); ++c) {
            values.append(v[c].item<double>());
        }
        const QString path = m_dir.filePath(QStringLiteral("concept.json"));
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(QJsonDocument(QJsonObject{{QStringLiteral("hook"), m_sae->config().hookName},
                                             {QStringLiteral("vector"), values}})
                           .toJson());
        file.close();
        const QJsonArray found = hits({QStringLiteral("--concept"), path, QStringLiteral("--limit"),
                                       QStringLiteral("5")});
        QCOMPARE(found.size(), 5);
        QCOMPARE(found[0][QStringLiteral("feature")].toInt(), 7);
        for (const QJsonValue &hit : found) {
            const at::Tensor row = decoder[hit[QStringLiteral("feature")].toInt()];
            const double cosine = (row * v).sum().item<double>() /
                                  (row.norm().item<double>() * v.norm().item<double>());
            QVERIFY(std::abs(hit[QStringLiteral("score")].toDouble() - cosine) < 1e-5);
        }
    }

    void boostedTokenAndExampleHitsCarryWhatWasAsked()
    {
        int feature = -1;
        for (size_t f = 0; f < m_scan.features.size() && feature < 0; ++f) {
            if (!m_scan.features[f].boosted.empty() && !m_scan.features[f].top.empty()) {
                feature = int(f);
            }
        }
        QVERIFY(feature >= 0);
        const QString piece = m_model->tokenizer()
                                      .displayPiece(m_scan.features[size_t(feature)].boosted[0])
                                      .trimmed();
        const QJsonArray boosted = hits({QStringLiteral("--boosts"), piece,
                                         QStringLiteral("--limit"), QStringLiteral("100000")});
        bool sawFeature = false;
        for (const QJsonValue &hit : boosted) {
            const int f = hit[QStringLiteral("feature")].toInt();
            sawFeature = sawFeature || f == feature;
            bool has = false;
            for (const int id : m_scan.features[size_t(f)].boosted) {
                has = has || m_model->tokenizer().displayPiece(id).trimmed().compare(
                                     piece, Qt::CaseInsensitive) == 0;
            }
            QVERIFY(has);
        }
        QVERIFY(sawFeature);

        const gpu::ExampleContext context = gpu::exampleContext(
                *m_model, m_scan, m_scan.features[size_t(feature)].top[0].token, 8);
        const QString word = context.token.trimmed().isEmpty() ? context.before.right(4)
                                                               : context.token.trimmed();
        const QJsonArray examples = hits({QStringLiteral("--example"), word,
                                          QStringLiteral("--limit"), QStringLiteral("100000")});
        sawFeature = false;
        for (const QJsonValue &hit : examples) {
            sawFeature = sawFeature || hit[QStringLiteral("feature")].toInt() == feature;
            QVERIFY(hit[QStringLiteral("match")]
                            .toString()
                            .remove(QStringLiteral("«"))
                            .remove(QStringLiteral("»"))
                            .contains(word, Qt::CaseInsensitive));
        }
        QVERIFY(sawFeature);
    }

    void labelsComeFromTheWorkspace()
    {
        WorkspaceDocument document;
        document.sections[QStringLiteral("selection")] =
                QJsonDocument(
                        QJsonObject{{QStringLiteral("version"), 1},
                                    {QStringLiteral("annotations"),
                                     QJsonArray{QJsonObject{{QStringLiteral("feature"), 12},
                                                            {QStringLiteral("label"),
                                                             QStringLiteral("Legal words")},
                                                            {QStringLiteral("notes"), QString()}},
                                                QJsonObject{{QStringLiteral("feature"), 40},
                                                            {QStringLiteral("label"),
                                                             QStringLiteral("numbers")},
                                                            {QStringLiteral("notes"),
                                                             QStringLiteral("also legal text")}}}}})
                        .toJson();
        const QString path = m_dir.filePath(QStringLiteral("study.gyrus"));
        QVERIFY(writeWorkspaceFile(path, document).isOk());
        const test::ProcessRun run =
                test::runCli({QStringLiteral("search-features"), QStringLiteral("--workspace"),
                              path, QStringLiteral("--label"), QStringLiteral("LEGAL")});
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        const QJsonArray found =
                QJsonDocument::fromJson(run.out).object()[QStringLiteral("hits")].toArray();
        QCOMPARE(found.size(), 2);
        QCOMPARE(found[0][QStringLiteral("label")].toString(), QStringLiteral("Legal words"));
        QCOMPARE(found[1][QStringLiteral("feature")].toInt(), 40);
    }

    void badSearchesAreOneClearLine()
    {
        const test::ProcessRun none = test::runCli({QStringLiteral("search-features")});
        QCOMPARE(none.exitCode, 2);
        QVERIFY2(none.err.contains(QStringLiteral("nothing to search by")), qPrintable(none.err));
        const test::ProcessRun noScan =
                test::runCli({QStringLiteral("search-features"), QStringLiteral("--example"),
                              QStringLiteral("x")});
        QCOMPARE(noScan.exitCode, 2);
        QVERIFY2(noScan.err.contains(QStringLiteral("needs a corpus scan and the model")),
                 qPrintable(noScan.err));
    }
};

QTEST_GUILESS_MAIN(TestFeatureSearchCli)
#include "tst_feature_search_cli.moc"
