// Data-parallel gyrus-cli on loopback: `launch --nproc 2 -- sae train` against one process with
// the same global batches, a rank killed mid-run (the other fails within its timeout, and the
// checkpoint resumes on another world size), a sharded `cache`, and the bad-input lines of each
// rank. Small sizes and OMP_NUM_THREADS=1: every run is a few seconds.

#include "core/hdf5/hdf5_reader.h"
#include "core/hdf5/hdf5_writer.h"
#include "gpu/sae/activations/activation_shards.h"
#include "gpu/sae/sae_io.h"
#include "gpu/sae/sae_module.h"
#include "tests/support/process_run.h"
#include "tests/support/test_paths.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QThread>
#include <QtTest>

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <csignal>
#include <set>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace {

using Run = gyrus::test::ProcessRun;

QProcessEnvironment baseEnvironment()
{
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.insert(QStringLiteral("OMP_NUM_THREADS"), QStringLiteral("1"));
    for (const char *name : {"RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"}) {
        environment.remove(QString::fromLatin1(name));
    }
    return environment;
}

Run cli(const QStringList &arguments, const QProcessEnvironment &environment = baseEnvironment(),
        int timeoutMs = 120000)
{
    return gyrus::test::runProcess(gyrus::test::cliPath(), arguments, timeoutMs, environment);
}

Run launch(int ranks, const QStringList &command, const QStringList &extra = {})
{
    QStringList arguments = {QStringLiteral("launch"), QStringLiteral("--nproc"),
                             QString::number(ranks)};
    arguments << extra << QStringLiteral("--") << command;
    return cli(arguments);
}

QJsonObject parse(const QByteArray &out)
{
    return QJsonDocument::fromJson(out).object();
}

// 4000 rows in d = 16 from 48 unit directions, 2–3 active: sparse enough that latents die and
// AuxK works during a short run.
void writeActivations(const QString &path, int64_t rows, uint64_t seed, bool poisonLastRow = false)
{
    at::Generator g = at::make_generator<at::CPUGeneratorImpl>(seed);
    at::Tensor dictionary = at::randn({48, 16}, g);
    dictionary = dictionary / dictionary.norm(2, {1}, true);
    const at::Tensor chosen = std::get<1>(at::rand({rows, 48}, g).sort(1)).narrow(1, 0, 3);
    const at::Tensor keep = at::arange(3).unsqueeze(0) < at::randint(2, 4, {rows, 1}, g);
    const at::Tensor magnitude = (at::randn({rows, 3}, g) * 0.3 + 2.0).abs();
    at::Tensor x =
            at::matmul(at::zeros({rows, 48}).scatter_(1, chosen, magnitude * keep), dictionary)
                    .contiguous();
    if (poisonLastRow) {
        x[rows - 1][0] = NAN;
    }
    auto writer = gyrus::Hdf5Writer::createRows(path);
    QVERIFY(writer);
    QVERIFY(writer.value()
                    ->createDataset(QStringLiteral("activations"), gyrus::Hdf5Writer::Type::Float32,
                                    rows, 16)
                    .isOk());
    QVERIFY(writer.value()
                    ->writeRows(QStringLiteral("activations"), 0, rows, x.data_ptr<float>())
                    .isOk());
    writer.value()->setAttribute(QStringLiteral("hook_name"),
                                 QStringLiteral("blocks.2.hook_resid_post"));
    writer.value()->setAttribute(QStringLiteral("model"), QStringLiteral("synthetic"));
    QVERIFY(writer.value()->commit().isOk());
}

// Largest |a − b| over the SAE's tensors, relative to the largest |a|.
double relativeDifference(const QString &a, const QString &b)
{
    auto first = gyrus::gpu::loadSae(a);
    auto second = gyrus::gpu::loadSae(b);
    if (!first || !second) {
        return 1e30;
    }
    const auto &x = first.value()->weights();
    const auto &y = second.value()->weights();
    double worst = 0;
    for (const auto &[p, q] : {std::pair{x.wEnc, y.wEnc}, std::pair{x.bEnc, y.bEnc},
                               std::pair{x.wDec, y.wDec}, std::pair{x.bDec, y.bDec}}) {
        const double scale = std::max(p.abs().max().item<double>(), 1e-12);
        worst = std::max(worst, (p - q).abs().max().item<double>() / scale);
    }
    return worst;
}

