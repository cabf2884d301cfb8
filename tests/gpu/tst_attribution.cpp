// Feature attribution, the logit lens and attention patterns on tiny models. Attribution's linear
// estimates against finite differences and exact ablations (separate forwards with the feature
// edited), its completeness (features + error + bias = gradient × input) and causality; the logit
// lens's last row against the model's logits; attention patterns against the float64 numpy
// reference of tests/data/model_families (a forward written from Hugging Face's semantics).

#include "gpu/analysis/attention_patterns.h"
#include "gpu/analysis/attribution.h"
#include "gpu/analysis/logit_lens.h"
#include "gpu/model/language_model.h"
#include "gpu/sae/sae_module.h"
#include "tests/gpu/tiny_models.h"
#include "tests/support/process_run.h"
#include "tests/support/test_paths.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest>

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

using namespace gyrus;
using namespace gyrus::gpu;

namespace {

constexpr int kWidth = 32;
const std::vector<int> kTokens{1, 417, 88, 2301, 57, 990, 12, 3005, 640, 71};

double pearson(const std::vector<double> &a, const std::vector<double> &b)
{
    const double n = static_cast<double>(a.size());
    const double ma = std::accumulate(a.begin(), a.end(), 0.0) / n;
    const double mb = std::accumulate(b.begin(), b.end(), 0.0) / n;
    double sab = 0.0;
    double saa = 0.0;
    double sbb = 0.0;
    for (size_t i = 0; i < a.size(); ++i) {
        sab += (a[i] - ma) * (b[i] - mb);
        saa += (a[i] - ma) * (a[i] - ma);
        sbb += (b[i] - mb) * (b[i] - mb);
    }
    return sab / std::sqrt(saa * sbb);
}

std::vector<double> readDoubles(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        return {};
    }
    const QByteArray bytes = file.readAll();
    std::vector<double> values(static_cast<size_t>(bytes.size()) / sizeof(double));
    std::memcpy(values.data(), bytes.constData(), values.size() * sizeof(double));
    return values;
}

}  // namespace

class TestAttribution : public QObject
{
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    std::unique_ptr<LanguageModel> m_model;
    // Decoder scaled by 0.8: the SAE misses a fifth of the signal, so the error node matters.
    gpu::detail::SaeModule m_sae =
            test::mirrorSae(kWidth, 0.8, QStringLiteral("blocks.0.hook_resid_post"));
    // A second SAE one layer later (reconstructing 70%): attribution to both at once.
    gpu::detail::SaeModule m_deepSae =
            test::mirrorSae(kWidth, 0.7, QStringLiteral("blocks.1.hook_resid_post"));

    AttributionResult attribute(const AttributionTarget &target = {})
    {
        Result<AttributionResult> result = attributeFeatures(*m_model, m_sae, kTokens, target);
        if (!result) {
            qWarning("%s", qPrintable(result.status().message()));
            return {};
        }
        return result.value();
    }

private Q_SLOTS:

    void initTestCase()
    {
        const QString dir = m_dir.filePath(QStringLiteral("model"));
        QVERIFY(test::writeTinyDemoVocabModel(dir, kWidth, 21).isOk());
        auto model = LanguageModel::load(dir);
        QVERIFY2(model, qPrintable(model.status().message()));
        m_model = std::move(model).value();
    }

    // Defaults: the last position and the model's likeliest next token; the value is its
    // log-probability in a plain forward.
    void defaultTargetIsTheTopNextToken()
    {
        const AttributionResult result = attribute();
        QCOMPARE(result.target.position, int(kTokens.size()) - 1);
        auto plain = m_model->forward(kTokens);
        QVERIFY(plain.isOk());
        const int vocab = m_model->config().vocabSize;
        const float *row = plain->logits.values.data() + (kTokens.size() - 1) * size_t(vocab);
        const int top = int(std::max_element(row, row + vocab) - row);
        QCOMPARE(result.target.token, top);
        double norm = 0.0;
        for (int i = 0; i < vocab; ++i) {
            norm += std::exp(double(row[i]) - double(row[top]));
        }
        QVERIFY(std::abs(result.value - (-std::log(norm))) < 1e-4);
        QVERIFY(result.features.size() > 50);
    }

