// Temporal per-feature RSA: against an independent numpy/scipy implementation
// (tests/data/stats/make_temporal_rsa_fixture.py), on planted structure, and its edge cases.

#include "gpu/analysis/feature_selection.h"
#include "gpu/analysis/temporal_rsa.h"
#include "gpu/analysis/temporal_selection.h"
#include "tests/gpu/stats_fixture.h"

#include <QtTest>

#include <cmath>
#include <random>

using namespace gyrus;
using namespace gyrus::gpu;

namespace {

TemporalTable fixtureTable(const Hdf5Reader &reader, const QString &group, bool withMask)
{
    TemporalTable table;
    const std::vector<int64_t> shape = reader.shape(group + QStringLiteral("/X")).value();
    table.items = shape[0];
    table.positions = shape[1];
    table.features = shape[2];
    table.values = test::floats(reader, group + QStringLiteral("/X"));
    if (withMask) {
        for (double m : test::doubles(reader, group + QStringLiteral("/mask"))) {
            table.mask.push_back(m != 0.0 ? 1 : 0);
        }
    } else {
        table.mask.assign(size_t(table.items * table.positions), 1);
    }
    return table;
}

std::vector<int64_t> fixtureLabels(const Hdf5Reader &reader, const QString &group)
{
    return reader.readIntVector(group + QStringLiteral("/labels")).value();
}

// Items of two conditions over `positions` token positions, `features` features of noise; the
// caller plants structure into some of them.
TemporalTable noiseTable(int perCondition, int positions, int features, uint32_t seed,
                         std::vector<int64_t> *labels)
{
    std::mt19937 rng(seed);
    std::normal_distribution<float> noise(0.f, 1.f);
    TemporalTable table;
    table.items = 2 * perCondition;
    table.positions = positions;
    table.features = features;
    labels->clear();
    for (int i = 0; i < 2 * perCondition; ++i) {
        labels->push_back(i < perCondition ? 0 : 1);
    }
    for (int64_t k = 0; k < table.items * positions * features; ++k) {
        table.values.push_back(noise(rng));
    }
    table.mask.assign(size_t(table.items * positions), 1);
    return table;
}

// The items flagged in `keep`, as a table of their own.
TemporalTable subTable(const TemporalTable &table, const std::vector<uint8_t> &keep)
{
    TemporalTable out;
    out.positions = table.positions;
    out.features = table.features;
    const int64_t stride = table.positions * table.features;
    for (int64_t i = 0; i < table.items; ++i) {
        if (!keep[size_t(i)]) {
            continue;
        }
        ++out.items;
        out.values.insert(out.values.end(), table.values.begin() + i * stride,
                          table.values.begin() + (i + 1) * stride);
        out.mask.insert(out.mask.end(), table.mask.begin() + i * table.positions,
                        table.mask.begin() + (i + 1) * table.positions);
    }
    return out;
}

template <typename T>
std::vector<T> kept(const std::vector<T> &values, const std::vector<uint8_t> &keep)
{
    std::vector<T> out;
    for (size_t i = 0; i < values.size(); ++i) {
        if (keep[i]) {
            out.push_back(values[i]);
        }
    }
    return out;
}

float &cell(TemporalTable &table, int64_t item, int64_t position, int64_t feature)
{
    return table.values[size_t((item * table.positions + position) * table.features + feature)];
}

}  // namespace

class TestTemporalRsa : public QObject
{
    Q_OBJECT
private Q_SLOTS:

