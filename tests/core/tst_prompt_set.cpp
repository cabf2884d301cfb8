// Prompt sets: the seed's legacy files read exactly as they are, the Gyrus schema round trip,
// and every validation message.

#include "core/prompts/legacy_prompt_set.h"
#include "core/prompts/minimal_pairs.h"
#include "core/prompts/prompt_set.h"
#include "core/prompts/prompt_set_io.h"
#include "core/prompts/prompt_set_validation.h"
#include "tests/support/test_paths.h"

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

using namespace gyrus;

namespace {

QString seedPath(const QString &relative)
{
    return test::sourcePath(QStringLiteral("datasets/prompt-sets/seed/") + relative);
}

// One row of tests/data/prompt_sets/seed_counts.tsv, written by make_seed_counts.py from
// Python's json.load (an independent reader that keeps key order).
struct SeedRow
{
    QString condition;
    int count = 0;
    QString firstText;
};

QMap<QString, QList<SeedRow>> seedTable()
{
    QMap<QString, QList<SeedRow>> table;
    QFile file(test::dataPath(QStringLiteral("prompt_sets/seed_counts.tsv")));
    if (!file.open(QIODevice::ReadOnly)) {
        return table;
    }
    const QStringList lines = QString::fromUtf8(file.readAll()).split(QLatin1Char('\n'));
    for (const QString &line : lines) {
        if (line.isEmpty() || line.startsWith(QLatin1Char('#'))) {
            continue;
        }
        const QStringList cells = line.split(QLatin1Char('\t'));
        if (cells.size() == 4) {
            table[cells.at(0)].append({cells.at(1), cells.at(2).toInt(), cells.at(3)});
        }
    }
    return table;
}

// Writes `json` to a file called `name` in `dir` and loads it.
Result<PromptSetLoad> loadText(const QTemporaryDir &dir, const QString &name,
                               const QByteArray &json)
{
    QFile file(dir.filePath(name));
    if (!file.open(QIODevice::WriteOnly) || file.write(json) != json.size()) {
        return Status::internal(QStringLiteral("cannot write the fixture"));
    }
    file.close();
    return loadPromptSet(file.fileName());
}

const PromptIssue *findIssue(const QList<PromptIssue> &issues, const QString &fragment)
{
    for (const PromptIssue &issue : issues) {
        if (issue.message.contains(fragment)) {
            return &issue;
        }
    }
    return nullptr;
}

QString allMessages(const QList<PromptIssue> &issues)
{
    QStringList messages;
    for (const PromptIssue &issue : issues) {
        messages << issue.message;
    }
    return messages.join(QStringLiteral(" | "));
}

// A Gyrus-schema set with two factors, built in code: every field that the file format carries.
PromptSet richSet()
{
    PromptSet set;
    set.name = QStringLiteral("capitals");
    set.description = QStringLiteral("Premise truth × connective, with pairs and targets.");
    set.factors = {{QStringLiteral("truth"), {QStringLiteral("true"), QStringLiteral("false")}},
                   {QStringLiteral("connective"), {QStringLiteral("AND"), QStringLiteral("OR")}}};
    const auto item = [](QString id, QString text, QString truth, QString connective) {
        PromptItem i;
        i.id = std::move(id);
        i.text = std::move(text);
        i.levels = {{QStringLiteral("truth"), std::move(truth)},
                    {QStringLiteral("connective"), std::move(connective)}};
        return i;
    };
    set.items = {
            item(QStringLiteral("t_and"),
                 QStringLiteral("Paris is in France AND Rome is in Italy."), QStringLiteral("true"),
                 QStringLiteral("AND")),
            item(QStringLiteral("f_and"), QStringLiteral("Paris is in Spain AND Rome is in Italy."),
                 QStringLiteral("false"), QStringLiteral("AND")),
            item(QStringLiteral("t_or"),
                 QStringLiteral("Zürich 🏔 is in Switzerland OR Oslo is."),
                 QStringLiteral("true"), QStringLiteral("OR")),
            item(QStringLiteral("f_or"), QStringLiteral("Zürich is in Peru OR \"Oslo\" is.\n"),
                 QStringLiteral("false"), QStringLiteral("OR")),
    };
    set.items[0].pair = QStringLiteral("f_and");
    set.items[1].pair = QStringLiteral("t_and");
    set.items[0].target = PromptTarget::fromSpan(9, 15);
    set.items[2].target = PromptTarget::fromRegex(QStringLiteral("in (\\w+)"));
    return set;
}

}  // namespace

class TestPromptSet : public QObject
{
    Q_OBJECT
private Q_SLOTS:

    void seedFilesLoadWithTheirCounts_data()
    {
        QTest::addColumn<QString>("file");
        const QMap<QString, QList<SeedRow>> table = seedTable();
        for (auto it = table.cbegin(); it != table.cend(); ++it) {
            QTest::newRow(qPrintable(it.key())) << it.key();
        }
    }