QList<QJsonObject> logLines(const QString &path)
{
    QList<QJsonObject> lines;
    QFile file(path);
    if (file.open(QIODevice::ReadOnly)) {
        for (const QByteArray &line : file.readAll().split('\n')) {
            if (!line.isEmpty()) {
                lines.append(QJsonDocument::fromJson(line).object());
            }
        }
    }
    return lines;
}

// A TCP port that is listening (held by this test) for the port-in-use case.
struct Listener
{
    int fd = -1;
    int port = 0;

    Listener()
    {
        fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_ANY);
        socklen_t length = sizeof(address);
        if (::bind(fd, reinterpret_cast<sockaddr *>(&address), sizeof(address)) == 0 &&
            ::listen(fd, 4) == 0 &&
            ::getsockname(fd, reinterpret_cast<sockaddr *>(&address), &length) == 0) {
            port = ntohs(address.sin_port);
        }
    }

    ~Listener() { ::close(fd); }
};

// The lines of `err` that come from rank `rank` of `world`.
bool hasRankLine(const QString &err, int rank, int world, const QString &fragment)
{
    const QString label = QStringLiteral("rank %1/%2: ").arg(rank).arg(world);
    for (const QString &line : err.split(QLatin1Char('\n'))) {
        if (line.startsWith(QLatin1String("gyrus-cli ")) && line.contains(label) &&
            line.contains(fragment)) {
            return true;
        }
    }
    return false;
}

}  // namespace

class TestDistributedCli : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void worldSizeTwoMatchesOne();
    void deadRankFailsTheOthersAndTheRunResumes();
    void shardedCacheTrainsAsOneDataset();
    void badInputFailsEveryRank();

private:
    QStringList trainArguments(const QString &out, const QString &activations) const;

    QTemporaryDir m_dir;
    QString m_activations;
};

void TestDistributedCli::initTestCase()
{
    QVERIFY(m_dir.isValid());
    m_activations = m_dir.filePath(QStringLiteral("acts.h5"));
    writeActivations(m_activations, 4000, 77);
}

// BatchTopK (the global threshold), AuxK (dead latents within the run: the dead window is
// tokens / 10 = 30 steps), 300 steps of 128 rows split over 2 data shards.
QStringList TestDistributedCli::trainArguments(const QString &out, const QString &activations) const
{
    return {QStringLiteral("sae"),
            QStringLiteral("train"),
            QStringLiteral("--activations"),
            activations,
            QStringLiteral("--data-shards"),
            QStringLiteral("2"),
            QStringLiteral("--arch"),
            QStringLiteral("batchtopk"),
            QStringLiteral("--d-sae"),
            QStringLiteral("96"),
            QStringLiteral("--k"),
            QStringLiteral("3"),
            QStringLiteral("--batch-size"),
            QStringLiteral("128"),
            QStringLiteral("--tokens"),
            QStringLiteral("38400"),
            QStringLiteral("--lr"),
            QStringLiteral("5e-3"),
            QStringLiteral("--seed"),
            QStringLiteral("4"),
            QStringLiteral("--metrics-every"),
            QStringLiteral("50"),
            QStringLiteral("--normalisation-tokens"),
            QStringLiteral("2000"),
            QStringLiteral("--timeout"),
            QStringLiteral("20"),
            QStringLiteral("--out"),
            out};
}