    void matchesNumpyScipyReference()
    {
        const auto reader = test::statsFixture(QStringLiteral("stats/temporal_rsa_reference.h5"));
        QVERIFY(reader);
        const TemporalTable table = fixtureTable(*reader, QStringLiteral("random"), true);
        const std::vector<int64_t> labels = fixtureLabels(*reader, QStringLiteral("random"));
        for (const auto &[model, name] :
             {std::pair{TemporalRsaModel::Discriminative, QStringLiteral("random/discriminative")},
              std::pair{TemporalRsaModel::Categorical, QStringLiteral("random/categorical")}}) {
            const auto scores = temporalRsaScores(table, labels, model);
            QVERIFY2(scores.isOk(), qPrintable(scores.status().message()));
            const QString mismatch = test::relativeMismatch(
                    scores->scores, test::doubles(*reader, name), 1e-9, 1e-6);
            QVERIFY2(mismatch.isEmpty(), qPrintable(name + QStringLiteral(": ") + mismatch));
            std::vector<double> pairs(scores->pairsUsed.begin(), scores->pairsUsed.end());
            const QString pairMismatch = test::relativeMismatch(
                    pairs, test::doubles(*reader, name + QStringLiteral("_pairs")), 0.0, 1.0);
            QVERIFY2(pairMismatch.isEmpty(),
                     qPrintable(name + QStringLiteral(" pairs: ") + pairMismatch));
            // The fixture's item 5 has two positions: too short to correlate.
            QCOMPARE(scores->notes.size(), 1);
            QVERIFY(scores->notes.front().startsWith(QStringLiteral("item 5 ")));
        }
    }

    // The original project's formula (seed_pipeline.md §8.3: arctanh of 1 − r with r ≤ 0
    // dropped, Student's t of within-set-1 against between or within-set-2, z-scored), as Gyrus
    // reproduces it for the seed preset, against its transcription in numpy/scipy.
    void seedFormulaMatchesItsTranscription()
    {
        const auto reader = test::statsFixture(QStringLiteral("stats/temporal_rsa_reference.h5"));
        QVERIFY(reader);
        const TemporalTable table = fixtureTable(*reader, QStringLiteral("seed"), false);
        const std::vector<int64_t> labels = fixtureLabels(*reader, QStringLiteral("seed"));
        for (const auto &[method, name] : {std::pair{SelectionMethod::SeedTemporalDiscriminativeRsa,
                                                     QStringLiteral("seed/discriminative")},
                                           std::pair{SelectionMethod::SeedTemporalCategoricalRsa,
                                                     QStringLiteral("seed/categorical")}}) {
            const auto scores = featureScores(table, labels, method);
            QVERIFY2(scores.isOk(), qPrintable(scores.status().message()));
            const QString mismatch = test::relativeMismatch(
                    scores.value(), test::doubles(*reader, name), 1e-9, 1e-7);
            QVERIFY2(mismatch.isEmpty(), qPrintable(name + QStringLiteral(": ") + mismatch));
        }
        // Feature 4 is planted to be MORE coherent within set 1 (a cosine added to its items);
        // the seed's sign ranks it at the bottom, the corrected score at the top.
        const auto seed = featureScores(table, labels, SelectionMethod::SeedTemporalCategoricalRsa);
        const auto fixed = featureScores(table, labels, SelectionMethod::TemporalCategoricalRsa);
        QVERIFY(seed.isOk() && fixed.isOk());
        QVERIFY2(seed->at(4) < 0, qPrintable(QString::number(seed->at(4))));
        QCOMPARE(topFeatures(fixed.value(), 1).front(), int64_t(4));
    }