    // Completeness: features + error + bias = gradient × input, per position and in total.
    void featuresErrorAndBiasAddUpToTheTotal()
    {
        const AttributionResult result = attribute();
        QCOMPARE(result.errorAttribution.size(), kTokens.size());
        QCOMPARE(result.biasAttribution.size(), kTokens.size());
        QCOMPARE(result.totalAttribution.size(), kTokens.size());
        std::vector<double> features(kTokens.size(), 0.0);
        double scale = 0.0;
        for (const FeatureAttribution &f : result.features) {
            QVERIFY(f.position >= 0 && f.position < int(kTokens.size()));
            features[size_t(f.position)] += f.attribution;
            scale += std::abs(f.attribution);
        }
        for (size_t t = 0; t < kTokens.size(); ++t) {
            const double sum = features[t] + result.errorAttribution[t] + result.biasAttribution[t];
            QVERIFY2(std::abs(sum - result.totalAttribution[t]) <= 1e-5 * scale + 1e-7,
                     qPrintable(QStringLiteral("position %1: %2 vs %3")
                                        .arg(t)
                                        .arg(sum)
                                        .arg(result.totalAttribution[t])));
        }
        QVERIFY(std::abs(result.featureSum() + result.errorSum() + result.biasSum() -
                         result.total()) <= 1e-5 * scale);
        // The error node is not negligible with this SAE, and it is not the whole story either.
        QVERIFY(std::abs(result.errorSum()) > 1e-3 * scale);
        QVERIFY(std::abs(result.featureSum()) > std::abs(result.errorSum()));
    }

    // Positions after the target cannot cause it: exactly zero.
    void positionsAfterTheTargetGetZero()
    {
        AttributionTarget target;
        target.position = 4;
        const AttributionResult result = attribute(target);
        bool earlierNonzero = false;
        for (const FeatureAttribution &f : result.features) {
            if (f.position > 4) {
                QCOMPARE(f.gradient, 0.0f);
                QCOMPARE(f.attribution, 0.0f);
            } else if (f.attribution != 0.0f) {
                earlierNonzero = true;
            }
        }
        QVERIFY(earlierNonzero);
        for (size_t t = 5; t < kTokens.size(); ++t) {
            QCOMPARE(result.errorAttribution[t], 0.0);
            QCOMPARE(result.totalAttribution[t], 0.0);
        }
    }

    // The gradients are the derivatives: central differences of separate forwards with the
    // feature's activation moved by ±ε.
    void gradientsMatchFiniteDifferences()
    {
        const AttributionResult result = attribute();
        const double epsilon = 0.02;
        std::vector<FeatureEdit> edits;
        std::vector<FeatureAttribution> checked;
        for (size_t i = 0; i < 12 && i < result.features.size(); ++i) {
            const FeatureAttribution &f = result.features[i];
            edits.push_back({f.position, f.feature, float(f.activation + epsilon)});
            edits.push_back({f.position, f.feature, float(f.activation - epsilon)});
            checked.push_back(f);
        }
        auto values = targetUnderEdits(*m_model, m_sae, kTokens, result.target, edits);
        QVERIFY2(values, qPrintable(values.status().message()));
        double largest = 0.0;
        for (const FeatureAttribution &f : checked) {
            largest = std::max(largest, double(std::abs(f.gradient)));
        }
        for (size_t i = 0; i < checked.size(); ++i) {
            const double difference =
                    (values.value()[2 * i] - values.value()[2 * i + 1]) / (2.0 * epsilon);
            QVERIFY2(std::abs(difference - checked[i].gradient) <= 0.02 * largest,
                     qPrintable(QStringLiteral("feature %1 at %2: gradient %3, finite "
                                               "difference %4")
                                        .arg(checked[i].feature)
                                        .arg(checked[i].position)
                                        .arg(checked[i].gradient)
                                        .arg(difference)));
        }
    }

