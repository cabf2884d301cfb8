// The analysis vocabulary (core/base/vocabulary.h): the names files, the CLI and JSON use are
// pinned here (changing one breaks saved workspaces and scripts), every name reads back, older
// names still read, and an unknown name is refused naming the valid ones; the result archive writes
// the same spellings as before the requests carried enums and reads the older ones.

#include "core/base/vocabulary.h"
#include "core/session/result_archive.h"

#include <QJsonArray>
#include <QSet>
#include <QTest>

using namespace gyrus;

namespace {

QStringList names(const char *spaced)
{
    return QString::fromLatin1(spaced).split(QLatin1Char(' '));
}

template <typename E>
bool roundTrips()
{
    QSet<QString> labels;
    for (E value : valuesOf<E>()) {
        if (fromName<E>(nameOf(value)) != value || labelOf(value).isEmpty()) {
            return false;
        }
        labels.insert(labelOf(value));
    }
    return labels.size() == int(valuesOf<E>().size());  // labels tell the values apart
}

RsaResult smallRsaResult()
{
    RsaResult result;
    result.request.pooling = Pooling::LastToken;
    result.request.metric = RdmMetric::SquaredEuclidean;
    result.request.selectionMethod = SelectionMethod::PooledSeparationR;
    result.request.comparisonMethod = RsaMethod::KendallTauA;
    result.rdm =
            *Rdm::fromCondensed({QStringLiteral("a"), QStringLiteral("b"), QStringLiteral("c")},
                                {1.0F, 2.0F, 3.0F}, QStringLiteral("sqeuclidean"));
    result.items = {0, 1, 2};
    result.texts = {QStringLiteral("x"), QStringLiteral("y"), QStringLiteral("z")};
    result.conditions = {QStringLiteral("p"), QStringLiteral("p"), QStringLiteral("q")};
    return result;
}

PromptSet threeItems()
{
    PromptSet set;
    for (const char *text : {"x", "y", "z"}) {
        PromptItem item;
        item.text = QString::fromLatin1(text);
        set.items.append(item);
    }
    return set;
}

}  // namespace

class TestVocabulary : public QObject
{
    Q_OBJECT
private Q_SLOTS:

    void namesArePinned()
    {
        QCOMPARE(namesOf<Pooling>(),
                 names("last mean target legacy-centred legacy-left-first window"));
        QCOMPARE(namesOf<WindowAlignment>(), names("left target"));
        QCOMPARE(namesOf<RdmMetric>(), names("correlation cosine euclidean sqeuclidean"));
        QCOMPARE(namesOf<RsaMethod>(), names("spearman kendall_tau_a pearson"));
        // `gyrus-cli rsa --alternative` and its JSON, and workspaces.
        QCOMPARE(namesOf<RsaAlternative>(), names("greater two-sided"));
        QCOMPARE(namesOf<SelectionMethod>(),
                 names("mean-difference univariate pooled-separation-r pooled-separation-d "
                       "seed-max-activation temporal-discriminative-rsa temporal-categorical-rsa "
                       "seed-temporal-discriminative-rsa seed-temporal-categorical-rsa "
                       "feature-set-rsa"));
        QCOMPARE(pooledSelectionMethodNames(),
                 names("mean-difference univariate pooled-separation-r pooled-separation-d "
                       "seed-max-activation"));
        QCOMPARE(namesOf<SaeArchitecture>(), names("relu topk batchtopk jumprelu"));
        QCOMPARE(namesOf<SaeInputNormalisation>(), names("none constant_norm_rescale layer_norm"));
        // Model cards, `gyrus-cli info` and workspaces write these; the Model dock shows labels.
        QCOMPARE(namesOf<Dtype>(), names("fp32 bf16 fp16 bf16-autocast"));
        QCOMPARE(labelOf(Dtype::BFloat16), QStringLiteral("bfloat16"));
    }

    void everyNameReadsBackAndEveryLabelDiffers()
    {
        QVERIFY(roundTrips<Pooling>());
        QVERIFY(roundTrips<WindowAlignment>());
        QVERIFY(roundTrips<RdmMetric>());
        QVERIFY(roundTrips<RsaMethod>());
        QVERIFY(roundTrips<RsaAlternative>());
        QVERIFY(roundTrips<SelectionMethod>());
        QVERIFY(roundTrips<SaeArchitecture>());
        QVERIFY(roundTrips<SaeInputNormalisation>());
        QVERIFY(roundTrips<Dtype>());
        QCOMPARE(labelOf(RsaMethod::KendallTauA), QStringLiteral("Kendall τₐ"));
        QCOMPARE(labelOf(Pooling::Mean), QStringLiteral("Mean over tokens"));
    }

