// gyrus-cli concept-vector on the demo model and the demo tense × number set: the vector equals
// the mean difference computed from `gyrus-cli represent`'s output (its /features and
// /labels_<factor>), and the listed features' cosines equal those of the SAE's decoder rows.

#include "gpu/sae/sae_module.h"
#include "tests/gpu/demo_modules.h"
#include "tests/support/cli_run.h"
#include "tests/support/demo_engine.h"
#include "tests/support/represent_output.h"
#include "tests/support/test_paths.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest>

#include <ATen/ATen.h>

#include <cmath>

using namespace gyrus;

namespace {

const QString kHook = QStringLiteral("blocks.2.hook_resid_post");

QString tenseNumber()
{
    return test::sourcePath(QStringLiteral("datasets/prompt-sets/demo/demo-tense-number.json"));
}

}  // namespace

class TestConceptVectorCli : public QObject
{
    Q_OBJECT
private Q_SLOTS:

    void equalsTheMeanDifferenceOfRepresent()
    {
        Result<test::RepresentedItems> items = test::representItems(
                {QStringLiteral("--model"), test::demoModelPath(), QStringLiteral("--prompts"),
                 tenseNumber(), QStringLiteral("--hook"), kHook, QStringLiteral("--pooling"),
                 QStringLiteral("last"), QStringLiteral("--no-cache")},
                QStringLiteral("tense"));
        QVERIFY2(items, qPrintable(items.status().message()));
        const FloatMatrix &features = items->features;
        const test::LevelDifference tense = test::levelMeanDifference(features, items->labels);
        const std::vector<double> &expected = tense.difference;
        const int present = tense.rowsA;
        const int past = tense.rowsB;

        const test::ProcessRun run = test::runCli(
                {QStringLiteral("concept-vector"), QStringLiteral("--model"), test::demoModelPath(),
                 QStringLiteral("--prompts"), tenseNumber(), QStringLiteral("--sae"),
                 test::demoSaePath(), QStringLiteral("--pooling"), QStringLiteral("last"),
                 QStringLiteral("--a"), QStringLiteral("tense=present"), QStringLiteral("--b"),
                 QStringLiteral("tense=past"), QStringLiteral("--top"), QStringLiteral("8")});
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        const QJsonObject json = QJsonDocument::fromJson(run.out).object();
        QCOMPARE(json[QStringLiteral("hook")].toString(), kHook);  // the SAE's, by default
        QCOMPARE(json[QStringLiteral("items_a")].toInt(), present);
        QCOMPARE(json[QStringLiteral("items_b")].toInt(), past);
        const QJsonArray vector = json[QStringLiteral("vector")].toArray();
        QCOMPARE(vector.size(), int(features.cols));
        double worst = 0.0;
        double largest = 0.0;
        double squares = 0.0;
        for (int c = 0; c < vector.size(); ++c) {
            worst = std::max(worst, std::abs(vector[c].toDouble() - expected[size_t(c)]));
            largest = std::max(largest, std::abs(expected[size_t(c)]));
            squares += expected[size_t(c)] * expected[size_t(c)];
        }
        QVERIFY2(worst <= 1e-5 * largest, qPrintable(QString::number(worst)));
        QVERIFY(largest > 0.0);
        QVERIFY(std::abs(json[QStringLiteral("norm")].toDouble() - std::sqrt(squares)) <
                1e-4 * std::sqrt(squares));

        // The features: cosines with the decoder rows, largest |cosine| first.
        auto sae = test::loadDemoSae();
        QVERIFY2(sae, qPrintable(sae.status().message()));
        const at::Tensor decoder = sae.value()->weights().wDec.to(at::kDouble);
        const QJsonArray listed = json[QStringLiteral("features")].toArray();
        QCOMPARE(listed.size(), 8);
        double previous = 2.0;
        for (const QJsonValue &entry : listed) {
            const int feature = entry[QStringLiteral("feature")].toInt();
            const at::Tensor row = decoder[feature];
            double dot = 0.0;
            for (int c = 0; c < vector.size(); ++c) {
                dot += row[c].item<double>() * expected[size_t(c)];
            }
            const double cosine = dot / (row.norm().item<double>() * std::sqrt(squares));
            QVERIFY(std::abs(entry[QStringLiteral("cosine")].toDouble() - cosine) < 1e-4);
            QVERIFY(std::abs(cosine) <= previous + 1e-6);
            previous = std::abs(cosine);
        }
    }

    void unknownSidesAreOneClearLine()
    {
        const test::ProcessRun run = test::runCli(
                {QStringLiteral("concept-vector"), QStringLiteral("--model"), test::demoModelPath(),
                 QStringLiteral("--prompts"), tenseNumber(), QStringLiteral("--hook"), kHook,
                 QStringLiteral("--a"), QStringLiteral("tense=future"), QStringLiteral("--b"),
                 QStringLiteral("tense=past")});
        QCOMPARE(run.exitCode, 2);
        QVERIFY2(run.err.contains(QStringLiteral("no level 'future'")), qPrintable(run.err));
        const test::ProcessRun condition = test::runCli(
                {QStringLiteral("concept-vector"), QStringLiteral("--model"), test::demoModelPath(),
                 QStringLiteral("--prompts"), tenseNumber(), QStringLiteral("--hook"), kHook,
                 QStringLiteral("--a"), QStringLiteral("nothing"), QStringLiteral("--b"),
                 QStringLiteral("present_plural")});
        QCOMPARE(condition.exitCode, 2);
        QVERIFY2(condition.err.contains(QStringLiteral("present_singular")),
                 qPrintable(condition.err));
    }
};

QTEST_GUILESS_MAIN(TestConceptVectorCli)
#include "tst_concept_vector_cli.moc"