    // Exact ablations (the feature set to zero, the error kept) against the linear estimates.
    void ablationsFollowTheLinearEstimates()
    {
        const AttributionResult result = attribute();
        auto checks = verifyByAblation(*m_model, m_sae, result, 16);
        QVERIFY2(checks, qPrintable(checks.status().message()));
        QCOMPARE(checks->size(), size_t(16));
        std::vector<double> estimated;
        std::vector<double> actual;
        for (const AblationCheck &check : checks.value()) {
            estimated.push_back(check.estimatedChange);
            actual.push_back(check.actualChange);
            QCOMPARE(check.estimatedChange, -double(check.feature.attribution));
        }
        const double r = pearson(estimated, actual);
        qInfo("ablation vs estimate over the top 16: r = %.4f; largest %.4g vs %.4g", r,
              estimated[0], actual[0]);
        QVERIFY2(r > 0.9, qPrintable(QString::number(r)));
        // Ablation is not infinitesimal (the model is nonlinear), but the large effects keep
        // the estimated sign.
        int agreeing = 0;
        for (size_t i = 0; i < 8; ++i) {
            agreeing += estimated[i] * actual[i] > 0.0 ? 1 : 0;
        }
        QVERIFY2(agreeing >= 7, qPrintable(QString::number(agreeing)));
    }

    // A logit difference: the value is the plain forward's difference, and the nodes add up.
    void logitDifferenceTarget()
    {
        AttributionTarget target;
        target.kind = AttributionTarget::Kind::LogitDifference;
        target.position = 6;
        target.token = 100;
        target.versus = 200;
        const AttributionResult result = attribute(target);
        auto plain = m_model->forward(kTokens);
        QVERIFY(plain.isOk());
        const float *row = plain->logits.values.data() + 6 * size_t(m_model->config().vocabSize);
        QVERIFY(std::abs(result.value - (double(row[100]) - double(row[200]))) < 1e-4);
        QVERIFY(std::abs(result.featureSum() + result.errorSum() + result.biasSum() -
                         result.total()) < 1e-4);
    }

    void refusesBadTargets()
    {
        AttributionTarget target;
        target.position = int(kTokens.size());
        auto past = attributeFeatures(*m_model, m_sae, kTokens, target);
        QVERIFY(!past);
        QVERIFY(past.status().message().contains(QStringLiteral("past the prompt")));
        target = {};
        target.kind = AttributionTarget::Kind::LogitDifference;
        auto noVersus = attributeFeatures(*m_model, m_sae, kTokens, target);
        QVERIFY(!noVersus);
        QVERIFY(noVersus.status().message().contains(QStringLiteral("versus")));
        const gpu::detail::SaeModule deep =
                test::mirrorSae(kWidth, 1.0, QStringLiteral("blocks.7.hook_resid_post"));
        auto wrongHook = attributeFeatures(*m_model, deep, kTokens, {});
        QVERIFY(!wrongHook);
        QVERIFY(wrongHook.status().message().contains(QStringLiteral("blocks.7")));
    }

    // Two SAEs at two layers in one pass: each result is bit for bit what attributing to that SAE
    // alone gives (the downstream splice passes the real residual stream and the gradient on).
    void severalSaesEqualTheirSingleRuns()
    {
        AttributionTarget target;
        target.position = 6;
        auto both = attributeFeatures(*m_model, {&m_sae, &m_deepSae}, kTokens, target);
        QVERIFY2(both, qPrintable(both.status().message()));
        QCOMPARE(both->size(), size_t(2));
        const gpu::detail::SaeModule *saes[] = {&m_sae, &m_deepSae};
        for (size_t i = 0; i < 2; ++i) {
            auto single = attributeFeatures(*m_model, *saes[i], kTokens, target);
            QVERIFY(single);
            const AttributionResult &joint = both.value()[i];
            QCOMPARE(joint.hook, saes[i]->config().hookName);
            QCOMPARE(joint.target.token, single->target.token);
            QCOMPARE(joint.value, single->value);
            QCOMPARE(joint.totalAttribution, single->totalAttribution);
            QCOMPARE(joint.errorAttribution, single->errorAttribution);
            QCOMPARE(joint.biasAttribution, single->biasAttribution);
            QCOMPARE(joint.features.size(), single->features.size());
            for (size_t j = 0; j < joint.features.size(); ++j) {
                QCOMPARE(joint.features[j].position, single->features[j].position);
                QCOMPARE(joint.features[j].feature, single->features[j].feature);
                QCOMPARE(joint.features[j].attribution, single->features[j].attribution);
            }
        }
        // Not the same numbers twice: the layers' totals differ.
        QVERIFY(std::abs(both.value()[0].total() - both.value()[1].total()) > 1e-6);
    }