void TestDistributedCli::worldSizeTwoMatchesOne()
{
    const QString one = m_dir.filePath(QStringLiteral("one"));
    const QString two = m_dir.filePath(QStringLiteral("two"));
    const Run single = cli(trainArguments(one, m_activations));
    QVERIFY2(single.exitCode == 0, qPrintable(single.err));
    const Run pair = launch(2, trainArguments(two, m_activations));
    QVERIFY2(pair.exitCode == 0, qPrintable(pair.err));
    // Rank 0 alone prints the summary.
    const QJsonObject summary = parse(pair.out);
    QCOMPARE(summary[QStringLiteral("world_size")].toInt(), 2);
    QCOMPARE(summary[QStringLiteral("steps")].toInt(), 300);
    QVERIFY(summary[QStringLiteral("final")]
                    .toObject()[QStringLiteral("collective_seconds")]
                    .toDouble() > 0);

    // The same batches reach the same weights up to the order of float32 sums: one process sums
    // each gradient over 128 rows in one GEMM, two ranks over 64 rows each and then add. That
    // changes the last bits of a step (relative 1e-7); Adam divides by √v, so entries with tiny
    // second moments amplify such differences, and 300 steps compound them. 1e-3 relative to
    // the largest weight is four orders above one step's rounding and far below any real
    // difference (a wrong average, a missing rank's gradient, a local BatchTopK threshold or
    // AuxK variance all move the weights by more than 1e-2 here).
    const double difference = relativeDifference(one, two);
    QVERIFY2(difference < 1e-3, qPrintable(QString::number(difference)));

    // The same metrics, line by line; rank 0 wrote the only log.
    const QList<QJsonObject> a = logLines(QDir(one).filePath(QStringLiteral("train_log.jsonl")));
    const QList<QJsonObject> b = logLines(QDir(two).filePath(QStringLiteral("train_log.jsonl")));
    QCOMPARE(a.size(), 6);
    QCOMPARE(b.size(), a.size());
    bool sawDead = false;
    for (int i = 0; i < a.size(); ++i) {
        QCOMPARE(b[i][QStringLiteral("step")].toInt(), a[i][QStringLiteral("step")].toInt());
        QCOMPARE(b[i][QStringLiteral("world_size")].toInt(), 2);
        for (const char *key : {"loss", "mse", "explained_variance", "l0", "l1", "auxk_loss"}) {
            const double x = a[i][QLatin1String(key)].toDouble();
            const double y = b[i][QLatin1String(key)].toDouble();
            QVERIFY2(std::abs(x - y) <= 1e-3 * std::max(1.0, std::abs(x)),
                     qPrintable(QStringLiteral("line %1 %2: %3 vs %4")
                                        .arg(i)
                                        .arg(QLatin1String(key))
                                        .arg(x)
                                        .arg(y)));
        }
        // Counts of latents: identical unless a latent sits exactly at the dead window's edge.
        const double deadA = a[i][QStringLiteral("dead_fraction")].toDouble();
        const double deadB = b[i][QStringLiteral("dead_fraction")].toDouble();
        QVERIFY2(std::abs(deadA - deadB) <= 1.0 / 96 + 1e-12,
                 qPrintable(QStringLiteral("line %1 dead %2 vs %3").arg(i).arg(deadA).arg(deadB)));
        sawDead = sawDead || a[i][QStringLiteral("auxk_loss")].toDouble() > 0;
    }
    QVERIFY2(sawDead, "the run should exercise AuxK (dead latents)");
}