    void seedFilesLoadWithTheirCounts()
    {
        QFETCH(QString, file);
        const QList<SeedRow> expected = seedTable().value(file);
        const Result<PromptSetLoad> load = loadPromptSet(seedPath(file));
        QVERIFY2(load.isOk(), qPrintable(load.status().message()));
        const PromptSet &set = load->set;
        QCOMPARE(set.format, PromptSet::Format::Legacy);
        QVERIFY2(!hasErrors(load->issues), qPrintable(allMessages(load->issues)));
        // Conditions in file order with their counts, and the items of each in file order.
        const QList<PromptCondition> conditions = set.conditions();
        QCOMPARE(conditions.size(), expected.size());
        int total = 0;
        for (int c = 0; c < expected.size(); ++c) {
            QCOMPARE(conditions.at(c).label, expected.at(c).condition);
            QCOMPARE(conditions.at(c).items.size(), expected.at(c).count);
            QCOMPARE(set.itemsInCondition(expected.at(c).condition), conditions.at(c).items);
            const PromptItem &first = set.items.at(conditions.at(c).items.first());
            QCOMPARE(first.text, expected.at(c).firstText);
            QCOMPARE(first.id, expected.at(c).condition + QStringLiteral("_0"));
            // The legacy file lists condition by condition, so each block is contiguous.
            QCOMPARE(conditions.at(c).items.first(), total);
            total += expected.at(c).count;
        }
        QCOMPARE(set.items.size(), total);
        for (const PromptItem &item : set.items) {
            QVERIFY(item.pair.isEmpty());  // nothing in the seed says which items are pairs
        }
    }

    void allTwentySixSeedFilesAreInTheTable()
    {
        QStringList files;
        QDirIterator it(seedPath(QString()), {QStringLiteral("*.json")}, QDir::Files,
                        QDirIterator::Subdirectories);
        while (it.hasNext()) {
            files << QDir(seedPath(QString())).relativeFilePath(it.next());
        }
        files.sort();
        QCOMPARE(files.size(), 26);
        QCOMPARE(files, seedTable().keys());
    }

    void twoKeyFilesAreOneFactorNamedAfterTheFile()
    {
        const Result<PromptSetLoad> load = loadPromptSet(seedPath(
                QStringLiteral("SR_TOPIC_2_LOGIC_PREMISES/unifactorial-premise-truth.json")));
        QVERIFY(load.isOk());
        const PromptSet &set = load->set;
        QCOMPARE(set.factors.size(), 1);
        QCOMPARE(set.factors.first().name, QStringLiteral("premise_truth"));
        QCOMPARE(set.factors.first().levels,
                 QStringList({QStringLiteral("premise_accuracy_true"),
                              QStringLiteral("premise_accuracy_false")}));
        QCOMPARE(set.items.at(50).id, QStringLiteral("premise_accuracy_false_0"));
        QCOMPARE(set.items.at(50).text, QStringLiteral("Paris is the capital of Italy."));
        QCOMPARE(set.items.at(50).levels.value(QStringLiteral("premise_truth")),
                 QStringLiteral("premise_accuracy_false"));
        QVERIFY(load->issues.isEmpty());
        QCOMPARE(legacyFactorName(QStringLiteral("x/unifactorial_achievements_fixed.json")),
                 QStringLiteral("achievements_fixed"));
        QCOMPARE(legacyFactorName(QStringLiteral("my-stimuli.json")), QStringLiteral("my_stimuli"));
        QCOMPARE(legacyFactorName(QStringLiteral("unifactorial.json")),
                 QStringLiteral("condition"));
    }

