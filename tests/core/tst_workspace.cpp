// Workspace core: sections round-trip through a .gyrus HDF5 file, saves are atomic, bad files
// give messages naming them, a failed open keeps the session, the dirty state follows changes.

#include "core/base/file_fingerprint.h"
#include "core/hdf5/hdf5_reader.h"
#include "core/hdf5/hdf5_writer.h"
#include "core/session/selection_hub.h"
#include "core/session/workspace.h"
#include "core/session/workspace_file.h"
#include "core/session/workspace_selection.h"
#include "tests/support/test_paths.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>

using namespace gyrus;

namespace {

/// A dock's state as another helper would register it: one string.
struct NoteState
{
    QString text;
    bool refuse = false;  ///< restore() fails (a section that cannot use its JSON)
};

std::unique_ptr<WorkspaceSection> noteSection(NoteState *state)
{
    return makeWorkspaceSection(
            QStringLiteral("notes"),
            [state] {
                return QJsonDocument(QJsonObject{{QStringLiteral("text"), state->text}})
                        .toJson(QJsonDocument::Compact);
            },
            [state](const QByteArray &json, QStringList *warnings) {
                if (state->refuse) {
                    return Status::invalidInput(QStringLiteral("notes: refused"));
                }
                state->text =
                        QJsonDocument::fromJson(json).object()[QStringLiteral("text")].toString();
                warnings->append(QStringLiteral("notes restored"));
                return Status::ok();
            },
            [state] { state->text.clear(); });
}

/// A section that keeps a result as data: a matrix and its row names.
class ResultSection : public WorkspaceSection
{
public:
    std::vector<double> matrix;
    QStringList rows;
    WorkspaceData handedOver;

    QString name() const override { return QStringLiteral("result"); }

    QByteArray save() const override
    {
        return QJsonDocument(QJsonObject{{QStringLiteral("rows"), int(rows.size())}})
                .toJson(QJsonDocument::Compact);
    }

    WorkspaceData saveData() const override
    {
        if (rows.isEmpty()) {
            return {};
        }
        return {{QStringLiteral("matrix"),
                 WorkspaceArray::ofNumbers(matrix, {int64_t(rows.size()), 2})},
                {QStringLiteral("rows"), WorkspaceArray::ofStrings(rows)}};
    }

    void setRestoredData(const WorkspaceData &data) override { handedOver = data; }

    Status restore(const QByteArray &, QStringList *) override
    {
        matrix = handedOver.value(QStringLiteral("matrix")).numbers;
        rows = handedOver.value(QStringLiteral("rows")).strings;
        return Status::ok();
    }

    void reset() override
    {
        matrix.clear();
        rows.clear();
    }
};

void fillHub(SelectionHub &hub)
{
    hub.selectFeature(42, QStringLiteral("test"));
    ClampSet clamps;
    clamps.name = QStringLiteral("past tense");
    clamps.clamps.append({42, ClampMode::Clamp, 4.5, ClampPositions::All, true});
    clamps.clamps.append({7, ClampMode::Scale, 0.25, ClampPositions::Generated, false});
    hub.setClampSet(clamps);
    hub.setAnnotation(42, {QStringLiteral("verbs in the past"), QStringLiteral("fires on -ed")});
    hub.setAnnotation(1535, {QStringLiteral("quotes"), QString()});
    // A label accepted from a language model keeps its provenance beside it.
    hub.setAnnotation(
            9, {QStringLiteral("courts"), QString(),
                QJsonObject{{QStringLiteral("explainer"), QStringLiteral("openai http://x/v1")},
                            {QStringLiteral("prompt_version"), QStringLiteral("gyrus-explain-v1")},
                            {QStringLiteral("top_examples_used"), 10},
                            {QStringLiteral("edited"), true}}});
    // A hand-written label with its detection score (the judge's numbers and protocol).
    hub.setAnnotation(12,
                      {QStringLiteral("dates"), QString(), QJsonObject(),
                       QJsonObject{{QStringLiteral("label"), QStringLiteral("dates")},
                                   {QStringLiteral("judge"), QStringLiteral("openai http://x/v1")},
                                   {QStringLiteral("balanced_accuracy"),
                                    QJsonObject{{QStringLiteral("estimate"), 0.875},
                                                {QStringLiteral("ci95"), QJsonArray{0.75, 1.0}}}},
                                   {QStringLiteral("repeats"), 3}}});
}

}  // namespace