void TestDistributedCli::deadRankFailsTheOthersAndTheRunResumes()
{
    const QString out = m_dir.filePath(QStringLiteral("killed"));
    QStringList arguments = trainArguments(out, m_activations);
    arguments << QStringLiteral("--checkpoint-every") << QStringLiteral("40");
    // The ranks started by hand, so that one can be killed once a checkpoint exists.
    Listener reserve;  // a free port: take it and release it for the ranks
    const int port = reserve.port;
    ::close(reserve.fd);
    reserve.fd = -1;
    QProcess ranks[2];
    for (int r = 0; r < 2; ++r) {
        QProcessEnvironment environment = baseEnvironment();
        environment.insert(QStringLiteral("RANK"), QString::number(r));
        environment.insert(QStringLiteral("WORLD_SIZE"), QStringLiteral("2"));
        environment.insert(QStringLiteral("MASTER_ADDR"), QStringLiteral("127.0.0.1"));
        environment.insert(QStringLiteral("MASTER_PORT"), QString::number(port));
        ranks[r].setProcessEnvironment(environment);
        ranks[r].start(gyrus::test::cliPath(), arguments);
        QVERIFY(ranks[r].waitForStarted());
    }
    const QString state = QDir(out).filePath(QStringLiteral("checkpoint/trainer_state.json"));
    QElapsedTimer clock;
    clock.start();
    while (!QFile::exists(state) && clock.elapsed() < 60000 && !ranks[0].waitForFinished(1)) {
    }
    // Stopped first (rank 0 then waits in its next all-reduce), then killed: the run cannot
    // finish in between.
    ::kill(static_cast<pid_t>(ranks[1].processId()), SIGSTOP);
    QVERIFY2(QFile::exists(state), qPrintable(QString::fromUtf8(ranks[0].readAllStandardError())));
    ranks[1].kill();
    ranks[1].waitForFinished();
    clock.restart();
    // Rank 0 notices at its next all-reduce (the connection closes), well within --timeout.
    QVERIFY(ranks[0].waitForFinished(30000));
    const QString err = QString::fromUtf8(ranks[0].readAllStandardError());
    QVERIFY2(ranks[0].exitCode() != 0, qPrintable(err));
    QVERIFY2(hasRankLine(err, 0, 2, QStringLiteral("lost contact with the other ranks")),
             qPrintable(err));
    QCOMPARE(err.count(QLatin1Char('\n')), 1);
    QVERIFY(ranks[0].readAllStandardOutput().isEmpty());

    // The last checkpoint resumes on one process (another world size) and ends where the
    // uninterrupted runs end, up to the same reduction-order tolerance.
    const QString checkpoint = QDir(out).filePath(QStringLiteral("checkpoint"));
    QFile stateFile(state);
    QVERIFY(stateFile.open(QIODevice::ReadOnly));
    const int stoppedAt =
            QJsonDocument::fromJson(stateFile.readAll()).object()[QStringLiteral("step")].toInt();
    QVERIFY2(stoppedAt > 0 && stoppedAt < 300, qPrintable(QString::number(stoppedAt)));
    const QString resumed = m_dir.filePath(QStringLiteral("resumed"));
    const Run resume =
            cli({QStringLiteral("sae"), QStringLiteral("train"), QStringLiteral("--activations"),
                 m_activations, QStringLiteral("--resume"), checkpoint, QStringLiteral("--out"),
                 resumed});
    QVERIFY2(resume.exitCode == 0, qPrintable(resume.err));
    QCOMPARE(parse(resume.out)[QStringLiteral("steps")].toInt(), 300);
    // ... and on the same world size (the test without checkpoints writes none, so the
    // checkpoint is still the killed run's).
    const QString resumedPair = m_dir.filePath(QStringLiteral("resumed-pair"));
    const Run resumePair =
            launch(2, {QStringLiteral("sae"), QStringLiteral("train"),
                       QStringLiteral("--activations"), m_activations, QStringLiteral("--resume"),
                       checkpoint, QStringLiteral("--out"), resumedPair});
    QVERIFY2(resumePair.exitCode == 0, qPrintable(resumePair.err));
    QCOMPARE(parse(resumePair.out)[QStringLiteral("steps")].toInt(), 300);
    const QString reference = m_dir.filePath(QStringLiteral("two"));
    if (QFile::exists(QDir(reference).filePath(QStringLiteral("cfg.json")))) {
        const double difference = relativeDifference(reference, resumed);
        QVERIFY2(difference < 1e-3, qPrintable(QString::number(difference)));
        // The same world size replays the same sums: bit for bit the uninterrupted run.
        const double same = relativeDifference(reference, resumedPair);
        QVERIFY2(same == 0, qPrintable(QString::number(same)));
    }
}