    // With two SAEs: per SAE, features + error + bias = gradient × input at its hook; positions
    // after the target get zero; the gradients (the upstream one a total effect through the
    // downstream layer) equal central differences of separate forwards of the real model.
    void severalSaesAddUpAndMatchFiniteDifferences()
    {
        AttributionTarget target;
        target.position = 6;
        auto both = attributeFeatures(*m_model, {&m_sae, &m_deepSae}, kTokens, target);
        QVERIFY2(both, qPrintable(both.status().message()));
        const gpu::detail::SaeModule *saes[] = {&m_sae, &m_deepSae};
        for (size_t i = 0; i < 2; ++i) {
            const AttributionResult &result = both.value()[i];
            double scale = 0.0;
            for (const FeatureAttribution &f : result.features) {
                scale += std::abs(f.attribution);
                if (f.position > 6) {
                    QCOMPARE(f.attribution, 0.0f);
                }
            }
            for (size_t t = 7; t < kTokens.size(); ++t) {
                QCOMPARE(result.totalAttribution[t], 0.0);
                QCOMPARE(result.errorAttribution[t], 0.0);
            }
            const double sum = result.featureSum() + result.errorSum() + result.biasSum();
            QVERIFY2(std::abs(sum - result.total()) <= 1e-5 * scale,
                     qPrintable(QStringLiteral("SAE %1: %2 vs %3")
                                        .arg(i)
                                        .arg(sum)
                                        .arg(result.total())));
            const double epsilon = 0.02;
            std::vector<FeatureEdit> edits;
            double largest = 0.0;
            for (size_t j = 0; j < 8; ++j) {
                const FeatureAttribution &f = result.features[j];
                edits.push_back({f.position, f.feature, float(f.activation + epsilon)});
                edits.push_back({f.position, f.feature, float(f.activation - epsilon)});
                largest = std::max(largest, double(std::abs(f.gradient)));
            }
            auto values = targetUnderEdits(*m_model, *saes[i], kTokens, result.target, edits);
            QVERIFY2(values, qPrintable(values.status().message()));
            for (size_t j = 0; j < 8; ++j) {
                const double difference =
                        (values.value()[2 * j] - values.value()[2 * j + 1]) / (2.0 * epsilon);
                QVERIFY2(std::abs(difference - result.features[j].gradient) <= 0.02 * largest,
                         qPrintable(QStringLiteral("SAE %1 feature %2: gradient %3, finite "
                                                   "difference %4")
                                            .arg(i)
                                            .arg(result.features[j].feature)
                                            .arg(result.features[j].gradient)
                                            .arg(difference)));
            }
        }
    }

    // Two SAEs at one hook share its activations and gradient; a bad hook among several is named.
    void severalSaesAtOneHookAndABadOne()
    {
        auto twice = attributeFeatures(*m_model, {&m_sae, &m_sae}, kTokens, {});
        QVERIFY2(twice, qPrintable(twice.status().message()));
        QCOMPARE(twice.value()[0].totalAttribution, twice.value()[1].totalAttribution);
        QCOMPARE(twice.value()[0].features.size(), twice.value()[1].features.size());
        const gpu::detail::SaeModule deep =
                test::mirrorSae(kWidth, 1.0, QStringLiteral("blocks.7.hook_resid_post"));
        auto wrong = attributeFeatures(*m_model, {&m_sae, &deep}, kTokens, {});
        QVERIFY(!wrong);
        QVERIFY(wrong.status().message().contains(QStringLiteral("blocks.7")));
        auto none = attributeFeatures(*m_model, std::vector<const gpu::detail::SaeModule *>{},
                                      kTokens, {});
        QVERIFY(!none);
    }

