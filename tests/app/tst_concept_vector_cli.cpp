// gyrus-cli concept-vector on the demo model and the demo tense × number set: the vector equals
// the mean difference computed from `gyrus-cli represent`'s output (its /features and
// /labels_<factor>), and the listed features' cosines equal those of the SAE's decoder rows.

#include "core/hdf5_reader.h"
#include "gpu/detail/sae_module.h"
#include "gpu/sae/sae_io.h"
#include "tests/support/cli_run.h"
#include "tests/support/demo_engine.h"
#include "tests/support/test_paths.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
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
        QTemporaryDir dir;
        const QString out = dir.filePath(QStringLiteral("r.h5"));
        const test::ProcessRun represent = test::runCli(
                {QStringLiteral("represent"), QStringLiteral("--model"), test::demoModelPath(),
                 QStringLiteral("--prompts"), tenseNumber(), QStringLiteral("--hook"), kHook,
                 QStringLiteral("--pooling"), QStringLiteral("last"), QStringLiteral("--no-cache"),
                 QStringLiteral("--out"), out});
        QVERIFY2(represent.exitCode == 0, qPrintable(represent.err));
        auto reader = Hdf5Reader::open(out);
        QVERIFY(reader.isOk());
        const FloatMatrix features =
                reader.value()->readFloatMatrix(QStringLiteral("features")).value();
        const std::vector<int64_t> tense =
                reader.value()->readIntVector(QStringLiteral("labels_tense")).value();
        std::vector<double> expected(size_t(features.cols), 0.0);
        int present = 0;
        int past = 0;
        for (int64_t r = 0; r < features.rows; ++r) {
            (tense[size_t(r)] == 0 ? present : past) += 1;
        }
        for (int64_t r = 0; r < features.rows; ++r) {
            const double weight = tense[size_t(r)] == 0 ? 1.0 / present : -1.0 / past;
            for (int64_t c = 0; c < features.cols; ++c) {
                expected[size_t(c)] += weight * double(features.at(r, c));
            }
        }

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
        auto sae = gpu::loadSae(test::demoSaePath());
        QVERIFY(sae);
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
