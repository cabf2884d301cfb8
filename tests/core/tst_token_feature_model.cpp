// TokenFeatureModel: the heatmap dock's list of one token's active features, with the hub's
// labels, checked by QAbstractItemModelTester.

#include "core/features/token_feature_model.h"
#include "core/session/selection_hub.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QtTest>

#include <memory>

using namespace gyrus;

class TestTokenFeatureModel : public QObject
{
    Q_OBJECT
private Q_SLOTS:

    void listsFeaturesWithLabelsAndValues()
    {
        SelectionHub hub;
        hub.setAnnotation(7, FeatureAnnotation{QStringLiteral("past tense"), QString()});
        TokenFeatureModel model(&hub);
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setFeatures({FeatureValue{7, 2.5f}, FeatureValue{300, 0.125f}});
        QCOMPARE(model.rowCount(), 2);
        QCOMPARE(model.columnCount(), int(TokenFeatureModel::ColumnCount));
        QCOMPARE(model.index(0, TokenFeatureModel::FeatureColumn).data().toString(),
                 QStringLiteral("#7"));
        QCOMPARE(model.index(0, TokenFeatureModel::LabelColumn).data().toString(),
                 QStringLiteral("past tense"));
        QCOMPARE(model.index(1, TokenFeatureModel::ActivationColumn).data().toString(),
                 QStringLiteral("0.125"));
        QCOMPARE(model.index(1, TokenFeatureModel::LabelColumn)
                         .data(TokenFeatureModel::FeatureRole)
                         .toInt(),
                 300);
        QCOMPARE(model.index(0, 0).data(TokenFeatureModel::ValueRole).toDouble(), 2.5);
        QCOMPARE(model.featureAt(1), 300);
        QCOMPARE(model.featureAt(2), -1);
        QCOMPARE(model.featureAt(-1), -1);

        // A label edited elsewhere shows up without a reset.
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
        hub.setAnnotation(300, FeatureAnnotation{QStringLiteral("legal"), QString()});
        QCOMPARE(changed.count(), 1);
        QCOMPARE(reset.count(), 0);
        QCOMPARE(model.index(1, TokenFeatureModel::LabelColumn).data().toString(),
                 QStringLiteral("legal"));

        model.setFeatures({});
        QCOMPARE(model.rowCount(), 0);
    }

    void worksWithoutAHubAndOutlivesIt()
    {
        auto hub = std::make_unique<SelectionHub>();
        hub->setAnnotation(1, FeatureAnnotation{QStringLiteral("one"), QString()});
        TokenFeatureModel model(hub.get());
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setFeatures({FeatureValue{1, 1.0f}});
        QCOMPARE(model.index(0, TokenFeatureModel::LabelColumn).data().toString(),
                 QStringLiteral("one"));
        hub.reset();  // the model keeps a guarded pointer
        QCOMPARE(model.index(0, TokenFeatureModel::LabelColumn).data().toString(), QString());
        TokenFeatureModel bare;
        bare.setFeatures({FeatureValue{4, 0.5f}});
        QCOMPARE(bare.index(0, TokenFeatureModel::FeatureColumn).data().toString(),
                 QStringLiteral("#4"));
    }
};

QTEST_GUILESS_MAIN(TestTokenFeatureModel)
#include "tst_token_feature_model.moc"
