#include "tests/support/fake_engine_client.h"
#include "widgets/panels/model_panel.h"
#include "widgets/panels/sae_picker.h"

#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QtTest>

using gyrus::test::FakeEngineClient;
using gyrus::widgets::ModelPanel;

namespace {
QString fieldText(const ModelPanel &panel, const char *name)
{
    auto *label = panel.findChild<QLabel *>(QString::fromLatin1(name));
    return label ? label->text() : QStringLiteral("(missing)");
}
}  // namespace

class TestModelPanel : public QObject
{
    Q_OBJECT
private Q_SLOTS:

    void loadShowsCardAndRemembersPath()
    {
        FakeEngineClient engine;
        ModelPanel panel(&engine);
        QSignalSpy recent(&panel, &ModelPanel::recentModelsChanged);
        panel.findChild<QComboBox *>(QStringLiteral("dtype"))
                ->setCurrentText(QStringLiteral("bfloat16"));
        panel.loadModel(QStringLiteral("/models/demo"));
        QVERIFY(panel.isBusy());
        QTRY_VERIFY(!panel.isBusy());
        QCOMPARE(fieldText(panel, "card.name"), QStringLiteral("demo"));
        QCOMPARE(fieldText(panel, "card.layers"), QStringLiteral("4"));
        QCOMPARE(fieldText(panel, "card.parameters"), QStringLiteral("5.4 M"));
        QCOMPARE(fieldText(panel, "card.family"), QStringLiteral("llama"));
        QCOMPARE(fieldText(panel, "card.quirks"), QStringLiteral("none"));
        // What a job touches of the mapped checkpoint.
        QCOMPARE(fieldText(panel, "card.weights"),
                 QStringLiteral("10.3 MiB bf16 in 2 shards, mapped; a job at layer L holds "
                                "2.0 MiB + 2.0 MiB per layer 0..L; generation 10.3 MiB"));
        QCOMPARE(engine.currentModel().dtype, gyrus::Dtype::BFloat16);
        QCOMPARE(recent.count(), 1);
        QCOMPARE(panel.recentModels(), QStringList{QStringLiteral("/models/demo")});
        QVERIFY(panel.statusText().contains(QStringLiteral("Loaded demo")));
    }

    // The card names the family and lists its quirks, one a line; the BOS rule is the family's
    // tooltip.
    void cardShowsFamilyAndQuirks()
    {
        FakeEngineClient engine;
        ModelPanel panel(&engine);
        panel.loadModel(QStringLiteral("/models/gemma-2-2b"));
        QTRY_VERIFY(!panel.isBusy());
        QCOMPARE(fieldText(panel, "card.family"), QStringLiteral("gemma2"));
        const QStringList quirks = fieldText(panel, "card.quirks").split(QLatin1Char('\n'));
        QCOMPARE(quirks, engine.currentModel().quirks);
        QVERIFY(quirks.contains(QStringLiteral("attention soft-cap 50")));
        auto *family = panel.findChild<QLabel *>(QStringLiteral("card.family"));
        QVERIFY(family->toolTip().contains(QStringLiteral("prepends BOS")));
    }

    // The SAE row flags an SAE that does not fit the model: an error for a d_in other than
    // d_model (the engine keeps an SAE when a model that does not fit is loaded after it), a
    // warning for another model_name; a failed load says which SAE is still in use.
    void saeFitIsFlagged()
    {
        FakeEngineClient engine;
        ModelPanel panel(&engine);
        gyrus::widgets::SaePicker *picker = panel.saePicker();
        picker->loadSae(QStringLiteral("/saes/wide"));
        QTRY_COMPARE(engine.currentSae().path, QStringLiteral("/saes/wide"));
        QVERIFY(picker->fitText().isEmpty());  // no model to fit yet
        panel.loadModel(QStringLiteral("/models/demo"));
        QTRY_VERIFY(!panel.isBusy());
        QTRY_VERIFY2(picker->fitText().startsWith(QStringLiteral("Does not fit demo")),
                     qPrintable(picker->fitText()));
        QVERIFY2(picker->fitText().contains(QStringLiteral("d_in is 768")) &&
                         picker->fitText().contains(QStringLiteral("d_model 256")),
                 qPrintable(picker->fitText()));

        picker->loadSae(QStringLiteral("/saes/gpt2-res"));
        QTRY_COMPARE(engine.currentSae().path, QStringLiteral("/saes/gpt2-res"));
        QVERIFY2(picker->fitText().contains(QStringLiteral("trained on gpt2-small")) &&
                         picker->fitText().contains(QStringLiteral("demo")),
                 qPrintable(picker->fitText()));
        QVERIFY(picker->statusText().contains(QStringLiteral("trained on gpt2-small")));

        picker->loadSae(QStringLiteral("/saes/missing"));
        QTRY_VERIFY2(picker->statusText().contains(QStringLiteral("still using gpt2-res")),
                     qPrintable(picker->statusText()));

        picker->loadSae(QStringLiteral("/saes/plain"));
        QTRY_COMPARE(engine.currentSae().path, QStringLiteral("/saes/plain"));
        QCOMPARE(picker->fitText(), QStringLiteral("Fits demo."));
    }