    void olderNamesStillRead()
    {
        QCOMPARE(fromName<SelectionMethod>(QStringLiteral("max-activation")),
                 SelectionMethod::MeanDifference);
        QCOMPARE(fromName<SelectionMethod>(QStringLiteral("discriminative-rsa")),
                 SelectionMethod::PooledSeparationR);
        QCOMPARE(fromName<SelectionMethod>(QStringLiteral("categorical-rsa")),
                 SelectionMethod::PooledSeparationD);
        // An older name is read, never written.
        QCOMPARE(nameOf(SelectionMethod::PooledSeparationD), QStringLiteral("pooled-separation-d"));
        QCOMPARE(fromName<SaeArchitecture>(QStringLiteral("standard")), SaeArchitecture::Relu);
        // cfg.json files spell architectures in any case; the other names are exact.
        QCOMPARE(fromName<SaeArchitecture>(QStringLiteral("TopK")), SaeArchitecture::TopK);
        QVERIFY(!fromName<Pooling>(QStringLiteral("Mean")));
        // Every dtype spelling the CLI accepted and workspaces saved (the Model dock's
        // float32/bfloat16/float16, the engine's fp32/bf16/fp16) still reads, in any case.
        for (const char *name : {"fp32", "float32", "f32", "FP32"}) {
            QCOMPARE(fromName<Dtype>(QLatin1String(name)), Dtype::Float32);
        }
        for (const char *name : {"bf16", "bfloat16", "BF16"}) {
            QCOMPARE(fromName<Dtype>(QLatin1String(name)), Dtype::BFloat16);
        }
        for (const char *name : {"fp16", "float16", "half"}) {
            QCOMPARE(fromName<Dtype>(QLatin1String(name)), Dtype::Float16);
        }
        QCOMPARE(fromName<Dtype>(QStringLiteral("bf16-autocast")), Dtype::BFloat16Autocast);
        QVERIFY(!fromName<RdmMetric>(QString()));
    }

    void anUnknownNameIsRefusedNamingTheValidOnes()
    {
        const Result<Pooling> pooling = parseName<Pooling>(QStringLiteral("max"));
        QVERIFY(!pooling);
        QCOMPARE(pooling.status().code(), Status::Code::InvalidInput);
        QCOMPARE(pooling.status().message(),
                 QStringLiteral("unknown pooling 'max' (valid: last, mean, target, "
                                "legacy-centred, legacy-left-first, window)"));
        const Result<RsaMethod> method = parseName<RsaMethod>(QStringLiteral("kendall"));
        QCOMPARE(method.status().message(),
                 QStringLiteral("unknown RDM comparison method 'kendall' (valid: spearman, "
                                "kendall_tau_a, pearson)"));
        QCOMPARE(parseName<RdmMetric>(QStringLiteral("cosine")).value(), RdmMetric::Cosine);
        QCOMPARE(parseName<Dtype>(QStringLiteral("int8")).status().message(),
                 QStringLiteral("unknown dtype 'int8' (valid: fp32, bf16, fp16, bf16-autocast)"));
    }

    void pooledAndTemporalMethods()
    {
        int pooled = 0;
        int temporal = 0;
        for (SelectionMethod method : valuesOf<SelectionMethod>()) {
            pooled += isPooledMethod(method) ? 1 : 0;
            temporal += isTemporalMethod(method) ? 1 : 0;
            QVERIFY(!(isPooledMethod(method) && isTemporalMethod(method)));
        }
        QCOMPARE(pooled, 5);
        QCOMPARE(temporal, 4);
        QVERIFY(!isPooledMethod(SelectionMethod::FeatureSetRsa));
        QVERIFY(!isTemporalMethod(SelectionMethod::FeatureSetRsa));
    }