void TestDistributedCli::shardedCacheTrainsAsOneDataset()
{
    const QString model = gyrus::test::sourcePath(QStringLiteral("datasets/demo/model"));
    const QString hook = QStringLiteral("blocks.2.hook_resid_post");
    const QString corpus = m_dir.filePath(QStringLiteral("corpus.txt"));
    {
        QFile heldout(gyrus::test::sourcePath(QStringLiteral("datasets/corpus/heldout.txt")));
        QVERIFY(heldout.open(QIODevice::ReadOnly));
        QFile text(corpus);
        QVERIFY(text.open(QIODevice::WriteOnly));
        for (int line = 0; line < 60 && !heldout.atEnd(); ++line) {
            text.write(heldout.readLine());
        }
    }
    const QStringList cache = {QStringLiteral("cache"),
                               QStringLiteral("--model"),
                               model,
                               QStringLiteral("--corpus"),
                               corpus,
                               QStringLiteral("--hook"),
                               hook,
                               QStringLiteral("--context-length"),
                               QStringLiteral("64"),
                               QStringLiteral("--storage"),
                               QStringLiteral("float32")};
    const QString single = m_dir.filePath(QStringLiteral("single.h5"));
    const Run one = cli(QStringList(cache) << QStringLiteral("--out") << single);
    QVERIFY2(one.exitCode == 0, qPrintable(one.err));
    const QString sharded = m_dir.filePath(QStringLiteral("sharded.h5"));
    const Run two = launch(2, QStringList(cache) << QStringLiteral("--out") << sharded);
    QVERIFY2(two.exitCode == 0, qPrintable(two.err));
    const QJsonObject summary = parse(two.out);
    const QString indexPath = summary[QStringLiteral("index")].toString();
    QCOMPARE(indexPath, m_dir.filePath(QStringLiteral("sharded.index.json")));
    auto index = gyrus::gpu::readActivationShardIndex(indexPath);
    QVERIFY2(index, qPrintable(index.status().message()));
    QCOMPARE(index->shards.size(), 2);
    QCOMPARE(index->attributes.value(QStringLiteral("hook_name")), hook);

    // Disjoint documents, and together exactly the one-process cache's rows (each document's
    // activations do not depend on the others: one window per line at this length).
    auto reader = gyrus::Hdf5Reader::open(single);
    QVERIFY(reader);
    const auto allDocs = reader.value()->readIntVector(QStringLiteral("doc_index"));
    QVERIFY(allDocs);
    std::set<int64_t> seen[2];
    int64_t rows = 0;
    for (int s = 0; s < 2; ++s) {
        auto shard = gyrus::Hdf5Reader::open(index->shards[s].file);
        QVERIFY(shard);
        const auto docs = shard.value()->readIntVector(QStringLiteral("doc_index"));
        QVERIFY(docs);
        for (int64_t d : docs.value()) {
            QCOMPARE(d % 2, int64_t(s));
            seen[s].insert(d);
        }
        rows += static_cast<int64_t>(docs->size());
    }
    QCOMPARE(rows, static_cast<int64_t>(allDocs->size()));
    QCOMPARE(index->rows(), rows);
    std::set<int64_t> both(seen[0]);
    both.insert(seen[1].begin(), seen[1].end());
    QCOMPARE(both, std::set<int64_t>(allDocs->begin(), allDocs->end()));
    const double scale = summary[QStringLiteral("normalisation_scale")].toDouble();
    const double singleScale = parse(one.out)[QStringLiteral("normalisation_scale")].toDouble();
    QVERIFY2(std::abs(scale - singleScale) < 1e-6 * singleScale,
             qPrintable(QStringLiteral("%1 vs %2").arg(scale).arg(singleScale)));

    // One process reads both shards as one dataset.
    const Run train =
            cli({QStringLiteral("sae"), QStringLiteral("train"), QStringLiteral("--activations"),
                 indexPath, QStringLiteral("--arch"), QStringLiteral("topk"),
                 QStringLiteral("--d-sae"), QStringLiteral("64"), QStringLiteral("--k"),
                 QStringLiteral("4"), QStringLiteral("--batch-size"), QStringLiteral("64"),
                 QStringLiteral("--tokens"), QStringLiteral("1280"),
                 QStringLiteral("--normalisation-tokens"), QStringLiteral("256"),
                 QStringLiteral("--out"), m_dir.filePath(QStringLiteral("from-shards"))});
    QVERIFY2(train.exitCode == 0, qPrintable(train.err));
    QCOMPARE(parse(train.out)[QStringLiteral("data_shards")].toInt(), 2);
}