    // A method comparison re-ranks only the training items' pairs in each fold: the scores
    // equal those of the whole computation on the training items alone.
    void foldScoresEqualScoresOfTheTrainingItems()
    {
        const auto reader = test::statsFixture(QStringLiteral("stats/temporal_rsa_reference.h5"));
        QVERIFY(reader);
        const TemporalTable table = fixtureTable(*reader, QStringLiteral("random"), true);
        const std::vector<int64_t> labels = fixtureLabels(*reader, QStringLiteral("random"));
        const auto orders = gpu::detail::temporalPairOrders(table);
        QVERIFY2(orders.isOk(), qPrintable(orders.status().message()));
        const auto transforms = gpu::detail::seedPairTransforms(table);
        QVERIFY(transforms.isOk());
        std::vector<uint8_t> everyItem(size_t(table.items), 1);
        std::vector<uint8_t> some(size_t(table.items), 1);
        for (int64_t drop : {0, 7, 12, 13, 20}) {
            some[size_t(drop)] = 0;
        }
        for (const std::vector<uint8_t> &training : {everyItem, some}) {
            const TemporalTable sub = subTable(table, training);
            const std::vector<int64_t> subLabels = kept(labels, training);
            std::vector<double> discriminative(size_t(table.features));
            std::vector<double> categorical(size_t(table.features));
            gpu::detail::temporalFoldScores(
                    *orders, gpu::detail::temporalPairCodes(*orders, training, labels),
                    discriminative.data(), categorical.data());
            const auto d = temporalRsaScores(sub, subLabels, TemporalRsaModel::Discriminative);
            const auto c = temporalRsaScores(sub, subLabels, TemporalRsaModel::Categorical);
            QVERIFY(d.isOk() && c.isOk());
            QString mismatch = test::relativeMismatch(discriminative, d->scores, 1e-12, 1e-9);
            QVERIFY2(mismatch.isEmpty(), qPrintable(mismatch));
            mismatch = test::relativeMismatch(categorical, c->scores, 1e-12, 1e-9);
            QVERIFY2(mismatch.isEmpty(), qPrintable(mismatch));
            for (TemporalRsaModel model :
                 {TemporalRsaModel::Discriminative, TemporalRsaModel::Categorical}) {
                const std::vector<double> fold =
                        gpu::detail::seedTemporalScores(*transforms, training, labels, model);
                const auto whole =
                        featureScores(sub, subLabels,
                                      model == TemporalRsaModel::Categorical
                                              ? SelectionMethod::SeedTemporalCategoricalRsa
                                              : SelectionMethod::SeedTemporalDiscriminativeRsa);
                QVERIFY(whole.isOk());
                mismatch = test::relativeMismatch(fold, whole.value(), 1e-12, 1e-9);
                QVERIFY2(mismatch.isEmpty(), qPrintable(mismatch));
            }
        }
    }

    void batchesDoNotChangeTheScores()
    {
        const auto reader = test::statsFixture(QStringLiteral("stats/temporal_rsa_reference.h5"));
        QVERIFY(reader);
        const TemporalTable table = fixtureTable(*reader, QStringLiteral("random"), true);
        const std::vector<int64_t> labels = fixtureLabels(*reader, QStringLiteral("random"));
        TemporalRsaOptions one;
        one.batchFeatures = 1;
        QCOMPARE(temporalRsaScores(table, labels, TemporalRsaModel::Discriminative, one)->scores,
                 temporalRsaScores(table, labels, TemporalRsaModel::Discriminative)->scores);
    }

    // The fused CPU loop and the batched tensor path (what a GPU runs) give the same scores.
    void tensorAndFusedPathsAgree()
    {
        const auto reader = test::statsFixture(QStringLiteral("stats/temporal_rsa_reference.h5"));
        QVERIFY(reader);
        const TemporalTable table = fixtureTable(*reader, QStringLiteral("random"), true);
        const std::vector<int64_t> labels = fixtureLabels(*reader, QStringLiteral("random"));
        TemporalRsaOptions tensor;
        tensor.tensorRanks = true;
        for (TemporalRsaModel model :
             {TemporalRsaModel::Discriminative, TemporalRsaModel::Categorical}) {
            const auto fused = temporalRsaScores(table, labels, model);
            const auto batched = temporalRsaScores(table, labels, model, tensor);
            QVERIFY(fused.isOk() && batched.isOk());
            QCOMPARE(fused->pairsUsed, batched->pairsUsed);
            const QString mismatch =
                    test::relativeMismatch(fused->scores, batched->scores, 1e-12, 1e-9);
            QVERIFY2(mismatch.isEmpty(), qPrintable(mismatch));
        }
    }

    // The study's claim in miniature: a feature whose time course separates the conditions
    // with the same mean in both is invisible to a pooled score and found by temporal RSA.
    void findsTemporalPatternsThatPoolingHides()
    {
        std::vector<int64_t> labels;
        TemporalTable table = noiseTable(12, 16, 40, 3, &labels);
        for (int64_t i = 0; i < table.items; ++i) {
            const float sign = labels[size_t(i)] == 0 ? 1.f : -1.f;
            for (int64_t t = 0; t < table.positions; ++t) {
                // Mean over the window: 0 in both conditions.
                cell(table, i, t, 7) =
                        0.3f * cell(table, i, t, 7) + sign * std::sin(0.8f * float(t));
            }
        }
        const auto temporal = temporalRsaScores(table, labels, TemporalRsaModel::Discriminative);
        QVERIFY(temporal.isOk());
        QCOMPARE(topFeatures(temporal->scores, 1).front(), int64_t(7));
        QVERIFY2(temporal->scores[7] > 0.5, qPrintable(QString::number(temporal->scores[7])));
        const auto pooled =
                featureScores(table.pooledMean(), labels, SelectionMethod::MeanDifference);
        const std::vector<int64_t> pooledTop = topFeatures(pooled.value(), 10);
        QVERIFY(std::find(pooledTop.begin(), pooledTop.end(), 7) == pooledTop.end());
    }