    void loadErrorIsShownInPlace()
    {
        FakeEngineClient engine;
        ModelPanel panel(&engine);
        panel.loadModel(QStringLiteral("/models/missing"));
        QTRY_VERIFY(!panel.isBusy());
        QVERIFY2(panel.statusText().contains(QStringLiteral("no config.json")),
                 qPrintable(panel.statusText()));
        QCOMPARE(fieldText(panel, "card.name"), QStringLiteral("—"));
        QVERIFY(panel.recentModels().isEmpty());
    }

    // The path boxes show what is loaded: a path that failed goes (the status line names it),
    // and Return loads exactly what was typed, never an inline completion of it.
    void pathBoxesShowWhatIsLoaded()
    {
        FakeEngineClient engine;
        ModelPanel panel(&engine);
        panel.show();
        QVERIFY(QTest::qWaitForWindowExposed(&panel));
        auto *modelPath = panel.findChild<QComboBox *>(QStringLiteral("modelPath"));
        auto *saePath = panel.findChild<QComboBox *>(QStringLiteral("saePath"));
        panel.loadModel(QStringLiteral("/models/demo"));
        QTRY_VERIFY(!panel.isBusy());
        panel.loadModel(QStringLiteral("/models/missing"));
        QTRY_VERIFY(panel.statusText().contains(QStringLiteral("/models/missing")) ||
                    panel.statusText().contains(QStringLiteral("no config.json")));
        QTRY_VERIFY(!panel.isBusy());
        QCOMPARE(modelPath->currentText(), QStringLiteral("/models/demo"));

        gyrus::widgets::SaePicker *picker = panel.saePicker();
        picker->loadSae(QStringLiteral("/saes/plain-wide"));
        QTRY_COMPARE(engine.currentSae().path, QStringLiteral("/saes/plain-wide"));
        picker->loadSae(QStringLiteral("/saes/missing"));
        QTRY_VERIFY(picker->statusText().contains(QStringLiteral("still using")));
        QCOMPARE(saePath->currentText(), QStringLiteral("/saes/plain-wide"));
        QCOMPARE(saePath->findText(QStringLiteral("/saes/missing")), -1);

        saePath->lineEdit()->clear();
        saePath->lineEdit()->setFocus();
        QTest::keyClicks(saePath->lineEdit(), QStringLiteral("/saes/plain"));
        QTest::keyClick(saePath->lineEdit(), Qt::Key_Return);
        QTRY_COMPARE(engine.currentSae().path, QStringLiteral("/saes/plain"));
    }

    void newerLoadSupersedesOlder()
    {
        FakeEngineClient engine;
        engine.setSliceMs(5);
        ModelPanel panel(&engine);
        panel.loadModel(QStringLiteral("/models/first"));
        panel.loadModel(QStringLiteral("/models/second"));
        QTRY_VERIFY(!panel.isBusy());
        QCOMPARE(fieldText(panel, "card.name"), QStringLiteral("second"));
        QCOMPARE(panel.recentModels(), QStringList{QStringLiteral("/models/second")});
    }

    void cancelStopsLoading()
    {
        FakeEngineClient engine;
        engine.setSliceMs(20);
        engine.setLoadSlices(200);
        ModelPanel panel(&engine);
        panel.loadModel(QStringLiteral("/models/big"));
        auto *cancel = panel.findChild<QPushButton *>(QStringLiteral("cancel"));
        QTRY_VERIFY(cancel->isEnabled());
        QTest::mouseClick(cancel, Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(!panel.isBusy(), 2000);
        QVERIFY(panel.statusText().contains(QStringLiteral("cancelled")));
        QCOMPARE(fieldText(panel, "card.name"), QStringLiteral("—"));
    }

    void generationStreamsTokens()
    {
        FakeEngineClient engine;
        ModelPanel panel(&engine);
        auto *generate = panel.findChild<QPushButton *>(QStringLiteral("generate"));
        QVERIFY(!generate->isEnabled());  // no model yet
        panel.loadModel(QStringLiteral("/models/demo"));
        QTRY_VERIFY(generate->isEnabled() && !panel.isBusy());
        panel.findChild<QPlainTextEdit *>(QStringLiteral("prompt"))
                ->setPlainText(QStringLiteral("The jury"));
        QTest::mouseClick(generate, Qt::LeftButton);
        QCOMPARE(generate->text(), QStringLiteral("Stop"));
        QTRY_COMPARE(panel.output(), QStringLiteral(" the court said."));
        QTRY_COMPARE(generate->text(), QStringLiteral("Generate"));
        QVERIFY(engine.log().contains(QStringLiteral("generate The jury")));
    }

    void stopEndsGeneration()
    {
        FakeEngineClient engine;
        ModelPanel panel(&engine);
        panel.loadModel(QStringLiteral("/models/demo"));
        QTRY_VERIFY(!panel.isBusy());
        QStringList many;
        for (int i = 0; i < 500; ++i) {
            many << QStringLiteral(" w%1").arg(i);
        }
        engine.setGeneratedTokens(many);
        engine.setSliceMs(5);
        auto *generate = panel.findChild<QPushButton *>(QStringLiteral("generate"));
        QTest::mouseClick(generate, Qt::LeftButton);
        QTRY_VERIFY(!panel.output().isEmpty());
        QTest::mouseClick(generate, Qt::LeftButton);  // "Stop"
        QTRY_VERIFY(!panel.isBusy());
        QVERIFY(panel.output().count(QLatin1Char('w')) < 40);
        QVERIFY(panel.statusText().contains(QStringLiteral("stopped")));
    }
};

QTEST_MAIN(TestModelPanel)
#include "tst_model_panel.moc"