    void fourKeyFilesGetTwoFactors_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<QStringList>("levelsA");
        QTest::addColumn<QStringList>("levelsB");
        QTest::addColumn<bool>("ambiguous");
        const QString other = QStringLiteral("SR_TOPIC_UNSORTED_OTHER_IDEAS/");
        // Labels with extra underscores: the split is not simply at the first or last one.
        QTest::newRow("bridge-content")
                << QStringLiteral("SR_TOPIC_0_GOLDEN_GATE_BRIDGE/bifactorial-bridge-content.json")
                << QStringList{QStringLiteral("golden_gate"), QStringLiteral("not_golden_gate")}
                << QStringList{QStringLiteral("informational"), QStringLiteral("fictional")}
                << true;
        QTest::newRow("contextual-disambiguation")
                << other + QStringLiteral("bifactorial-contextual-disambiguation.json")
                << QStringList{QStringLiteral("bank"), QStringLiteral("bat")}
                << QStringList{QStringLiteral("strong_context"), QStringLiteral("weak_context")}
                << false;
        QTest::newRow("logical-reasoning")
                << QStringLiteral("SR_TOPIC_2_LOGIC_PREMISES/bifactorial-logical-reasoning.json")
                << QStringList{QStringLiteral("true"), QStringLiteral("false")}
                << QStringList{QStringLiteral("AND"), QStringLiteral("OR")} << false;
        QTest::newRow("ambiguous-words (4 keys despite the name)")
                << other + QStringLiteral("unifactorial-ambiguous-words.json")
                << QStringList{QStringLiteral("bank"), QStringLiteral("bat")}
                << QStringList{QStringLiteral("strong"), QStringLiteral("weak")} << false;
        QTest::newRow("domain-type")
                << other + QStringLiteral("unifactorial-domain-type.json")
                << QStringList{QStringLiteral("physical"), QStringLiteral("social")}
                << QStringList{QStringLiteral("concrete"), QStringLiteral("abstract")} << false;
        QTest::newRow("achievements_continuations")
                << QStringLiteral(
                           "SR_TOPIC_1_SUCCESS_CONTINUATION/"
                           "bifactorial_achievements_continuations.json")
                << QStringList{QStringLiteral("achievements"), QStringLiteral("failures")}
                << QStringList{QStringLiteral("continuations"), QStringLiteral("discontinuations")}
                << false;
    }

    void fourKeyFilesGetTwoFactors()
    {
        QFETCH(QString, file);
        QFETCH(QStringList, levelsA);
        QFETCH(QStringList, levelsB);
        QFETCH(bool, ambiguous);
        const Result<PromptSetLoad> load = loadPromptSet(seedPath(file));
        QVERIFY(load.isOk());
        const PromptSet &set = load->set;
        QCOMPARE(set.factors.size(), 2);
        QCOMPARE(set.factors.at(0).levels, levelsA);
        QCOMPARE(set.factors.at(1).levels, levelsB);
        // Every item's two levels joined give back the legacy key it came from.
        for (int i = 0; i < set.items.size(); ++i) {
            const PromptItem &item = set.items.at(i);
            const QString a = item.levels.value(set.factors.at(0).name);
            const QString b = item.levels.value(set.factors.at(1).name);
            QVERIFY(levelsA.contains(a) && levelsB.contains(b));
            QVERIFY2(item.id.startsWith(a + QLatin1Char('_') + b + QLatin1Char('_')),
                     qPrintable(item.id));
            QCOMPARE(set.conditionOf(i), a + QLatin1Char('_') + b);
        }
        QCOMPARE(findIssue(load->issues, QStringLiteral("2 ways")) != nullptr, ambiguous);
        QVERIFY(!hasErrors(load->issues));
    }

    void inconsistentFourKeysFallBackToOneFactor()
    {
        const Result<PromptSetLoad> load = loadPromptSet(seedPath(
                QStringLiteral("SR_TOPIC_UNSORTED_OTHER_IDEAS/bifactorial-abstract-concept.json")));
        QVERIFY(load.isOk());
        const PromptSet &set = load->set;
        QCOMPARE(set.factors.size(), 1);
        QCOMPARE(set.factors.first().name, QStringLiteral("abstract_concept"));
        QCOMPARE(set.factors.first().levels,
                 QStringList({QStringLiteral("physical_social_concrete"),
                              QStringLiteral("physical_social_abstract"),
                              QStringLiteral("concrete_abstract_physical"),
                              QStringLiteral("concrete_abstract_social")}));
        const PromptIssue *note = findIssue(load->issues, QStringLiteral("do not split"));
        QVERIFY2(note != nullptr, qPrintable(allMessages(load->issues)));
        QCOMPARE(note->severity, PromptIssue::Severity::Warning);
        QVERIFY(note->message.startsWith(QStringLiteral("bifactorial-abstract-concept.json: ")));
    }

    void designInference()
    {
        // No underscore split makes a product: fallback with a note.
        LegacyDesign d = inferLegacyDesign({QStringLiteral("a_x"), QStringLiteral("a_y"),
                                            QStringLiteral("b_x"), QStringLiteral("c_y")},
                                           QStringLiteral("f"));
        QCOMPARE(d.factors.size(), 1);
        QCOMPARE(d.notes.size(), 1);
        // Three keys: one factor, nothing to say.
        d = inferLegacyDesign({QStringLiteral("a"), QStringLiteral("b"), QStringLiteral("c")},
                              QStringLiteral("f"));
        QCOMPARE(d.factors.size(), 1);
        QCOMPARE(d.factors.first().levels.size(), 3);
        QVERIFY(d.notes.isEmpty());
        // Two keys that happen to share a split are still one factor.
        d = inferLegacyDesign({QStringLiteral("a_x"), QStringLiteral("b_x")}, QStringLiteral("f"));
        QCOMPARE(d.factors.size(), 1);
        // Underscores on both sides of the split.
        d = inferLegacyDesign(
                {QStringLiteral("very_low_left_hand"), QStringLiteral("very_low_right_hand"),
                 QStringLiteral("high_left_hand"), QStringLiteral("high_right_hand")},
                QStringLiteral("f"));
        QCOMPARE(d.factors.size(), 2);
        QCOMPARE(d.factors.at(0).levels,
                 QStringList({QStringLiteral("very_low"), QStringLiteral("high")}));
        QCOMPARE(d.factors.at(1).levels,
                 QStringList({QStringLiteral("left_hand"), QStringLiteral("right_hand")}));
        QCOMPARE(d.levels.at(3).value(QStringLiteral("factor_b")), QStringLiteral("right_hand"));
        // Keys given in an order that is not a-major still split.
        d = inferLegacyDesign({QStringLiteral("p_1"), QStringLiteral("q_2"), QStringLiteral("q_1"),
                               QStringLiteral("p_2")},
                              QStringLiteral("f"));
        QCOMPARE(d.factors.size(), 2);
        QCOMPARE(d.levels.at(1).value(QStringLiteral("factor_a")), QStringLiteral("q"));
        QCOMPARE(d.levels.at(1).value(QStringLiteral("factor_b")), QStringLiteral("2"));
    }

    void legacyKeepsFileOrder()
    {
        QTemporaryDir dir;
        const Result<PromptSetLoad> load =
                loadText(dir, QStringLiteral("order.json"),
                         R"({"zeta": ["z one", "z two"], "alpha": ["a one"], "mid": ["m one"]})");
        QVERIFY2(load.isOk(), qPrintable(load.status().message()));
        const PromptSet &set = load->set;
        QCOMPARE(set.factors.first().levels,
                 QStringList(
                         {QStringLiteral("zeta"), QStringLiteral("alpha"), QStringLiteral("mid")}));
        QStringList ids;
        for (const PromptItem &item : set.items) {
            ids << item.id;
        }
        QCOMPARE(ids, QStringList({QStringLiteral("zeta_0"), QStringLiteral("zeta_1"),
                                   QStringLiteral("alpha_0"), QStringLiteral("mid_0")}));
        QCOMPARE(set.items.at(1).text, QStringLiteral("z two"));
        QCOMPARE(set.conditions().first().label, QStringLiteral("zeta"));
        // Unbalanced (2, 1, 1): a warning, not an error.
        const PromptIssue *issue = findIssue(load->issues, QStringLiteral("unbalanced"));
        QVERIFY(issue != nullptr);
        QCOMPARE(issue->severity, PromptIssue::Severity::Warning);
        QCOMPARE(issue->itemIndex, -1);
    }

    void gyrusRoundTripIsLossless()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("capitals.json"));
        const PromptSet original = richSet();
        QVERIFY(validatePromptSet(original).isEmpty());
        QVERIFY(savePromptSet(original, path).isOk());
        const Result<PromptSetLoad> load = loadPromptSet(path);
        QVERIFY2(load.isOk(), qPrintable(load.status().message()));
        QVERIFY2(load->issues.isEmpty(), qPrintable(allMessages(load->issues)));
        QCOMPARE(load->set.format, PromptSet::Format::Gyrus);
        QCOMPARE(load->set.sourceFile, path);
        QCOMPARE(load->set.factors, original.factors);
        for (int i = 0; i < original.items.size(); ++i) {
            QCOMPARE(load->set.items.at(i).text, original.items.at(i).text);
            QVERIFY(load->set.items.at(i) == original.items.at(i));
        }
        QVERIFY(load->set == original);
        // Saving what was loaded writes the same bytes.
        QCOMPARE(promptSetToJson(load->set), promptSetToJson(original));
        // The file says what it is.
        QFile file(path);
        QVERIFY(file.open(QIODevice::ReadOnly));
        QVERIFY(file.readAll().contains(R"("schema": "gyrus.promptset/1")"));
    }

    void legacyImportRoundTrip()
    {
        QTemporaryDir dir;
        const Result<PromptSetLoad> legacy = loadPromptSet(seedPath(
                QStringLiteral("SR_TOPIC_0_GOLDEN_GATE_BRIDGE/bifactorial-bridge-content.json")));
        QVERIFY(legacy.isOk());
        const QString path = dir.filePath(QStringLiteral("bridge.json"));
        QVERIFY(savePromptSet(legacy->set, path).isOk());
        const Result<PromptSetLoad> gyrus = loadPromptSet(path);
        QVERIFY(gyrus.isOk());
        QVERIFY(gyrus->set == legacy->set);
        QCOMPARE(gyrus->set.format, PromptSet::Format::Gyrus);
        // The Gyrus file has the design explicitly, so the inference note is gone.
        QVERIFY2(gyrus->issues.isEmpty(), qPrintable(allMessages(gyrus->issues)));
        QCOMPARE(gyrus->set.conditions().size(), 4);
    }

    void saveIsAtomicAndReportsUnwritablePaths()
    {
        const Status status = savePromptSet(richSet(), QStringLiteral("/nonexistent-dir/x.json"));
        QCOMPARE(status.code(), Status::Code::InvalidInput);
        QVERIFY(status.message().contains(QStringLiteral("/nonexistent-dir/x.json")));
    }

    void loadFailures_data()
    {
        QTest::addColumn<QByteArray>("json");
        QTest::addColumn<QString>("expected");
        QTest::newRow("malformed JSON") << QByteArray("{\n  \"a\": [\"one\",\n  ]\n}")
                                        << QStringLiteral("line 3, column 3");
        QTest::newRow("empty file") << QByteArray() << QStringLiteral("malformed JSON");
        QTest::newRow("invalid UTF-8")
                << QByteArray("{\"a\": [\"\xff\"]}") << QStringLiteral("ill-formed UTF-8");
        QTest::newRow("not an object")
                << QByteArray("[\"one\", \"two\"]") << QStringLiteral("expected a JSON object");
        QTest::newRow("non-string item") << QByteArray(R"({"a": ["one", 5], "b": ["two"]})")
                                         << QStringLiteral(
                                                    "condition 'a' item 1: expected a "
                                                    "string, got number 5");
        QTest::newRow("condition not a list")
                << QByteArray(R"({"a": "one", "b": ["two"]})")
                << QStringLiteral("condition 'a' must be a list of strings, got string");
        QTest::newRow("repeated condition") << QByteArray(R"({"a": ["x"], "b": ["y"], "a": ["z"]})")
                                            << QStringLiteral("key 'a' appears more than once");
        QTest::newRow("no conditions") << QByteArray("{}") << QStringLiteral("no conditions");
        QTest::newRow("unsupported schema")
                << QByteArray(R"({"schema": "gyrus.promptset/9", "items": []})")
                << QStringLiteral("unsupported schema 'gyrus.promptset/9'");
        QTest::newRow("text not a string")
                << QByteArray(
                           R"({"schema": "gyrus.promptset/1", "items": [{"id": "x", "text": 3}]})")
                << QStringLiteral("item 0 'x': 'text' must be a string, got number");
        QTest::newRow("bad target")
                << QByteArray(R"({"schema": "gyrus.promptset/1", "items": [{"id": "x", "text": "t",
                   "target": {"begin": 0}}]})")
                << QStringLiteral("target 'end' must be an integer");
        QTest::newRow("items missing")
                << QByteArray(R"({"schema": "gyrus.promptset/1"})") << QStringLiteral("no 'items'");
        QTest::newRow("factor without levels")
                << QByteArray(R"({"schema": "gyrus.promptset/1", "factors": [{"name": "f"}],
                   "items": []})")
                << QStringLiteral("factor 0 'f' has no 'levels'");
    }

    void loadFailures()
    {
        QFETCH(QByteArray, json);
        QFETCH(QString, expected);
        QTemporaryDir dir;
        const Result<PromptSetLoad> load = loadText(dir, QStringLiteral("bad-set.json"), json);
        QVERIFY(!load.isOk());
        QCOMPARE(load.status().code(), Status::Code::InvalidInput);
        QVERIFY2(load.status().message().startsWith(QStringLiteral("bad-set.json: ")),
                 qPrintable(load.status().message()));
        QVERIFY2(load.status().message().contains(expected), qPrintable(load.status().message()));
    }

    void formatIsToldByContent()
    {
        QTemporaryDir dir;
        // The Gyrus shape without its tag: read as Gyrus, with a warning.
        Result<PromptSetLoad> load =
                loadText(dir, QStringLiteral("untagged.json"),
                         R"({"items": [{"id": "a", "text": "one"}, {"id": "b", "text": "two"}]})");
        QVERIFY2(load.isOk(), qPrintable(load.status().message()));
        QCOMPARE(load->set.format, PromptSet::Format::Gyrus);
        QCOMPARE(load->set.items.size(), 2);
        QVERIFY(load->set.factors.isEmpty());
        QVERIFY(load->set.conditions().isEmpty());
        QVERIFY(findIssue(load->issues, QStringLiteral("no \"schema\" tag")) != nullptr);
        // A legacy file may call a condition "items": its values are strings, so it stays legacy.
        load = loadText(dir, QStringLiteral("legacy.json"),
                        R"({"items": ["one", "two"], "others": ["three", "four"]})");
        QVERIFY(load.isOk());
        QCOMPARE(load->set.format, PromptSet::Format::Legacy);
        QCOMPARE(load->set.factors.first().levels,
                 QStringList({QStringLiteral("items"), QStringLiteral("others")}));
        QVERIFY(load->issues.isEmpty());
    }

    void percentSignsInUserTextStayLiteral()
    {
        // QString::arg() placeholders in labels, regexes and file names must not be substituted.
        QTemporaryDir dir;
        const Result<PromptSetLoad> load =
                loadText(dir, QStringLiteral("100%2.json"),
                         R"({"50%1 off": ["one", "two"], "b%2": ["three", "one"]})");
        QVERIFY(load.isOk());
        QCOMPARE(load->set.items.at(1).id, QStringLiteral("50%1 off_1"));
        QCOMPARE(load->set.items.at(2).id, QStringLiteral("b%2_0"));
        const PromptIssue *issue = findIssue(load->issues, QStringLiteral("duplicate text"));
        QVERIFY(issue != nullptr);
        QCOMPARE(issue->message,
                 QStringLiteral("100%2.json: item 3 'b%2_1': duplicate text (same as item 0 "
                                "'50%1 off_0')"));
        PromptSet set = load->set;
        set.items[0].target = PromptTarget::fromRegex(QStringLiteral("%1x"));
        const QList<PromptIssue> issues = validatePromptSet(set);
        QVERIFY2(findIssue(issues, QStringLiteral("item 0 '50%1 off_0': target regex /%1x/ does "
                                                  "not match the text")) != nullptr,
                 qPrintable(allMessages(issues)));
    }

    void deeplyNestedInputIsAnErrorNotACrash()
    {
        // Deep nesting would make the JSON library recurse (copying a value when its parent object
        // grows) until the stack overflows; such files are refused before parsing. Brackets
        // inside strings do not count.
        QTemporaryDir dir;
        const int depth = 100000;
        const QByteArray deep = "{\"a\": [\"x\", " + QByteArray(depth, '[') +
                                QByteArray(depth, ']') + "], \"b\": [\"y\"], \"c\": [\"z\"]}";
        Result<PromptSetLoad> load = loadText(dir, QStringLiteral("deep.json"), deep);
        QVERIFY(!load.isOk());
        QVERIFY2(load.status().message().startsWith(
                         QStringLiteral("deep.json: JSON nested 100002 levels deep")),
                 qPrintable(load.status().message()));
        // Just within the limit: parsed, and the nested item is reported as such.
        const QByteArray nested = "{\"a\": [\"x\", " + QByteArray(62, '[') + QByteArray(62, ']') +
                                  "], \"b\": [\"[[[[{{{{\\\"[[\"], \"c\": [\"z\"]}";
        load = loadText(dir, QStringLiteral("nested.json"), nested);
        QVERIFY(!load.isOk());
        QVERIFY2(load.status().message().contains(
                         QStringLiteral("condition 'a' item 1: expected a string, got array")),
                 qPrintable(load.status().message()));
    }

    void missingFileIsNotFound()
    {
        const Result<PromptSetLoad> load = loadPromptSet(QStringLiteral("/nonexistent/set.json"));
        QCOMPARE(load.status().code(), Status::Code::NotFound);
        QVERIFY(load.status().message().contains(QStringLiteral("/nonexistent/set.json")));
    }

    void validationIssues_data()
    {
        QTest::addColumn<QByteArray>("json");
        QTest::addColumn<int>("item");  // -1: the set
        QTest::addColumn<QString>("itemId");
        QTest::addColumn<bool>("error");
        QTest::addColumn<QString>("expected");
        const auto gyrus = [](const char *items) -> QByteArray {
            return QByteArray(R"({"schema": "gyrus.promptset/1", "factors": [{"name": "f",
                "levels": ["a", "b"]}], "items": [)") +
                   items + "]}";
        };
        QTest::newRow("empty text (legacy)")
                << QByteArray(R"({"a": ["one", "  "], "b": ["two", "three"]})") << 1
                << QStringLiteral("a_1") << true << QStringLiteral("empty text");
        QTest::newRow("duplicate id") << gyrus(R"({"id": "x", "text": "one", "levels": {"f": "a"}},
                            {"id": "x", "text": "two", "levels": {"f": "b"}})")
                                      << 1 << QStringLiteral("x") << true
                                      << QStringLiteral("duplicate id (item 0 has it too)");
        QTest::newRow("level not among the factor's")
                << gyrus(R"({"id": "x", "text": "one", "levels": {"f": "a"}},
                            {"id": "y", "text": "two", "levels": {"f": "c"}})")
                << 1 << QStringLiteral("y") << true
                << QStringLiteral("level 'c' is not a level of factor 'f' (expected one of: a, b)");
        QTest::newRow("missing factor level")
                << gyrus(R"({"id": "x", "text": "one", "levels": {"f": "a"}},
                            {"id": "y", "text": "two"})")
                << 1 << QStringLiteral("y") << true << QStringLiteral("no level for factor 'f'");
        QTest::newRow("level for an unknown factor")
                << gyrus(R"({"id": "x", "text": "one", "levels": {"f": "a", "g": "z"}},
                            {"id": "y", "text": "two", "levels": {"f": "b"}})")
                << 0 << QStringLiteral("x") << true
                << QStringLiteral("level 'z' given for unknown factor 'g'");
        QTest::newRow("unbalanced design")
                << gyrus(R"({"id": "x", "text": "one", "levels": {"f": "a"}},
                            {"id": "y", "text": "two", "levels": {"f": "a"}},
                            {"id": "z", "text": "three", "levels": {"f": "b"}})")
                << -1 << QString() << false
                << QStringLiteral(
                           "unbalanced design: conditions have different item counts (a 2, "
                           "b 1)");
        QTest::newRow("empty condition")
                << QByteArray(R"({"a": ["one"], "b": []})") << -1 << QString() << false
                << QStringLiteral("unbalanced design: no items in condition(s) b");
        QTest::newRow("span outside the text")
                << gyrus(R"({"id": "x", "text": "one", "levels": {"f": "a"},
                             "target": {"begin": 1, "end": 9}},
                            {"id": "y", "text": "two", "levels": {"f": "b"}})")
                << 0 << QStringLiteral("x") << true
                << QStringLiteral("target span [1,9) is outside the text (3 characters)");
        QTest::newRow("empty span")
                << gyrus(R"({"id": "x", "text": "one", "levels": {"f": "a"}},
                            {"id": "y", "text": "two", "levels": {"f": "b"},
                             "target": {"begin": 2, "end": 2}})")
                << 1 << QStringLiteral("y") << true << QStringLiteral("target span [2,2) is empty");
        QTest::newRow("invalid regex")
                << gyrus(R"({"id": "x", "text": "one", "levels": {"f": "a"},
                             "target": {"regex": "*one"}},
                            {"id": "y", "text": "two", "levels": {"f": "b"}})")
                << 0 << QStringLiteral("x") << true
                << QStringLiteral("invalid target regex /*one/: quantifier does not follow");
        QTest::newRow("regex not matching")
                << gyrus(R"({"id": "x", "text": "one", "levels": {"f": "a"}},
                            {"id": "y", "text": "two", "levels": {"f": "b"},
                             "target": {"regex": "three"}})")
                << 1 << QStringLiteral("y") << true
                << QStringLiteral("target regex /three/ does not match the text");
        QTest::newRow("duplicate text")
                << QByteArray(R"({"a": ["same words", "other"], "b": ["more", " same words"]})")
                << 3 << QStringLiteral("b_1") << false
                << QStringLiteral("duplicate text (same as item 0 'a_0')");
        QTest::newRow("unknown pair")
                << gyrus(R"({"id": "x", "text": "one", "levels": {"f": "a"}, "pair": "nope"},
                            {"id": "y", "text": "two", "levels": {"f": "b"}})")
                << 0 << QStringLiteral("x") << true
                << QStringLiteral("pair 'nope' is not the id of any item");
        QTest::newRow("pair with itself")
                << gyrus(R"({"id": "x", "text": "one", "levels": {"f": "a"}, "pair": "x"},
                            {"id": "y", "text": "two", "levels": {"f": "b"}})")
                << 0 << QStringLiteral("x") << true << QStringLiteral("pairs with itself");
        QTest::newRow("one-level factor")
                << QByteArray(R"({"only": ["one", "two"]})") << -1 << QString() << false
                << QStringLiteral("factor 'stimuli' has 1 level(s)");
        QTest::newRow("unknown field")
                << gyrus(R"({"id": "x", "text": "one", "levels": {"f": "a"}, "colour": 1},
                            {"id": "y", "text": "two", "levels": {"f": "b"}})")
                << 0 << QStringLiteral("x") << false << QStringLiteral("unknown field 'colour'");
    }

    void validationIssues()
    {
        QFETCH(QByteArray, json);
        QFETCH(int, item);
        QFETCH(QString, itemId);
        QFETCH(bool, error);
        QFETCH(QString, expected);
        QTemporaryDir dir;
        const Result<PromptSetLoad> load = loadText(dir, QStringLiteral("stimuli.json"), json);
        QVERIFY2(load.isOk(), qPrintable(load.status().message()));
        const PromptIssue *issue = findIssue(load->issues, expected);
        QVERIFY2(issue != nullptr, qPrintable(allMessages(load->issues)));
        QCOMPARE(issue->itemIndex, item);
        QCOMPARE(issue->isError(), error);
        QCOMPARE(hasErrors(load->issues), error);
        // The message names the file, and the item by index and id.
        const QString where =
                item < 0 ? QStringLiteral("stimuli.json: ")
                         : QStringLiteral("stimuli.json: item %1 '%2': ").arg(item).arg(itemId);
        QVERIFY2(issue->message.startsWith(where), qPrintable(issue->message));
    }

    void cleanSetHasNoIssues()
    {
        QVERIFY(validatePromptSet(richSet()).isEmpty());
        PromptSet set = richSet();
        set.items[1].pair = QStringLiteral("t_or");  // t_and -> f_and, but now f_and -> t_or
        const QList<PromptIssue> issues = validatePromptSet(set);
        QCOMPARE(issues.size(), 1);
        QVERIFY2(issues.first().message.contains(QStringLiteral(
                         "item 0 't_and': pairs with 'f_and', but 'f_and' pairs with 't_or'")),
                 qPrintable(issues.first().message));
        QVERIFY(!issues.first().isError());
    }

    void conditionsFollowFirstAppearance()
    {
        PromptSet set = richSet();
        // Interleave: f_or moves to the front.
        set.items.move(3, 0);
        const QList<PromptCondition> conditions = set.conditions();
        QCOMPARE(conditions.size(), 4);
        QCOMPARE(conditions.at(0).label, QStringLiteral("false_OR"));
        QCOMPARE(conditions.at(0).items, QList<int>({0}));
        QCOMPARE(conditions.at(1).label, QStringLiteral("true_AND"));
        QCOMPARE(set.itemsInCondition(QStringLiteral("true_OR")), QList<int>({3}));
        QVERIFY(set.itemsInCondition(QStringLiteral("nope")).isEmpty());
        QCOMPARE(set.factorIndex(QStringLiteral("connective")), 1);
        QVERIFY(set.factor(QStringLiteral("connective")) == &set.factors.at(1));
        QVERIFY(set.factor(QStringLiteral("nope")) == nullptr);
        QCOMPARE(set.indexOfId(QStringLiteral("t_or")), 3);
    }

    void targetsResolveInCodePoints()
    {
        const PromptSet set = richSet();
        // "Paris is in France AND ...": [9,15) is "in Fra".
        const QString text0 = set.items.at(0).text;
        const TextSpan inFra{9, 15};
        QVERIFY(resolveTarget(set.items.at(0).target, text0) == inFra);
        // Regex with a group: the group's span, counted in code points past the emoji (which is
        // two UTF-16 units).
        const QString text2 = set.items.at(2).text;
        const std::optional<TextSpan> span = resolveTarget(set.items.at(2).target, text2);
        QVERIFY(span.has_value());
        const int utf16Begin = static_cast<int>(text2.indexOf(QStringLiteral("Switzerland")));
        QCOMPARE(span->begin, utf16Begin - 1);  // one surrogate pair before it
        QCOMPARE(span->length(), 11);
        QCOMPARE(codePointCount(text2), static_cast<int>(text2.size()) - 1);
        // The byte range, checked against Qt's own UTF-8 encoding of the whole text.
        const TextSpan bytes = utf8ByteRange(text2, *span);
        const QByteArray utf8 = text2.toUtf8();
        QCOMPARE(utf8.mid(bytes.begin, bytes.length()), QByteArray("Switzerland"));
        // No match, no target, empty match.
        QVERIFY(!resolveTarget(PromptTarget::fromRegex(QStringLiteral("xyz")), text0));
        QVERIFY(!resolveTarget(PromptTarget{}, text0));
        QVERIFY(!resolveTarget(PromptTarget::fromRegex(QStringLiteral("q*")), text0));
    }

    void targetTextForms()
    {
        QCOMPARE(PromptTarget::fromSpan(3, 7).toString(), QStringLiteral("[3,7)"));
        QCOMPARE(PromptTarget::fromRegex(QStringLiteral("a b")).toString(),
                 QStringLiteral("/a b/"));
        const PromptTarget span = PromptTarget::fromSpan(3, 7);
        QVERIFY(PromptTarget::parse(QStringLiteral("[3,7)")) == span);
        QVERIFY(PromptTarget::parse(QStringLiteral(" 3 : 7 ")) == span);
        QVERIFY(PromptTarget::parse(QStringLiteral("/in (\\w+)/")) ==
                PromptTarget::fromRegex(QStringLiteral("in (\\w+)")));
        QVERIFY(PromptTarget::parse(QString()) == PromptTarget());
        QVERIFY(PromptTarget::parse(QStringLiteral("[3,7)")) != PromptTarget::fromSpan(3, 8));
        QVERIFY(!PromptTarget::parse(QStringLiteral("3-7")).has_value());
        QVERIFY(!PromptTarget::parse(QStringLiteral("/")).has_value());
    }

    void minimalPairsAreCountedOnceFromTheFirstToNameThem()
    {
        PromptSet set;
        set.name = QStringLiteral("pairs");
        set.items = {{QStringLiteral("a"), QStringLiteral("A"), {}, QStringLiteral("b"), {}},
                     {QStringLiteral("b"), QStringLiteral("B"), {}, QStringLiteral("a"), {}},
                     {QStringLiteral("c"), QStringLiteral("C"), {}, QString(), {}},
                     {QStringLiteral("d"), QStringLiteral("D"), {}, QStringLiteral("c"), {}}};
        const Result<QList<MinimalPair>> pairs = minimalPairs(set);
        QVERIFY(pairs.isOk());
        QCOMPARE(pairs.value(), (QList<MinimalPair>{{0, 1}, {3, 2}}));
    }

    void minimalPairsRefuseAMissingPartner()
    {
        const Result<PromptSetLoad> loaded = parsePromptSet(
                R"({"schema": "gyrus.promptset/1", "name": "p", "factors": [],
                    "items": [{"id": "a", "text": "A", "pair": "zz"},
                              {"id": "b", "text": "B"}]})",
                QStringLiteral("pairs.json"));
        QVERIFY(loaded.isOk());
        const Result<QList<MinimalPair>> pairs = minimalPairs(loaded->set);
        QVERIFY(!pairs.isOk());
        QCOMPARE(pairs.status().message(),
                 QStringLiteral("pairs.json: item 'a' names pair 'zz', which is not the id of any "
                                "item"));

        PromptSet none;
        none.name = QStringLiteral("none");
        none.items = {{QStringLiteral("a"), QStringLiteral("A"), {}, QString(), {}}};
        QVERIFY(minimalPairs(none).status().message().contains(QStringLiteral("no minimal pairs")));
        none.items[0].pair = QStringLiteral("a");
        QCOMPARE(minimalPairs(none).status().message(),
                 QStringLiteral("none: item 'a' pairs with itself"));
    }
};

QTEST_APPLESS_MAIN(TestPromptSet)
#include "tst_prompt_set.moc"
