#include "core/session/selection_hub.h"
#include "core/steering/clamp_set.h"

#include <QSignalSpy>
#include <QTest>

using namespace gyrus;

class TestClampSet : public QObject
{
    Q_OBJECT
private Q_SLOTS:

    void jsonRoundTrip()
    {
        ClampSet set;
        set.name = QStringLiteral("past tense");
        set.clamps.append({12, ClampMode::Clamp, 4.5, ClampPositions::All, true});
        set.clamps.append({7, ClampMode::Scale, 0.25, ClampPositions::Generated, false});
        set.clamps.append({1535, ClampMode::Add, -3.0, ClampPositions::Prompt, true});
        const Result<ClampSet> back = clampSetFromJson(clampSetToJson(set), QStringLiteral("x"));
        QVERIFY2(back.isOk(), qPrintable(back.status().message()));
        QCOMPARE(back.value(), set);
        QVERIFY(!set.isEmpty());
        set.clamps[0].enabled = false;
        set.clamps[2].enabled = false;
        QVERIFY(set.isEmpty());
    }

    void badJsonNamesFileAndEntry_data()
    {
        QTest::addColumn<QByteArray>("json");
        QTest::addColumn<QString>("expected");
        QTest::newRow("syntax") << QByteArray("{") << QStringLiteral("clamps.json: not valid JSON");
        QTest::newRow("no clamps") << QByteArray("{}") << QStringLiteral("\"clamps\"");
        QTest::newRow("negative feature") << QByteArray(R"({"clamps":[{"feature":-1,"value":1}]})")
                                          << QStringLiteral("clamps[0]: \"feature\"");
        QTest::newRow("fractional feature")
                << QByteArray(R"({"clamps":[{"feature":1.5,"value":1}]})")
                << QStringLiteral("clamps[0]: \"feature\"");
        QTest::newRow("mode") << QByteArray(R"({"clamps":[{"feature":1,"mode":"zap","value":1}]})")
                              << QStringLiteral("\"mode\"");
        QTest::newRow("value") << QByteArray(R"({"clamps":[{"feature":1,"value":"big"}]})")
                               << QStringLiteral("\"value\"");
        QTest::newRow("duplicate")
                << QByteArray(R"({"clamps":[{"feature":1,"value":1},{"feature":1,"value":2}]})")
                << QStringLiteral("clamps[1]: feature 1 appears twice");
    }

    void badJsonNamesFileAndEntry()
    {
        QFETCH(QByteArray, json);
        QFETCH(QString, expected);
        const Result<ClampSet> parsed = clampSetFromJson(json, QStringLiteral("clamps.json"));
        QVERIFY(!parsed.isOk());
        QVERIFY2(parsed.status().message().contains(expected),
                 qPrintable(parsed.status().message()));
        QVERIFY(parsed.status().message().startsWith(QStringLiteral("clamps.json")));
    }

    void parsesFeatureValue()
    {
        const std::optional<FeatureClamp> parsed = parseFeatureValue(QStringLiteral("12=4.5"));
        QVERIFY(parsed.has_value());
        QCOMPARE(parsed->feature, 12);
        QCOMPARE(parsed->value, 4.5);
        QCOMPARE(parsed->mode, ClampMode::Clamp);
        for (const char *bad : {"12", "=4", "-1=2", "1.5=2", "x=2", "3=y", "3=inf", "3=4=5", ""}) {
            QVERIFY2(!parseFeatureValue(QString::fromLatin1(bad)).has_value(), bad);
        }
    }

    void hubSignalsOnlyOnChange()
    {
        SelectionHub hub;
        QSignalSpy selected(&hub, &SelectionHub::featureSelected);
        QSignalSpy clamps(&hub, &SelectionHub::clampSetChanged);
        hub.selectFeature(5, QStringLiteral("heatmap"));
        hub.selectFeature(5, QStringLiteral("inspector"));
        QCOMPARE(selected.count(), 1);
        QCOMPARE(selected.at(0).at(1).toString(), QStringLiteral("heatmap"));
        hub.addClamp({5, ClampMode::Clamp, 2.0});
        hub.addClamp({5, ClampMode::Scale, 3.0});  // replaces the entry for feature 5
        QCOMPARE(hub.clampSet().clamps.size(), 1);
        QCOMPARE(hub.clampSet().clamps.at(0).mode, ClampMode::Scale);
        hub.removeClamp(99);  // absent: no signal
        QCOMPARE(clamps.count(), 2);
        hub.setAnnotation(5, {QStringLiteral("past tense"), QString()});
        QCOMPARE(hub.annotation(5).label, QStringLiteral("past tense"));
        hub.setAnnotation(5, {});
        QVERIFY(hub.annotations().isEmpty());
        hub.reset();
        QCOMPARE(hub.selectedFeature(), -1);
        QVERIFY(hub.clampSet().clamps.isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestClampSet)
#include "tst_clamp_set.moc"