    // A workspace keeps the names; the enums in the requests change nothing in the file.
    void rsaArchiveWritesTheNamesAndReadsOlderOnes()
    {
        WorkspaceData data;
        const QJsonObject json = archiveRsaResult(smallRsaResult(), QStringLiteral("rsa"), &data);
        const QJsonObject request = json.value(QStringLiteral("request")).toObject();
        QCOMPARE(request.value(QStringLiteral("pooling")).toString(), QStringLiteral("last"));
        QCOMPARE(request.value(QStringLiteral("metric")).toString(), QStringLiteral("sqeuclidean"));
        QCOMPARE(request.value(QStringLiteral("selection_method")).toString(),
                 QStringLiteral("pooled-separation-r"));
        QCOMPARE(request.value(QStringLiteral("comparison_method")).toString(),
                 QStringLiteral("kendall_tau_a"));

        const auto restored = unarchiveRsaResult(json, QStringLiteral("rsa"), data, threeItems());
        QVERIFY2(restored, qPrintable(restored.status().message()));
        QCOMPARE(restored.value()->request.pooling, Pooling::LastToken);
        QCOMPARE(restored.value()->request.metric, RdmMetric::SquaredEuclidean);
        QCOMPARE(restored.value()->request.selectionMethod, SelectionMethod::PooledSeparationR);
        QCOMPARE(restored.value()->request.comparisonMethod, RsaMethod::KendallTauA);

        // Workspaces saved before the scores were renamed.
        QJsonObject older = json;
        QJsonObject olderRequest = request;
        olderRequest[QStringLiteral("selection_method")] = QStringLiteral("categorical-rsa");
        older[QStringLiteral("request")] = olderRequest;
        const auto fromOlder = unarchiveRsaResult(older, QStringLiteral("rsa"), data, threeItems());
        QVERIFY2(fromOlder, qPrintable(fromOlder.status().message()));
        QCOMPARE(fromOlder.value()->request.selectionMethod, SelectionMethod::PooledSeparationD);

        // A name no version wrote: refused, naming it.
        QJsonObject bad = json;
        QJsonObject badRequest = request;
        badRequest[QStringLiteral("metric")] = QStringLiteral("manhattan");
        bad[QStringLiteral("request")] = badRequest;
        const auto refused = unarchiveRsaResult(bad, QStringLiteral("rsa"), data, threeItems());
        QVERIFY(!refused);
        QVERIFY(refused.status().message().contains(QStringLiteral("'manhattan'")));
    }

    void methodComparisonArchiveWritesTheNames()
    {
        MethodComparisonResult result;
        result.settings.source.pooling = Pooling::Window;
        for (SelectionMethod method :
             {SelectionMethod::Univariate, SelectionMethod::TemporalCategoricalRsa}) {
            MethodComparisonRow row;
            row.method = method;
            row.selectedFeatures = {3, 1};
            result.rows.append(row);
        }
        WorkspaceData data;
        const QJsonObject json = archiveMethodComparison(result, QStringLiteral("m"), &data);
        QCOMPARE(json.value(QStringLiteral("source")).toObject().value(QStringLiteral("pooling")),
                 QJsonValue(QStringLiteral("window")));
        QCOMPARE(data.value(QStringLiteral("m.methods")).strings,
                 names("univariate temporal-categorical-rsa"));
        const auto restored = unarchiveMethodComparison(json, QStringLiteral("m"), data);
        QVERIFY2(restored, qPrintable(restored.status().message()));
        QCOMPARE(restored.value()->rows.size(), 2);
        QCOMPARE(restored.value()->rows[1].method, SelectionMethod::TemporalCategoricalRsa);
        QCOMPARE(restored.value()->settings.source.pooling, Pooling::Window);

        WorkspaceData renamed = data;
        renamed[QStringLiteral("m.methods")] = WorkspaceArray::ofStrings(
                {QStringLiteral("max-activation"), QStringLiteral("nope")});
        const auto refused = unarchiveMethodComparison(json, QStringLiteral("m"), renamed);
        QVERIFY(!refused);
        QVERIFY(refused.status().message().contains(QStringLiteral("'nope'")));
    }

    void contrastSourceReportsAnUnknownPooling()
    {
        ContrastSource source;
        source.pooling = Pooling::LegacyCentred;
        QJsonObject json = contrastSourceToJson(source);
        QCOMPARE(json.value(QStringLiteral("pooling")).toString(),
                 QStringLiteral("legacy-centred"));
        Status problem;
        QCOMPARE(contrastSourceFromJson(json, PromptSet(), &problem).pooling,
                 Pooling::LegacyCentred);
        QVERIFY(problem.isOk());
        json[QStringLiteral("pooling")] = QStringLiteral("max");
        QCOMPARE(contrastSourceFromJson(json, PromptSet(), &problem).pooling, Pooling::Mean);
        QVERIFY(problem.message().contains(QStringLiteral("unknown pooling 'max'")));
    }
};

QTEST_APPLESS_MAIN(TestVocabulary)
#include "tst_vocabulary.moc"
