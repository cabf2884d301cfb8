#include "core/prompts/prompt_set_io.h"
#include "core/prompts/prompt_set_model.h"
#include "tests/support/test_paths.h"
#include "widgets/panels/prompt_sets_panel.h"
#include "widgets/views/factors_dialog.h"

#include <QDir>
#include <QFile>
#include <QSignalSpy>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QToolBar>
#include <QTreeView>
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

    void libraryListsEveryJsonFileUnderItsRootByFolder()
    {
        QTemporaryDir dir;
        const QDir root(dir.path());
        QVERIFY(root.mkpath(QStringLiteral("sub/deeper")));
        for (const QString &name : {QStringLiteral("b.json"), QStringLiteral("sub/a.json"),
                                    QStringLiteral("sub/deeper/c.json"),
                                    QStringLiteral("notes.txt"), QStringLiteral("sub/README.md")}) {
            QFile file(root.filePath(name));
            QVERIFY(file.open(QIODevice::WriteOnly));
        }
        PromptSetsPanel panel;
        panel.setLibraryRoot(dir.path());
        QCOMPARE(panel.libraryFiles(),
                 (QStringList{root.filePath(QStringLiteral("b.json")),
                              root.filePath(QStringLiteral("sub/a.json")),
                              root.filePath(QStringLiteral("sub/deeper/c.json"))}));
        const QAbstractItemModel *tree =
                panel.findChild<QTreeView *>(QStringLiteral("promptLibrary"))->model();
        QCOMPARE(tree->rowCount(), 3);  // one entry per folder, each with its files
        QCOMPARE(tree->index(0, 0).data().toString(), QStringLiteral("(top level)"));
        QCOMPARE(tree->index(1, 0).data().toString(), QStringLiteral("sub"));
        QCOMPARE(tree->index(2, 0).data().toString(), QStringLiteral("sub/deeper"));
        QCOMPARE(tree->index(0, 0, tree->index(1, 0)).data().toString(), QStringLiteral("a"));
    }

    void libraryListsTheShippedSets()
    {
        const QString root = gyrus::test::sourcePath(QStringLiteral("datasets/prompt-sets"));
        PromptSetsPanel panel;
        panel.setLibraryRoot(root);
        const QStringList files = panel.libraryFiles();
        // The demo's three sets and the seed sets the docs and tests name.
        for (const QString &shipped :
             {QStringLiteral("demo/demo-agreement.json"),
              QStringLiteral("demo/demo-tense-number.json"),
              QStringLiteral("demo/demo-valence.json"),
              QStringLiteral("seed/SR_TOPIC_2_LOGIC_PREMISES/bifactorial-logical-reasoning.json"),
              QStringLiteral("seed/SR_TOPIC_2_LOGIC_PREMISES/unifactorial-premise-truth.json")}) {
            QVERIFY2(files.contains(QDir(root).filePath(shipped)), qPrintable(shipped));
        }
        // Everything it lists opens: no shipped file is one the dock would refuse.
        for (const QString &file : files) {
            const auto loaded = gyrus::loadPromptSet(file);
            QVERIFY2(loaded, qPrintable(file + QStringLiteral(": ") + loaded.status().message()));
        }
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

    // Modified means "differs from the file": undoing back to it, or typing the old text back,
    // is unmodified again, and the panel says so.
    void modifiedFollowsTheContentNotTheUndoStack()
    {
        PromptSetsPanel panel;
        QVERIFY(panel.openFile(gyrus::test::sourcePath(kPremiseTruth)).isOk());
        QSignalSpy modified(&panel, &PromptSetsPanel::modifiedChanged);
        const QString original = panel.promptSet().items.at(0).text;
        QVERIFY(panel.setCell(0, PromptSetModel::textColumn(), QStringLiteral("changed")));
        QVERIFY(panel.isModified());
        QCOMPARE(modified.count(), 1);
        QVERIFY(panel.setCell(0, PromptSetModel::textColumn(), original));
        QVERIFY(!panel.isModified());
        QCOMPARE(modified.count(), 2);
        QCOMPARE(modified.last().first().toBool(), false);
        QVERIFY(panel.setCell(0, PromptSetModel::textColumn(), QStringLiteral("again")));
        QVERIFY(panel.setCell(1, PromptSetModel::textColumn(), QStringLiteral("and again")));
        panel.undoStack()->undo();
        panel.undoStack()->undo();
        QVERIFY(!panel.isModified());
        QCOMPARE(modified.last().first().toBool(), false);
        QVERIFY(!panel.summaryText().contains(QLatin1String(" *")));
    }

    // Every toolbar action is on screen in a dock a quarter of a 1366-pixel screen wide: none
    // hides in an overflow menu.
    void toolbarsFitANarrowDock()
    {
        PromptSetsPanel panel;
        panel.resize(316, 600);
        panel.show();
        QVERIFY(QTest::qWaitForWindowExposed(&panel));
        const QList<QToolBar *> bars = panel.findChildren<QToolBar *>();
        QCOMPARE(bars.size(), 2);
        QStringList seen;
        for (QToolBar *bar : bars) {
            for (QAction *action : bar->actions()) {
                if (action->isSeparator()) {
                    continue;
                }
                QWidget *button = bar->widgetForAction(action);
                QVERIFY2(button && button->isVisible(), qPrintable(action->text()));
                seen << action->text().remove(QLatin1Char('&'));
            }
        }
        for (const char *name : {"Redo", "Factors…", "Undo", "Remove"}) {
            QVERIFY2(seen.join(QLatin1Char('|')).contains(QString::fromUtf8(name)),
                     qPrintable(seen.join(QLatin1Char('|'))));
        }
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

    // Factors are edited as a grid: a row per factor, its levels in order in the next columns.
    void factorsDialogEditsAGrid()
    {
        PromptSetsPanel panel;
        QVERIFY(panel.openFile(gyrus::test::sourcePath(kLogicalReasoning)).isOk());
        const QList<gyrus::PromptFactor> original = panel.promptSet().factors;
        gyrus::widgets::FactorsDialog dialog(original);
        QTableWidget *grid = dialog.table();
        QCOMPARE(grid->rowCount(), original.size());
        QCOMPARE(grid->item(0, 0)->text(), original[0].name);
        QCOMPARE(grid->item(0, 1)->text(), original[0].levels[0]);
        QCOMPARE(dialog.factors().value(), original);

        dialog.addLevelColumn();
        grid->setItem(0, grid->columnCount() - 1, new QTableWidgetItem(QStringLiteral("extra")));
        dialog.addFactor();
        const int row = grid->rowCount() - 1;
        grid->item(row, 0)->setText(QStringLiteral("length"));
        grid->setItem(row, 1, new QTableWidgetItem(QStringLiteral("short")));
        QVERIFY(dialog.factors().status().message().contains(QLatin1String("two levels")));
        grid->setItem(row, 2, new QTableWidgetItem(QStringLiteral("short")));
        QVERIFY(dialog.factors().status().message().contains(QLatin1String("given twice")));
        grid->item(row, 2)->setText(QStringLiteral("long"));
        const QList<gyrus::PromptFactor> edited = dialog.factors().value();
        QCOMPARE(edited.size(), original.size() + 1);
        QCOMPARE(edited[0].levels.last(), QStringLiteral("extra"));
        QCOMPARE(edited.last(),
                 (gyrus::PromptFactor{QStringLiteral("length"),
                                      {QStringLiteral("short"), QStringLiteral("long")}}));
        QVERIFY(panel.setFactors(edited).isOk());
        QCOMPARE(panel.promptSet().factors, edited);
        QCOMPARE(panel.promptSet().items.at(0).levels.value(QStringLiteral("length")),
                 QStringLiteral("short"));  // the new factor's first level
        panel.undoStack()->undo();
        QCOMPARE(panel.promptSet().factors, original);
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