    // Categorical: positive when A's time courses agree among themselves more than B's, negative
    // the other way round; between-condition pairs play no part.
    void categoricalSignSaysWhichConditionIsCoherent()
    {
        std::vector<int64_t> labels;
        TemporalTable table = noiseTable(10, 12, 6, 4, &labels);
        for (int64_t i = 0; i < table.items; ++i) {
            for (int64_t t = 0; t < table.positions; ++t) {
                const float shared = std::cos(0.9f * float(t));
                if (labels[size_t(i)] == 0) {
                    cell(table, i, t, 2) = shared + 0.3f * cell(table, i, t, 2);
                } else {
                    cell(table, i, t, 4) = shared + 0.3f * cell(table, i, t, 4);
                }
            }
        }
        const auto scores = temporalRsaScores(table, labels, TemporalRsaModel::Categorical);
        QVERIFY(scores.isOk());
        QVERIFY2(scores->scores[2] > 0.5, qPrintable(QString::number(scores->scores[2])));
        QVERIFY2(scores->scores[4] < -0.5, qPrintable(QString::number(scores->scores[4])));
        for (int f : {0, 1, 3, 5}) {
            QVERIFY(std::abs(scores->scores[size_t(f)]) < 0.3);
        }
        const int64_t within = 2 * (10 * 9 / 2);
        QCOMPARE(scores->pairsUsed[2], within);
    }

    void constantAndShortPatternsAreLeftOut()
    {
        std::vector<int64_t> labels;
        TemporalTable table = noiseTable(4, 6, 3, 5, &labels);
        for (int64_t i = 0; i < table.items; ++i) {
            for (int64_t t = 0; t < table.positions; ++t) {
                cell(table, i, t, 0) = 0.f;  // a dead feature
            }
        }
        for (int64_t t = 0; t < table.positions; ++t) {
            cell(table, 2, t, 1) = 1.5f;  // item 2 constant in feature 1
        }
        // Item 6 has two real tokens.
        for (int64_t t = 2; t < table.positions; ++t) {
            table.mask[size_t(6 * table.positions + t)] = 0;
        }
        const auto scores = temporalRsaScores(table, labels, TemporalRsaModel::Discriminative);
        QVERIFY(scores.isOk());
        QCOMPARE(scores->scores[0], 0.0);
        QCOMPARE(scores->pairsUsed[0], int64_t(0));
        QCOMPARE(scores->pairsUsed[1], int64_t(28 - 7 - 6));  // without item 2, then item 6
        QCOMPARE(scores->pairsUsed[2], int64_t(28 - 7));
        QCOMPARE(scores->notes.size(), 1);
    }

    void badInputIsAClearError()
    {
        std::vector<int64_t> labels;
        TemporalTable table = noiseTable(3, 5, 2, 6, &labels);
        QVERIFY(!temporalRsaScores(table, {0, 0, 0, 1, 1}, TemporalRsaModel::Categorical).isOk());
        QVERIFY(!temporalRsaScores(table, {0, 0, 0, 0, 0, 1}, TemporalRsaModel::Categorical)
                         .isOk());
        cell(table, 1, 2, 1) = NAN;
        const auto scores = temporalRsaScores(table, labels, TemporalRsaModel::Discriminative);
        QVERIFY(!scores.isOk());
        QVERIFY2(
                scores.status().message().contains(QStringLiteral("item 1, position 2, feature 1")),
                qPrintable(scores.status().message()));
        table.mask.pop_back();
        QVERIFY(!temporalRsaScores(table, labels, TemporalRsaModel::Discriminative).isOk());
    }
};

QTEST_GUILESS_MAIN(TestTemporalRsa)
#include "tst_temporal_rsa.moc"