void TestDistributedCli::badInputFailsEveryRank()
{
    const QString out = m_dir.filePath(QStringLiteral("bad"));
    const QStringList train = trainArguments(out, m_activations);
    auto withVariables = [](const QList<std::pair<const char *, QString>> &variables) {
        QProcessEnvironment environment = baseEnvironment();
        for (const auto &[name, value] : variables) {
            environment.insert(QString::fromLatin1(name), value);
        }
        return environment;
    };
    auto oneLine = [](const Run &run, const QString &fragment) {
        return run.exitCode == 2 && run.out.isEmpty() && run.err.count(QLatin1Char('\n')) == 1 &&
               run.err.startsWith(QLatin1String("gyrus-cli sae train: ")) &&
               run.err.contains(fragment);
    };
    // Missing or inconsistent variables: one line, no waiting.
    Run run = cli(train, withVariables({{"RANK", QStringLiteral("1")}}));
    QVERIFY2(oneLine(run, QStringLiteral("WORLD_SIZE is not")), qPrintable(run.err));
    run = cli(train,
              withVariables({{"RANK", QStringLiteral("2")}, {"WORLD_SIZE", QStringLiteral("2")}}));
    QVERIFY2(oneLine(run, QStringLiteral("RANK=2 must lie in 0..WORLD_SIZE-1")),
             qPrintable(run.err));
    run = cli(train, withVariables({{"RANK", QStringLiteral("0")},
                                    {"WORLD_SIZE", QStringLiteral("two")}}));
    QVERIFY2(oneLine(run, QStringLiteral("WORLD_SIZE='two' is not an integer")),
             qPrintable(run.err));
    run = cli(train, withVariables({{"RANK", QStringLiteral("0")},
                                    {"WORLD_SIZE", QStringLiteral("2")},
                                    {"MASTER_ADDR", QStringLiteral("127.0.0.1")}}));
    QVERIFY2(oneLine(run, QStringLiteral("MASTER_PORT is not set")), qPrintable(run.err));

    // Ranks started with different arguments: each says so (the store compares hashes).
    {
        Listener reserve;
        const int port = reserve.port;
        ::close(reserve.fd);
        reserve.fd = -1;
        QProcess ranks[2];
        for (int r = 0; r < 2; ++r) {
            QStringList arguments = train;
            if (r == 1) {
                arguments[arguments.indexOf(QStringLiteral("--seed")) + 1] = QStringLiteral("5");
            }
            ranks[r].setProcessEnvironment(
                    withVariables({{"RANK", QString::number(r)},
                                   {"WORLD_SIZE", QStringLiteral("2")},
                                   {"MASTER_ADDR", QStringLiteral("127.0.0.1")},
                                   {"MASTER_PORT", QString::number(port)}}));
            ranks[r].start(gyrus::test::cliPath(), arguments);
        }
        for (int r = 0; r < 2; ++r) {
            QVERIFY(ranks[r].waitForFinished(30000));
            const QString err = QString::fromUtf8(ranks[r].readAllStandardError());
            QCOMPARE(ranks[r].exitCode(), 2);
            QCOMPARE(err.count(QLatin1Char('\n')), 1);
            QVERIFY2(
                    hasRankLine(err, r, 2,
                                QStringLiteral("the command line differs from rank %1").arg(1 - r)),
                    qPrintable(err));
        }
    }

    // The port in use: rank 0 cannot serve the rendezvous, rank 1 reaches no store; both fail
    // within the timeout.
    {
        Listener busy;
        QVERIFY(busy.port > 0);
        QStringList arguments = train;
        arguments[arguments.indexOf(QStringLiteral("--timeout")) + 1] = QStringLiteral("4");
        QElapsedTimer clock;
        clock.start();
        run = launch(2, arguments, {QStringLiteral("--master-port"), QString::number(busy.port)});
        QVERIFY2(run.exitCode == 2, qPrintable(run.err));
        QVERIFY2(hasRankLine(run.err, 0, 2,
                             QStringLiteral("MASTER_PORT %1 is in use").arg(busy.port)),
                 qPrintable(run.err));
        QVERIFY2(hasRankLine(run.err, 1, 2, QStringLiteral("rendezvous")), qPrintable(run.err));
        QVERIFY2(clock.elapsed() < 30000, qPrintable(QString::number(clock.elapsed())));
    }

    // A shard missing from a sharded cache, and more ranks than shards.
    {
        const QString first = m_dir.filePath(QStringLiteral("part-00000-of-00002.h5"));
        const QString second = m_dir.filePath(QStringLiteral("part-00001-of-00002.h5"));
        writeActivations(first, 600, 1);
        writeActivations(second, 600, 2);
        gyrus::gpu::ActivationShardIndex index;
        index.path = m_dir.filePath(QStringLiteral("part.index.json"));
        index.columns = 16;
        index.shards = {{first, 600, 0}, {second, 600, 0}};
        QVERIFY(gyrus::gpu::writeActivationShardIndex(index).isOk());
        QStringList three = trainArguments(out, index.path);
        three.removeAt(three.indexOf(QStringLiteral("--data-shards")) + 1);
        three.removeAll(QStringLiteral("--data-shards"));
        run = launch(3, three);
        QVERIFY(run.exitCode == 2);
        for (int r = 0; r < 3; ++r) {
            QVERIFY2(hasRankLine(run.err, r, 3, QStringLiteral("3 ranks cannot split 2")),
                     qPrintable(run.err));
        }
        QVERIFY(QFile::remove(second));
        run = launch(2, three);
        QVERIFY(run.exitCode == 2);
        for (int r = 0; r < 2; ++r) {
            QVERIFY2(hasRankLine(run.err, r, 2, QStringLiteral("shard 1 of 2 is missing")),
                     qPrintable(run.err));
        }
    }
}

QTEST_GUILESS_MAIN(TestDistributedCli)
#include "tst_distributed_cli.moc"