    // The logit lens's last row is the model's output; its next-token columns agree with it.
    void logitLensLastRowIsTheModelsOutput()
    {
        auto lens = logitLens(*m_model, kTokens, 3, true);
        QVERIFY2(lens, qPrintable(lens.status().message()));
        const int layers = m_model->config().numHiddenLayers;
        QCOMPARE(lens->rows.size(), layers + 1);
        QCOMPARE(lens->rows.front(), QStringLiteral("blocks.0.hook_resid_pre"));
        QCOMPARE(lens->rows.back(), QStringLiteral("blocks.%1.hook_resid_post").arg(layers - 1));
        auto plain = m_model->forward(kTokens);
        QVERIFY(plain.isOk());
        const int vocab = m_model->config().vocabSize;
        const size_t count = kTokens.size();
        const float *last = lens->logProbabilities.values.data() + size_t(layers) * count * vocab;
        double worst = 0.0;
        for (size_t t = 0; t < count; ++t) {
            const float *logits = plain->logits.values.data() + t * vocab;
            const float top = *std::max_element(logits, logits + vocab);
            double norm = 0.0;
            for (int i = 0; i < vocab; ++i) {
                norm += std::exp(double(logits[i]) - top);
            }
            for (int i = 0; i < vocab; ++i) {
                const double expected = double(logits[i]) - top - std::log(norm);
                worst = std::max(worst, std::abs(double(last[t * vocab + i]) - expected));
            }
            const LogitLensCell &cell = lens->cells.back()[t];
            QCOMPARE(cell.topTokens.front(),
                     int(std::max_element(logits, logits + vocab) - logits));
            if (t + 1 < count) {
                const double p = std::exp(double(last[t * vocab + size_t(kTokens[t + 1])]));
                QVERIFY(std::abs(cell.nextProbability - p) < 1e-6);
            } else {
                QCOMPARE(cell.nextRank, -1);
            }
        }
        QVERIFY2(worst < 1e-4, qPrintable(QString::number(worst)));
        // Earlier rows decode something else.
        QVERIFY(lens->cells.front()[3].topTokens != lens->cells.back()[3].topTokens ||
                lens->cells.front()[3].topProbabilities != lens->cells.back()[3].topProbabilities);
    }

    // Attention patterns of every family against the float64 reference: rows sum to 1, the
    // causal mask, sliding windows (Gemma, Qwen2) and soft-caps (Gemma-2) included.
    void attentionPatternsMatchTheReference()
    {
        QTemporaryDir dir;
        const test::ProcessRun run = test::runProcess(
                QStringLiteral("/usr/bin/python3"),
                {test::dataPath(QStringLiteral("model_families/make_checkpoints.py")), dir.path()},
                120000);
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        QFile file(QDir(dir.path()).filePath(QStringLiteral("manifest.json")));
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QJsonArray cases =
                QJsonDocument::fromJson(file.readAll()).object()[QStringLiteral("cases")].toArray();
        int compared = 0;
        for (const QJsonValue &value : cases) {
            const QJsonObject c = value.toObject();
            if (c[QStringLiteral("dtype")].toString() != QLatin1String("F32")) {
                continue;
            }
            const QString name = c[QStringLiteral("name")].toString();
            auto model = LanguageModel::load(QDir(dir.path()).filePath(name));
            QVERIFY2(model, qPrintable(model.status().message()));
            std::vector<int> tokens;
            for (const QJsonValue &id : c[QStringLiteral("tokens")].toArray()) {
                tokens.push_back(id.toInt());
            }
            auto patterns = attentionPatterns(*model.value(), tokens);
            QVERIFY2(patterns, qPrintable(patterns.status().message()));
            const QJsonArray expected = c[QStringLiteral("patterns")].toArray();
            QCOMPARE(int(patterns->patterns.size()), int(expected.size()));
            for (int layer = 0; layer < expected.size(); ++layer) {
                const QJsonObject entry = expected[layer].toObject();
                const std::vector<double> reference = readDoubles(
                        QDir(dir.path()).filePath(entry[QStringLiteral("file")].toString()));
                const FloatTensor &actual = patterns->patterns[size_t(layer)];
                QCOMPARE(actual.values.size(), reference.size());
                const int64_t keys = actual.shape[2];
                double worst = 0.0;
                for (size_t i = 0; i < reference.size(); ++i) {
                    worst = std::max(worst, std::abs(double(actual.values[i]) - reference[i]));
                }
                for (size_t row = 0; row < actual.values.size() / size_t(keys); ++row) {
                    const double sum =
                            std::accumulate(actual.values.begin() + row * keys,
                                            actual.values.begin() + (row + 1) * keys, 0.0);
                    QVERIFY(std::abs(sum - 1.0) < 1e-5);
                }
                QVERIFY2(worst < 1e-5, qPrintable(QStringLiteral("%1 layer %2: max |diff| %3")
                                                          .arg(name)
                                                          .arg(layer)
                                                          .arg(worst)));
                ++compared;
            }
        }
        QVERIFY(compared >= 20);
    }
};

QTEST_GUILESS_MAIN(TestAttribution)
#include "tst_attribution.moc"
