#include "core/prompt_set_io.h"
#include "core/prompt_set_model.h"
#include "tests/support/test_paths.h"
#include "widgets/prompt_sets_panel.h"

#include <QSignalSpy>
#include <QTemporaryDir>
#include <QUndoStack>
#include <QtTest>

using gyrus::PromptSetModel;
using gyrus::widgets::PromptSetsPanel;

namespace {
const QString kPremiseTruth = QStringLiteral(
        "datasets/prompt-sets/seed/SR_TOPIC_2_LOGIC_PREMISES/unifactorial-premise-truth.json");
const QString kLogicalReasoning = QStringLiteral(
        "datasets/prompt-sets/seed/SR_TOPIC_2_LOGIC_PREMISES/bifactorial-logical-reasoning.json");
}  // namespace

class TestPromptSetsPanel : public QObject
{
    Q_OBJECT
private Q_SLOTS:

    void libraryListsTheShippedSets()
    {
        PromptSetsPanel panel;
        panel.setLibraryRoot(gyrus::test::sourcePath(QStringLiteral("datasets/prompt-sets")));
        QCOMPARE(panel.libraryFileCount(), 28);  // the seed's 26 files and the 2 demo sets
    }

    void opensSeedFileWithItsDesign()
    {
        PromptSetsPanel panel;
        QSignalSpy changed(&panel, &PromptSetsPanel::promptSetChanged);
        QVERIFY(panel.openFile(gyrus::test::sourcePath(kLogicalReasoning)).isOk());
        QCOMPARE(panel.model()->rowCount(), 200);
        QCOMPARE(panel.promptSet().factors.size(), 2);
        QVERIFY(panel.summaryText().contains(QStringLiteral("200 items in 4 conditions")));
        QVERIFY(changed.count() >= 1);
        QVERIFY(!panel.isModified());
    }

    void badFileIsReportedNotFatal()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("broken.json"));
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("{\"a\": [\"x\",");
        file.close();
        PromptSetsPanel panel;
        QVERIFY(panel.openFile(gyrus::test::sourcePath(kPremiseTruth)).isOk());
        const gyrus::Status status = panel.openFile(path);
        QVERIFY(!status.isOk());
        QVERIFY(status.message().contains(QStringLiteral("broken.json")));
        QCOMPARE(panel.model()->rowCount(), 100);  // the open set is kept
    }

    void editsUndoAndRedo()
    {
        PromptSetsPanel panel;
        QVERIFY(panel.openFile(gyrus::test::sourcePath(kPremiseTruth)).isOk());
        const gyrus::PromptSet original = panel.promptSet();
        QVERIFY(panel.setCell(0, PromptSetModel::textColumn(),
                              QStringLiteral("Rome is the capital of Italy.")));
        QVERIFY(panel.isModified());
        QCOMPARE(panel.promptSet().items.at(0).text,
                 QStringLiteral("Rome is the capital of Italy."));
        panel.removeItems({1, 2});
        QCOMPARE(panel.model()->rowCount(), 98);
        panel.addItem();
        QCOMPARE(panel.model()->rowCount(), 99);
        QCOMPARE(panel.undoStack()->count(), 3);

        panel.undoStack()->undo();  // add
        panel.undoStack()->undo();  // remove
        QCOMPARE(panel.model()->rowCount(), 100);
        QCOMPARE(panel.promptSet().items.at(1), original.items.at(1));
        panel.undoStack()->undo();  // edit
        QCOMPARE(panel.promptSet(), original);
        QVERIFY(!panel.isModified());
        panel.undoStack()->redo();
        QCOMPARE(panel.promptSet().items.at(0).text,
                 QStringLiteral("Rome is the capital of Italy."));
    }

    // Destroying a panel with unsaved edits: the undo stack (a child) clears itself and signals
    // "clean" after the panel's destructor has run; nothing may reach the half-destroyed panel
    // or claim its modified state changed.
    void teardownWithUnsavedEditsSignalsNothing()
    {
        auto *panel = new PromptSetsPanel;
        QVERIFY(panel->openFile(gyrus::test::sourcePath(kPremiseTruth)).isOk());
        QVERIFY(panel->setCell(0, PromptSetModel::textColumn(), QStringLiteral("Edited.")));
        QVERIFY(panel->isModified());
        QSignalSpy modified(panel, &PromptSetsPanel::modifiedChanged);
        delete panel;
        QCOMPARE(modified.count(), 0);
    }

    void refusedEditIsNotRecorded()
    {
        PromptSetsPanel panel;
        QVERIFY(panel.openFile(gyrus::test::sourcePath(kPremiseTruth)).isOk());
        const QString duplicateId = panel.promptSet().items.at(1).id;
        QVERIFY(!panel.setCell(0, PromptSetModel::idColumn(), duplicateId));
        QCOMPARE(panel.undoStack()->count(), 0);
    }

    void duplicateKeepsTextAndLevels()
    {
        PromptSetsPanel panel;
        QVERIFY(panel.openFile(gyrus::test::sourcePath(kLogicalReasoning)).isOk());
        panel.duplicateItems({150});
        const auto &items = panel.promptSet().items;
        QCOMPARE(items.size(), 201);
        QCOMPARE(items.last().text, items.at(150).text);
        QCOMPARE(items.last().levels, items.at(150).levels);
        QVERIFY(items.last().id != items.at(150).id);
    }

    void factorsCanBeRedefined()
    {
        PromptSetsPanel panel;
        panel.newSet();
        QVERIFY(panel.setFactorsFromText(
                             QStringLiteral("valence: positive, negative\nlength: short, long"))
                        .isOk());
        QCOMPARE(panel.promptSet().factors.size(), 2);
        QCOMPARE(panel.promptSet().factors.at(1).levels,
                 (QStringList{QStringLiteral("short"), QStringLiteral("long")}));
        QVERIFY(!panel.setFactorsFromText(QStringLiteral("valence positive")).isOk());
        QVERIFY(!panel.setFactorsFromText(QStringLiteral("valence: only")).isOk());
        panel.undoStack()->undo();
        QCOMPARE(panel.promptSet().factors.size(), 1);
    }

    void saveWritesGyrusSchemaThatReloadsEqual()
    {
        QTemporaryDir dir;
        PromptSetsPanel panel;
        QVERIFY(panel.openFile(gyrus::test::sourcePath(kLogicalReasoning)).isOk());
        QVERIFY(panel.setCell(3, PromptSetModel::textColumn(), QStringLiteral("Edited sentence.")));
        const QString path = dir.filePath(QStringLiteral("edited.gyrus.json"));
        QVERIFY(panel.saveAs(path).isOk());
        QVERIFY(!panel.isModified());
        auto reloaded = gyrus::loadPromptSet(path);
        QVERIFY(reloaded.isOk());
        QCOMPARE(reloaded->set.format, gyrus::PromptSet::Format::Gyrus);
        QCOMPARE(reloaded->set, panel.promptSet());
    }
};

QTEST_MAIN(TestPromptSetsPanel)
#include "tst_prompt_sets_panel.moc"