class TestWorkspace : public QObject
{
    Q_OBJECT
private Q_SLOTS:

    void roundTripRestoresEverySection()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("study.gyrus"));
        SelectionHub hub;
        NoteState notes{QStringLiteral("RSA on layer 2 looks odd")};
        Workspace workspace;
        workspace.addSection(makeSelectionSection(&hub));
        workspace.addSection(noteSection(&notes));
        fillHub(hub);
        workspace.refreshDirty();
        QVERIFY(workspace.isDirty());
        const Status saved = workspace.saveAs(path);
        QVERIFY2(saved.isOk(), qPrintable(saved.message()));
        QVERIFY(!workspace.isDirty());
        QCOMPARE(workspace.path(), path);
        QVERIFY(!QFile::exists(path + QStringLiteral(".partial")));

        // A second session (fresh objects) opens it.
        SelectionHub hub2;
        NoteState notes2;
        Workspace other;
        other.addSection(makeSelectionSection(&hub2));
        other.addSection(noteSection(&notes2));
        QStringList warnings;
        const Status opened = other.open(path, &warnings);
        QVERIFY2(opened.isOk(), qPrintable(opened.message()));
        QCOMPARE(hub2.selectedFeature(), 42);
        QCOMPARE(hub2.clampSet(), hub.clampSet());
        QCOMPARE(hub2.annotations(), hub.annotations());
        QCOMPARE(notes2.text, notes.text);
        QCOMPARE(warnings, QStringList{QStringLiteral("notes restored")});
        QVERIFY(!other.isDirty());
        QCOMPARE(other.provenance()[QStringLiteral("gyrus_version")].toString().isEmpty(), false);
    }

    void fileLayoutIsReadableWithoutGyrus()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("layout.gyrus"));
        WorkspaceDocument document;
        document.sections.insert(QStringLiteral("heatmap"), QByteArray(R"({"rows":[1,2]})"));
        QVERIFY(writeWorkspaceFile(path, document).isOk());
        const auto reader = Hdf5Reader::open(path);
        QVERIFY(reader.isOk());
        QCOMPARE(reader.value()->readRootAttribute(QStringLiteral("format")).value(),
                 QStringLiteral("gyrus.workspace"));
        QCOMPARE(reader.value()->memberNames(QStringLiteral("/sections")),
                 QStringList{QStringLiteral("heatmap")});
        QCOMPARE(reader.value()->readText(QStringLiteral("/sections/heatmap")).value(),
                 QByteArray(R"({"rows":[1,2]})"));
        const QJsonObject provenance =
                QJsonDocument::fromJson(
                        reader.value()->readText(QStringLiteral("/provenance")).value())
                        .object();
        QVERIFY(provenance.contains(QStringLiteral("saved_at")));
        QVERIFY(provenance.contains(QStringLiteral("qt_version")));
    }

    // Results travel as HDF5 datasets /data/<section>/<array> (h5py reads them as arrays),
    // come back exactly, and are kept for a section this build does not know.
    void resultsAreStoredAsData()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("data.gyrus"));
        auto owned = std::make_unique<ResultSection>();
        ResultSection *result = owned.get();
        result->matrix = {0.1, -2.5, 1e-300, std::nan(""), 3.0, 4.0};
        result->rows = {QStringLiteral("a"), QStringLiteral("b ✓"), QStringLiteral("c")};
        Workspace workspace;
        workspace.addSection(std::move(owned));
        QVERIFY(workspace.saveAs(path).isOk());
        const auto reader = Hdf5Reader::open(path);
        QVERIFY(reader.isOk());
        QCOMPARE(reader.value()->shape(QStringLiteral("/data/result/matrix")).value(),
                 (std::vector<int64_t>{3, 2}));
        QCOMPARE(reader.value()->readStrings(QStringLiteral("/data/result/rows")).value(),
                 result->rows);

        const std::vector<double> saved = result->matrix;
        const QStringList savedRows = result->rows;
        result->reset();
        QVERIFY(workspace.open(path).isOk());
        QCOMPARE(result->rows, savedRows);
        QCOMPARE(result->matrix.size(), saved.size());
        for (size_t k = 0; k < saved.size(); ++k) {
            QVERIFY(result->matrix[k] == saved[k] ||
                    (std::isnan(result->matrix[k]) && std::isnan(saved[k])));
        }
        QVERIFY(!workspace.isDirty());

        // Another build without the section writes its data back untouched.
        Workspace other;
        NoteState notes;
        other.addSection(noteSection(&notes));
        QVERIFY(other.open(path).isOk());
        const QString copy = dir.filePath(QStringLiteral("copy.gyrus"));
        QVERIFY(other.saveAs(copy).isOk());
        const Result<WorkspaceDocument> back = readWorkspaceFile(copy);
        QVERIFY(back.isOk());
        QCOMPARE(back->data.value(QStringLiteral("result")).value(QStringLiteral("rows")).strings,
                 savedRows);
    }

    void unknownSectionsAreKept()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("foreign.gyrus"));
        WorkspaceDocument document;
        document.sections.insert(QStringLiteral("rsa"), QByteArray(R"({"metric":"correlation"})"));
        QVERIFY(writeWorkspaceFile(path, document).isOk());
        NoteState notes{QStringLiteral("x")};
        Workspace workspace;
        workspace.addSection(noteSection(&notes));
        QVERIFY(workspace.open(path).isOk());
        QCOMPARE(notes.text, QString());  // absent from the file: reset
        notes.text = QStringLiteral("new");
        QVERIFY(workspace.save().isOk());
        const Result<WorkspaceDocument> back = readWorkspaceFile(path);
        QVERIFY(back.isOk());
        QCOMPARE(back->sections.value(QStringLiteral("rsa")),
                 QByteArray(R"({"metric":"correlation"})"));
        QVERIFY(back->sections.contains(QStringLiteral("notes")));
    }

    void failedSaveLeavesTheOldFileIntact()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("safe.gyrus"));
        NoteState notes{QStringLiteral("version one")};
        Workspace workspace;
        workspace.addSection(noteSection(&notes));
        QVERIFY(workspace.saveAs(path).isOk());
        QFile original(path);
        QVERIFY(original.open(QIODevice::ReadOnly));
        const QByteArray before = original.readAll();
        original.close();

        // 1. A section that writes invalid JSON fails the save half-way through the file.
        notes.text = QStringLiteral("version two");
        workspace.addSection(makeWorkspaceSection(
                QStringLiteral("zzz-broken"), [] { return QByteArray("{not json"); },
                [](const QByteArray &, QStringList *) { return Status::ok(); }, [] {}));
        workspace.refreshDirty();
        QVERIFY(workspace.isDirty());
        const Status failed = workspace.save();
        QVERIFY(!failed.isOk());
        QVERIFY2(failed.message().contains(QStringLiteral("zzz-broken")),
                 qPrintable(failed.message()));
        QVERIFY(workspace.isDirty());
        QVERIFY(!QFile::exists(path + QStringLiteral(".partial")));

        // 2. The temporary file cannot be created (a directory in its way).
        workspace.removeSection(QStringLiteral("zzz-broken"));
        QVERIFY(QDir(dir.path()).mkdir(QStringLiteral("safe.gyrus.partial")));
        QVERIFY(!workspace.save().isOk());
        QVERIFY(workspace.isDirty());

        QVERIFY(original.open(QIODevice::ReadOnly));
        QCOMPARE(original.readAll(), before);
        NoteState reread;
        Workspace check;
        check.addSection(noteSection(&reread));
        QVERIFY(check.open(path).isOk());
        QCOMPARE(reread.text, QStringLiteral("version one"));
    }

    void badFilesNameTheFileAndKeepTheSession_data()
    {
        QTest::addColumn<QByteArray>("content");
        QTest::addColumn<QString>("expected");
        QTest::newRow("text") << QByteArray("this is not HDF5") << QStringLiteral("not an HDF5");
        QTest::newRow("empty") << QByteArray() << QStringLiteral("not an HDF5");
        QTest::newRow("truncated HDF5")
                << QByteArray("\x89HDF\r\n\x1a\n\0\0\0\0", 12) << QStringLiteral("not an HDF5");
    }

    void badFilesNameTheFileAndKeepTheSession()
    {
        QFETCH(QByteArray, content);
        QFETCH(QString, expected);
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("broken.gyrus"));
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(content);
        file.close();
        NoteState notes{QStringLiteral("keep me")};
        Workspace workspace;
        workspace.addSection(noteSection(&notes));
        const Status opened = workspace.open(path);
        QVERIFY(!opened.isOk());
        QVERIFY2(opened.message().contains(path), qPrintable(opened.message()));
        QVERIFY2(opened.message().contains(expected), qPrintable(opened.message()));
        QCOMPARE(notes.text, QStringLiteral("keep me"));
        QCOMPARE(workspace.path(), QString());
    }

    void foreignHdf5AndMissingFiles()
    {
        QTemporaryDir dir;
        Workspace workspace;
        const QString missing = dir.filePath(QStringLiteral("nope.gyrus"));
        Status opened = workspace.open(missing);
        QVERIFY(opened.message().contains(missing));
        QCOMPARE(opened.code(), Status::Code::NotFound);

        // An HDF5 file of another kind (an activation cache, say).
        const QString h5 = dir.filePath(QStringLiteral("cache.h5"));
        {
            auto writer = Hdf5Writer::create(h5);
            QVERIFY(writer.isOk());
            const float values[2] = {1.f, 2.f};
            QVERIFY(writer.value()
                            ->writeFloat32(QStringLiteral("activations"), {2}, values)
                            .isOk());
            QVERIFY(writer.value()->commit().isOk());
        }
        opened = workspace.open(h5);
        QVERIFY(!opened.isOk());
        QVERIFY2(opened.message().contains(h5), qPrintable(opened.message()));
        QVERIFY(opened.message().contains(QStringLiteral("not a Gyrus workspace")));

        // A section damaged by hand.
        const QString damaged = dir.filePath(QStringLiteral("damaged.gyrus"));
        {
            auto writer = Hdf5Writer::create(damaged);
            QVERIFY(writer.isOk());
            writer.value()->setAttribute(QStringLiteral("format"),
                                         QStringLiteral("gyrus.workspace"));
            writer.value()->setAttribute(QStringLiteral("format_version"), QStringLiteral("1"));
            writer.value()->writeText(QStringLiteral("/sections/notes"), "{\"text\": ");
            QVERIFY(writer.value()->commit().isOk());
        }
        opened = workspace.open(damaged);
        QVERIFY(opened.message().contains(damaged));
        QVERIFY2(opened.message().contains(QStringLiteral("'notes' is damaged")),
                 qPrintable(opened.message()));

        // Written by a newer Gyrus.
        const QString newer = dir.filePath(QStringLiteral("newer.gyrus"));
        {
            auto writer = Hdf5Writer::create(newer);
            writer.value()->setAttribute(QStringLiteral("format"),
                                         QStringLiteral("gyrus.workspace"));
            writer.value()->setAttribute(QStringLiteral("format_version"), QStringLiteral("9"));
            QVERIFY(writer.value()->commit().isOk());
        }
        opened = workspace.open(newer);
        QVERIFY2(opened.message().contains(QStringLiteral("newer Gyrus")),
                 qPrintable(opened.message()));
    }

    // Debian's HDF5 1.10.8 loops forever reading this damaged file (found by fuzzing): opening
    // it is refused after the read time limit, naming the file, instead of hanging the app.
    void hdf5HangIsRefusedInTime()
    {
        const QString hang = test::sourcePath(
                QStringLiteral("tests/data/fuzz/hdf5_hang/global_heap_loop.gyrus"));
        qputenv("GYRUS_READ_PROBE_TIMEOUT_MS", "1500");
        QElapsedTimer clock;
        clock.start();
        Workspace workspace;
        const Status opened = workspace.open(hang);
        qunsetenv("GYRUS_READ_PROBE_TIMEOUT_MS");
        QVERIFY(!opened.isOk());
        QVERIFY2(opened.message().contains(hang) &&
                         opened.message().contains(QStringLiteral("did not finish in 1.5 s")),
                 qPrintable(opened.message()));
        QVERIFY(clock.elapsed() < 15000);
        // A sound file still opens through the same path.
        QTemporaryDir dir;
        const QString good = dir.filePath(QStringLiteral("good.gyrus"));
        {
            Workspace saved;
            QVERIFY(saved.saveAs(good).isOk());
        }
        QVERIFY(workspace.open(good).isOk());
    }

    // Files the workspace fuzz target found (tests/data/fuzz/workspace_file): a root attribute
    // that is an array of strings (it overran the one-string buffer the reader gave HDF5), and
    // damaged global-heap references HDF5 copies from overlapping memory. Each is refused
    // naming the file, or read; never a crash (the sanitizer suite runs this test too).
    void fuzzedWorkspacesAreRefusedOrRead()
    {
        const QString array = test::sourcePath(
                QStringLiteral("tests/data/fuzz/workspace_file/format_attribute_array.gyrus"));
        Workspace workspace;
        Status opened = workspace.open(array);
        QVERIFY(!opened.isOk());
        QVERIFY2(opened.message().contains(array) &&
                         opened.message().contains(QStringLiteral("not a Gyrus workspace")),
                 qPrintable(opened.message()));
        auto reader = Hdf5Reader::open(array);
        QVERIFY(reader.isOk());
        const Result<QString> format = reader.value()->readRootAttribute(QStringLiteral("format"));
        QVERIFY(!format.isOk());
        QVERIFY2(format.status().message().contains(QStringLiteral("holds 3 elements")),
                 qPrintable(format.status().message()));

        const QString overlap = test::sourcePath(
                QStringLiteral("tests/data/fuzz/workspace_file/global_heap_overlap.gyrus"));
        opened = workspace.open(overlap);
        QVERIFY2(opened.isOk() || opened.message().contains(overlap), qPrintable(opened.message()));
    }

    void refusedSectionRollsBackTheOthers()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("rollback.gyrus"));
        SelectionHub hub;
        NoteState notes;
        {
            Workspace writer;
            writer.addSection(makeSelectionSection(&hub));
            writer.addSection(noteSection(&notes));
            fillHub(hub);
            notes.text = QStringLiteral("from file");
            QVERIFY(writer.saveAs(path).isOk());
        }
        SelectionHub current;
        current.selectFeature(3);
        NoteState currentNotes{QStringLiteral("mine"), true};
        Workspace workspace;
        workspace.addSection(makeSelectionSection(&current));
        workspace.addSection(noteSection(&currentNotes));
        const Status opened = workspace.open(path);
        QVERIFY(!opened.isOk());
        QVERIFY2(opened.message().contains(path), qPrintable(opened.message()));
        QVERIFY(opened.message().contains(QStringLiteral("notes")));
        QCOMPARE(current.selectedFeature(), 3);  // the selection section was rolled back
        QVERIFY(current.clampSet().clamps.isEmpty());
        QCOMPARE(currentNotes.text, QStringLiteral("mine"));
    }

    void dirtyStateFollowsChanges()
    {
        QTemporaryDir dir;
        SelectionHub hub;
        Workspace workspace;
        workspace.addSection(makeSelectionSection(&hub));
        QSignalSpy dirty(&workspace, &Workspace::dirtyChanged);
        connect(&hub, &SelectionHub::annotationChanged, &workspace, &Workspace::noteChanged);
        QVERIFY(!workspace.isDirty());
        hub.setAnnotation(5, {QStringLiteral("label"), QString()});
        QTRY_VERIFY(workspace.isDirty());  // via the coalescing timer
        QCOMPARE(dirty.count(), 1);
        hub.setAnnotation(5, {});  // back to the saved state: clean again
        QTRY_VERIFY(!workspace.isDirty());
        hub.setAnnotation(6, {QStringLiteral("x"), QString()});
        QTRY_VERIFY(workspace.isDirty());
        QVERIFY(workspace.saveAs(dir.filePath(QStringLiteral("d.gyrus"))).isOk());
        QVERIFY(!workspace.isDirty());
        workspace.markDirty();
        QVERIFY(workspace.isDirty());
        workspace.clear();
        QVERIFY(!workspace.isDirty());
        QVERIFY(hub.annotations().isEmpty());
        QCOMPARE(workspace.path(), QString());
    }

    void autosaveCopyRestoresAsUnsaved()
    {
        QTemporaryDir dir;
        const QString recovery = dir.filePath(QStringLiteral("recovery.gyrus"));
        NoteState notes{QStringLiteral("unsaved work")};
        Workspace workspace;
        workspace.addSection(noteSection(&notes));
        QVERIFY(workspace
                        .writeCopy(recovery, {{QStringLiteral("recovered_from"),
                                               QStringLiteral("/home/u/study.gyrus")}})
                        .isOk());
        QCOMPARE(workspace.path(), QString());  // a copy does not change the file
        NoteState after;
        Workspace restored;
        restored.addSection(noteSection(&after));
        QVERIFY(restored.restoreCopy(recovery, QStringLiteral("/home/u/study.gyrus")).isOk());
        QCOMPARE(after.text, QStringLiteral("unsaved work"));
        QCOMPARE(restored.path(), QStringLiteral("/home/u/study.gyrus"));
        QVERIFY(restored.isDirty());
        QCOMPARE(restored.provenance()[QStringLiteral("recovered_from")].toString(),
                 QStringLiteral("/home/u/study.gyrus"));
    }

    void fingerprintsNoticeChangedFiles()
    {
        QTemporaryDir dir;
        QDir(dir.path()).mkdir(QStringLiteral("model"));
        const QString model = dir.filePath(QStringLiteral("model"));
        auto write = [&](const QString &name, const QByteArray &bytes) {
            QFile file(model + QLatin1Char('/') + name);
            QVERIFY(file.open(QIODevice::WriteOnly));
            file.write(bytes);
        };
        write(QStringLiteral("config.json"), R"({"hidden_size": 192})");
        write(QStringLiteral("notes.txt"), "ignored");
        const auto first = fingerprintDirectory(model);
        QVERIFY(first.isOk());
        QCOMPARE(first->sha256.size(), 64);
        QCOMPARE(first->method, QStringLiteral("whole files"));
        write(QStringLiteral("notes.txt"), "still ignored");
        QCOMPARE(fingerprintDirectory(model)->sha256, first->sha256);
        write(QStringLiteral("config.json"), R"({"hidden_size": 1024})");
        QVERIFY(fingerprintDirectory(model)->sha256 != first->sha256);
        QVERIFY(!fingerprintDirectory(dir.filePath(QStringLiteral("gone"))).isOk());
        // The demo model (a real Hugging Face directory) fingerprints.
        const auto demo =
                fingerprintDirectory(test::sourcePath(QStringLiteral("datasets/demo/model")));
        QVERIFY2(demo.isOk(), qPrintable(demo.status().message()));
    }
};

QTEST_GUILESS_MAIN(TestWorkspace)
#include "tst_workspace.moc"
