// The safetensors reader and writer: round trips, a file laid out by the Python reference script,
// sharded directories, every malformed-file case, and zero-copy tensors.

#include "gpu/model/mapped_file_guard.h"
#include "gpu/model/safetensors.h"
#include "gpu/model/safetensors_torch.h"
#include "tests/support/test_paths.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QtTest>

#include <ATen/ATen.h>

#include <cstring>

using gyrus::Result;
using gyrus::Status;
using namespace gyrus::gpu;

namespace {

// A safetensors file from a header text and a data section, for malformed-file cases.
QByteArray rawFile(const QByteArray &header, const QByteArray &data, qint64 declaredLength = -1)
{
    const quint64 length = declaredLength < 0 ? quint64(header.size()) : quint64(declaredLength);
    QByteArray bytes(8, '\0');
    for (int i = 0; i < 8; ++i) {
        bytes[i] = char((length >> (8 * i)) & 0xFF);
    }
    return bytes + header + data;
}

void writeFile(const QString &path, const QByteArray &bytes)
{
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    QCOMPARE(file.write(bytes), bytes.size());
}

QByteArray randomBytes(qint64 count, quint32 seed)
{
    QRandomGenerator generator(seed);
    QByteArray bytes(count, '\0');
    for (qint64 i = 0; i < count; ++i) {
        bytes[i] = char(generator.bounded(256));
    }
    return bytes;
}

QByteArray bytesOf(const TensorInfo &info)
{
    return QByteArray(reinterpret_cast<const char *>(info.data), info.bytes);
}

}  // namespace

class TestSafetensors : public QObject
{
    Q_OBJECT
private Q_SLOTS:

    void roundTripEveryDtype()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("all.safetensors"));
        // Odd sizes first so that, written in this order, later tensors would be misaligned: the
        // writer must reorder by element size.
        const QList<std::pair<DType, QVector<qint64>>> specs = {
                {DType::F16, {3}},    {DType::BF16, {1, 5}}, {DType::F32, {2, 3, 4}},
                {DType::I32, {7}},    {DType::I64, {2, 2}},  {DType::F32, {}},
                {DType::F16, {0, 3}},
        };
        QList<QByteArray> payloads;
        QList<TensorToWrite> tensors;
        for (int i = 0; i < specs.size(); ++i) {
            qint64 numel = 1;
            for (qint64 dim : specs[i].second) {
                numel *= dim;
            }
            payloads << randomBytes(numel * dtypeSize(specs[i].first), quint32(i + 1));
        }
        for (int i = 0; i < specs.size(); ++i) {
            tensors << TensorToWrite{QStringLiteral("t%1.%2").arg(i).arg(dtypeName(specs[i].first)),
                                     specs[i].first, specs[i].second, payloads[i]};
        }
        const QMap<QString, QString> metadata = {{QStringLiteral("format"), QStringLiteral("pt")},
                                                 {QStringLiteral("note"), QStringLiteral("é ✓")}};
        const Status written = writeSafetensors(path, tensors, metadata);
        QVERIFY2(written.isOk(), qPrintable(written.message()));

        const Result<SafetensorsArchive> archive = SafetensorsArchive::open(path);
        QVERIFY2(archive.isOk(), qPrintable(archive.status().message()));
        QCOMPARE(archive->tensorNames().size(), specs.size());
        QCOMPARE(archive->metadata(), metadata);
        QCOMPARE(archive->files(), QStringList{QFileInfo(path).absoluteFilePath()});
        qint64 total = 0;
        for (int i = 0; i < tensors.size(); ++i) {
            const std::optional<TensorInfo> info = archive->info(tensors[i].name);
            QVERIFY(info.has_value());
            QCOMPARE(info->dtype, specs[i].first);
            QCOMPARE(info->shape, specs[i].second);
            QCOMPARE(bytesOf(*info), payloads[i]);
            QCOMPARE(info->file, QFileInfo(path).absoluteFilePath());
            if (info->bytes > 0) {
                QCOMPARE(quintptr(info->data) % quintptr(dtypeSize(info->dtype)), quintptr(0));
            }
            total += payloads[i].size();
        }
        QCOMPARE(archive->totalTensorBytes(), total);

        // Header as Hugging Face writes it: length a multiple of 8, file = 8 + header + data.
        QFile file(path);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QByteArray bytes = file.readAll();
        quint64 headerLength = 0;
        std::memcpy(&headerLength, bytes.constData(), 8);
        QCOMPARE(headerLength % 8, quint64(0));
        QCOMPARE(qint64(bytes.size()), qint64(8 + headerLength) + total);
        const QJsonObject header =
                QJsonDocument::fromJson(bytes.mid(8, qsizetype(headerLength))).object();
        QCOMPARE(header.value(QStringLiteral("__metadata__"))
                         .toObject()
                         .value(QStringLiteral("note")),
                 QStringLiteral("é ✓"));
    }

    void readsPythonReferenceFile()
    {
        const QString path =
                gyrus::test::dataPath(QStringLiteral("safetensors/reference.safetensors"));
        QFile expectedFile(
                gyrus::test::dataPath(QStringLiteral("safetensors/reference_expected.json")));
        QVERIFY(expectedFile.open(QIODevice::ReadOnly));
        const QJsonObject expected = QJsonDocument::fromJson(expectedFile.readAll()).object();
        const Result<SafetensorsArchive> archive = SafetensorsArchive::open(path);
        QVERIFY2(archive.isOk(), qPrintable(archive.status().message()));
        QCOMPARE(archive->metadata().value(QStringLiteral("source")),
                 QStringLiteral("make_reference.py"));
        const QJsonObject tensors = expected.value(QStringLiteral("tensors")).toObject();
        QCOMPARE(archive->tensorNames().size(), tensors.size());
        for (auto it = tensors.begin(); it != tensors.end(); ++it) {
            const QJsonObject entry = it.value().toObject();
            const std::optional<TensorInfo> info = archive->info(it.key());
            QVERIFY2(info.has_value(), qPrintable(it.key()));
            QCOMPARE(dtypeName(info->dtype), entry.value(QStringLiteral("dtype")).toString());
            QVector<qint64> shape;
            for (const QJsonValue dim : entry.value(QStringLiteral("shape")).toArray()) {
                shape << qint64(dim.toDouble());
            }
            QCOMPARE(info->shape, shape);
            const at::Tensor tensor = tensorFromArchive(*archive, it.key());
            QCOMPARE(tensor.scalar_type(), toScalarType(info->dtype));
            const QJsonArray values = entry.value(QStringLiteral("values")).toArray();
            QCOMPARE(qint64(values.size()), qint64(tensor.numel()));
            if (info->dtype == DType::I64) {
                const at::Tensor flat = tensor.reshape({-1});
                for (int i = 0; i < values.size(); ++i) {
                    // JSON doubles hold the test's int64 values exactly (all below 2^53).
                    QCOMPARE(flat[i].item<int64_t>(), int64_t(values[i].toDouble()));
                }
            } else {
                const at::Tensor flat = tensor.to(at::kDouble).reshape({-1});
                for (int i = 0; i < values.size(); ++i) {
                    // Python printed the exact value of each element (float(half) is exact).
                    QCOMPARE(flat[i].item<double>(), values[i].toDouble());
                }
            }
        }
    }

    void shardedDirectory()
    {
        QTemporaryDir dir;
        const QByteArray a = randomBytes(6 * 4, 11);
        const QByteArray b = randomBytes(4 * 2, 12);
        const QByteArray c = randomBytes(3 * 8, 13);
        QVERIFY(writeSafetensors(dir.filePath(QStringLiteral("model-00001-of-00002.safetensors")),
                                 {{QStringLiteral("a"), DType::F32, {2, 3}, a},
                                  {QStringLiteral("b"), DType::BF16, {4}, b}},
                                 {{QStringLiteral("format"), QStringLiteral("pt")}})
                        .isOk());
        QVERIFY(writeSafetensors(dir.filePath(QStringLiteral("model-00002-of-00002.safetensors")),
                                 {{QStringLiteral("c"), DType::I64, {3}, c}})
                        .isOk());
        const QByteArray index = R"({"metadata": {"total_size": 56}, "weight_map": {
            "a": "model-00001-of-00002.safetensors", "b": "model-00001-of-00002.safetensors",
            "c": "model-00002-of-00002.safetensors"}})";
        writeFile(dir.filePath(QStringLiteral("model.safetensors.index.json")), index);

        const Result<SafetensorsArchive> archive = SafetensorsArchive::open(dir.path());
        QVERIFY2(archive.isOk(), qPrintable(archive.status().message()));
        QCOMPARE(archive->tensorNames(),
                 (QStringList{QStringLiteral("a"), QStringLiteral("b"), QStringLiteral("c")}));
        QCOMPARE(archive->files().size(), 2);
        QCOMPARE(bytesOf(*archive->info(QStringLiteral("a"))), a);
        QCOMPARE(bytesOf(*archive->info(QStringLiteral("b"))), b);
        QCOMPARE(bytesOf(*archive->info(QStringLiteral("c"))), c);
        QVERIFY(archive->info(QStringLiteral("c"))
                        ->file.endsWith(QStringLiteral("model-00002-of-00002.safetensors")));
        QCOMPARE(archive->metadata().value(QStringLiteral("format")), QStringLiteral("pt"));

        // The index names a shard that does not hold the tensor.
        writeFile(dir.filePath(QStringLiteral("model.safetensors.index.json")),
                  R"({"weight_map": {"a": "model-00002-of-00002.safetensors"}})");
        Result<SafetensorsArchive> wrong = SafetensorsArchive::open(dir.path());
        QVERIFY(!wrong.isOk());
        QVERIFY2(wrong.status().message().contains(QStringLiteral("weight_map puts tensor 'a'")),
                 qPrintable(wrong.status().message()));

        // A missing shard.
        writeFile(dir.filePath(QStringLiteral("model.safetensors.index.json")),
                  R"({"weight_map": {"a": "model-00003-of-00003.safetensors"}})");
        wrong = SafetensorsArchive::open(dir.path());
        QVERIFY(!wrong.isOk());
        QVERIFY2(wrong.status().message().contains(
                         QStringLiteral("shard model-00003-of-00003.safetensors is missing")),
                 qPrintable(wrong.status().message()));

        // The same tensor in two shards.
        QVERIFY(writeSafetensors(dir.filePath(QStringLiteral("model-00002-of-00002.safetensors")),
                                 {{QStringLiteral("a"), DType::I64, {3}, c}})
                        .isOk());
        writeFile(dir.filePath(QStringLiteral("model.safetensors.index.json")), index);
        wrong = SafetensorsArchive::open(dir.path());
        QVERIFY(!wrong.isOk());
        QVERIFY2(wrong.status().message().contains(QStringLiteral("duplicate tensor name 'a'")) &&
                         wrong.status().message().contains(
                                 QStringLiteral("model-00002-of-00002.safetensors")),
                 qPrintable(wrong.status().message()));

        // Malformed index JSON.
        writeFile(dir.filePath(QStringLiteral("model.safetensors.index.json")),
                  "{\"weight_map\": ");
        wrong = SafetensorsArchive::open(dir.path());
        QVERIFY(!wrong.isOk());
        QVERIFY(wrong.status().message().contains(QStringLiteral("model.safetensors.index.json")));
        QVERIFY(wrong.status().message().contains(QStringLiteral("malformed JSON")));
    }

    void singleFileDirectory()
    {
        QTemporaryDir dir;
        QVERIFY(writeSafetensors(dir.filePath(QStringLiteral("sae_weights.safetensors")),
                                 {{QStringLiteral("W_enc"), DType::F32, {1}, randomBytes(4, 3)}})
                        .isOk());
        const Result<SafetensorsArchive> archive = SafetensorsArchive::open(dir.path());
        QVERIFY2(archive.isOk(), qPrintable(archive.status().message()));
        QVERIFY(archive->contains(QStringLiteral("W_enc")));
        QVERIFY(!archive->contains(QStringLiteral("W_dec")));
        QVERIFY(!archive->info(QStringLiteral("W_dec")).has_value());
    }

    void malformedFiles_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<QString>("expected");
        const QByteArray eight(8, '\0');
        QTest::newRow("too short") << QByteArray("abc") << QStringLiteral("too short");
        QTest::newRow("header beyond file")
                << rawFile(R"({})", {}, 4096) << QStringLiteral("beyond the end of the file");
        QTest::newRow("malformed json")
                << rawFile(R"({"a": {"dtype": "F32", )", {}) << QStringLiteral("malformed JSON");
        QTest::newRow("not an object")
                << rawFile(R"([1, 2])", {}) << QStringLiteral("not an object");
        QTest::newRow("overlap")
                << rawFile(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                           R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                           QByteArray(12, '\0'))
                << QStringLiteral("tensors 'a' [0, 8] and 'b' [4, 12] overlap");
        QTest::newRow("overlap past an empty tensor")
                << rawFile(R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},)"
                           R"("e":{"dtype":"F32","shape":[0],"data_offsets":[8,8]},)"
                           R"("b":{"dtype":"F32","shape":[4],"data_offsets":[8,24]}})",
                           QByteArray(24, '\0'))
                << QStringLiteral("overlap");
        QTest::newRow("out of range")
                << rawFile(R"({"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})",
                           QByteArray(8, '\0'))
                << QStringLiteral("tensor 'w': data_offsets [0, 16] out of range");
        QTest::newRow("end before begin")
                << rawFile(R"({"w":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}})", eight)
                << QStringLiteral("tensor 'w': invalid data_offsets");
        QTest::newRow("unknown dtype")
                << rawFile(R"({"w":{"dtype":"Q7","shape":[1],"data_offsets":[0,1]}})", eight)
                << QStringLiteral("tensor 'w': unknown dtype 'Q7'");
        QTest::newRow("unsupported dtype")
                << rawFile(R"({"w":{"dtype":"F64","shape":[1],"data_offsets":[0,8]}})", eight)
                << QStringLiteral("tensor 'w': unsupported dtype F64");
        QTest::newRow("size mismatch")
                << rawFile(R"({"w":{"dtype":"F16","shape":[3,2],"data_offsets":[0,8]}})", eight)
                << QStringLiteral(
                           "tensor 'w': shape [3,2] of F16 needs 12 bytes but data_offsets "
                           "[0, 8] span 8");
        QTest::newRow("duplicate name")
                << rawFile(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                           R"("w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                           eight)
                << QStringLiteral("duplicate tensor name 'w'");
        QTest::newRow("negative dimension")
                << rawFile(R"({"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})", eight)
                << QStringLiteral("tensor 'w': shape must hold non-negative integers");
        QTest::newRow("missing offsets") << rawFile(R"({"w":{"dtype":"F32","shape":[1]}})", eight)
                                         << QStringLiteral("tensor 'w': \"data_offsets\" must be");
        QTest::newRow("huge shape")
                << rawFile(R"({"w":{"dtype":"F32","shape":[4294967296,4294967296],)"
                           R"("data_offsets":[0,4]}})",
                           eight)
                << QStringLiteral("tensor 'w': shape too large");
        QTest::newRow("metadata value not a string")
                << rawFile(R"({"__metadata__":{"n":3}})", {})
                << QStringLiteral("__metadata__ value of 'n' is not a string");
    }

    void malformedFiles()
    {
        QFETCH(QByteArray, bytes);
        QFETCH(QString, expected);
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("broken.safetensors"));
        writeFile(path, bytes);
        const Result<SafetensorsArchive> archive = SafetensorsArchive::open(path);
        QVERIFY(!archive.isOk());
        QCOMPARE(archive.status().code(), Status::Code::InvalidInput);
        const QString message = archive.status().message();
        QVERIFY2(message.contains(expected), qPrintable(message));
        QVERIFY2(message.contains(QStringLiteral("broken.safetensors")), qPrintable(message));
    }

    void refusesPickles()
    {
        QTemporaryDir dir;
        writeFile(dir.filePath(QStringLiteral("pytorch_model.bin")), "PK\x03\x04 not really");
        writeFile(dir.filePath(QStringLiteral("config.json")), "{}");
        Result<SafetensorsArchive> archive = SafetensorsArchive::open(dir.path());
        QVERIFY(!archive.isOk());
        QString message = archive.status().message();
        QVERIFY2(message.contains(QStringLiteral("pytorch_model.bin")), qPrintable(message));
        QVERIFY2(message.contains(QStringLiteral("execute arbitrary code")), qPrintable(message));
        QVERIFY2(message.contains(QStringLiteral("safetensors")), qPrintable(message));

        writeFile(dir.filePath(QStringLiteral("weights.pt")), "x");
        archive = SafetensorsArchive::open(dir.filePath(QStringLiteral("weights.pt")));
        QVERIFY(!archive.isOk());
        message = archive.status().message();
        QVERIFY2(message.contains(QStringLiteral("weights.pt")) &&
                         message.contains(QStringLiteral("not supported")),
                 qPrintable(message));
    }

    void missingAndEmptyInputs()
    {
        QTemporaryDir dir;
        Result<SafetensorsArchive> archive =
                SafetensorsArchive::open(dir.filePath(QStringLiteral("nope.safetensors")));
        QVERIFY(!archive.isOk());
        QCOMPARE(archive.status().code(), Status::Code::NotFound);
        QVERIFY(archive.status().message().contains(QStringLiteral("nope.safetensors")));

        archive = SafetensorsArchive::open(dir.path());  // empty directory
        QVERIFY(!archive.isOk());
        QCOMPARE(archive.status().code(), Status::Code::NotFound);
        QVERIFY(archive.status().message().contains(QStringLiteral("no .safetensors file")));

        // Two files and no index: ambiguous.
        QVERIFY(writeSafetensors(dir.filePath(QStringLiteral("a.safetensors")), {}).isOk());
        QVERIFY(writeSafetensors(dir.filePath(QStringLiteral("b.safetensors")), {}).isOk());
        archive = SafetensorsArchive::open(dir.path());
        QVERIFY(!archive.isOk());
        QVERIFY2(
                archive.status().message().contains(QStringLiteral("a.safetensors, b.safetensors")),
                qPrintable(archive.status().message()));

        // A file with no tensors is valid.
        archive = SafetensorsArchive::open(dir.filePath(QStringLiteral("a.safetensors")));
        QVERIFY2(archive.isOk(), qPrintable(archive.status().message()));
        QVERIFY(archive->tensorNames().isEmpty());
    }

    void writerRejectsBadInput()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("out.safetensors"));
        Status status = writeSafetensors(path, {{QStringLiteral("x"), DType::F32, {2}, "abc"}});
        QVERIFY(!status.isOk());
        QVERIFY2(status.message().contains(
                         QStringLiteral("tensor 'x': shape [2] of F32 needs 8 bytes, got 3")),
                 qPrintable(status.message()));
        status = writeSafetensors(path, {{QStringLiteral("x"), DType::I32, {1}, "abcd"},
                                         {QStringLiteral("x"), DType::I32, {1}, "abcd"}});
        QVERIFY(!status.isOk());
        QVERIFY(status.message().contains(QStringLiteral("duplicate tensor name 'x'")));
        QVERIFY(!QFile::exists(path));
    }

    void zeroCopyTensors()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("w.safetensors"));
        const at::Tensor source = at::arange(24, at::kFloat).reshape({4, 6});
        const at::Tensor half = at::linspace(-2, 2, 10).to(at::kHalf);
        const at::Tensor brain = at::linspace(-3, 3, 6).to(at::kBFloat16).reshape({2, 3});
        QVERIFY(writeTensors(path, {{"f32", source}, {"f16", half}, {"bf16", brain}}).isOk());

        at::Tensor kept;
        {
            const Result<SafetensorsArchive> archive = SafetensorsArchive::open(path);
            QVERIFY2(archive.isOk(), qPrintable(archive.status().message()));
            const at::Tensor tensor = tensorFromArchive(*archive, QStringLiteral("f32"));
            const std::optional<TensorInfo> info = archive->info(QStringLiteral("f32"));
            // No copy: the tensor's storage is the mapped bytes.
            QCOMPARE(static_cast<const void *>(tensor.data_ptr()),
                     static_cast<const void *>(info->data));
            QVERIFY(at::equal(tensor, source));
            const at::Tensor f16 = tensorFromArchive(*archive, QStringLiteral("f16"));
            QCOMPARE(f16.scalar_type(), at::kHalf);
            QCOMPARE(static_cast<const void *>(f16.data_ptr()),
                     static_cast<const void *>(archive->info(QStringLiteral("f16"))->data));
            QVERIFY(at::equal(f16, half));
            const at::Tensor bf16 = tensorFromArchive(*archive, QStringLiteral("bf16"));
            QCOMPARE(bf16.scalar_type(), at::kBFloat16);
            QVERIFY(at::equal(bf16, brain));
            QVERIFY(!tensorFromArchive(*archive, QStringLiteral("absent")).defined());
            kept = tensor;
        }
        // The archive is gone; the tensor's deleter still holds the mapping.
        QVERIFY(at::equal(kept, source));
        // Copy-on-write: writing through the tensor never reaches the file.
        kept.mul_(2);
        QVERIFY(at::equal(kept, source * 2));
        const Result<SafetensorsArchive> again = SafetensorsArchive::open(path);
        QVERIFY(at::equal(tensorFromArchive(*again, QStringLiteral("f32")), source));
    }

    // The file shrinks under the mapping: reading the lost pages gives zeros, not SIGBUS, and
    // checkUnchanged() names the file; an untouched archive reports nothing.
    void truncatedAfterOpenReadsZerosAndSaysSo()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("big.safetensors"));
        const at::Tensor ones = at::ones({64, 1024}, at::kFloat);  // 256 KiB, many pages
        QVERIFY(writeTensors(path, {{"w", ones}}).isOk());
        const Result<SafetensorsArchive> archive = SafetensorsArchive::open(path);
        QVERIFY2(archive.isOk(), qPrintable(archive.status().message()));
        QVERIFY(checkMappingsUnchanged(*archive).isOk());
        const std::optional<TensorInfo> info = archive->info(QStringLiteral("w"));
        QVERIFY(info.has_value());
        QVERIFY(QFile::resize(path, 8192));
        const at::Tensor mapped = tensorFromArchive(*archive, QStringLiteral("w"));
        const float last = mapped.flatten()[-1].item<float>();
        QCOMPARE(last, 0.0f);
        QCOMPARE(mapped.flatten()[0].item<float>(), 1.0f);  // still in the file
        const Status changed = checkMappingsUnchanged(*archive);
        QVERIFY(!changed.isOk());
        QVERIFY2(changed.message().contains(QStringLiteral("big.safetensors: changed on disk")),
                 qPrintable(changed.message()));
        QVERIFY2(changed.message().contains(QStringLiteral("8192 now")),
                 qPrintable(changed.message()));
    }

    void writeTensorsHandlesLayoutsAndRejectsDtypes()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("t.safetensors"));
        const at::Tensor transposed = at::arange(12, at::kLong).reshape({3, 4}).t();
        QVERIFY(!transposed.is_contiguous());
        QVERIFY(writeTensors(path, {{"t", transposed}},
                             {{QStringLiteral("k"), QStringLiteral("v")}})
                        .isOk());
        const Result<SafetensorsArchive> archive = SafetensorsArchive::open(path);
        QVERIFY(archive.isOk());
        QCOMPARE(archive->info(QStringLiteral("t"))->shape, (QVector<qint64>{4, 3}));
        QVERIFY(at::equal(tensorFromArchive(*archive, QStringLiteral("t")), transposed));
        QCOMPARE(archive->metadata().value(QStringLiteral("k")), QStringLiteral("v"));

        const Status status = writeTensors(path, {{"d", at::zeros({2}, at::kDouble)}});
        QVERIFY(!status.isOk());
        QVERIFY2(status.message().contains(QStringLiteral("tensor 'd' has dtype Double")),
                 qPrintable(status.message()));
    }

    void checkTensorsListsProblems()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("m.safetensors"));
        QVERIFY(writeTensors(path, {{"model.norm.weight", at::zeros({8})},
                                    {"model.layers.0.mlp.up_proj.weight", at::zeros({16, 8})}})
                        .isOk());
        const Result<SafetensorsArchive> archive = SafetensorsArchive::open(path);
        QVERIFY(archive.isOk());
        QVERIFY(checkTensors(*archive, {{QStringLiteral("model.norm.weight"), {8}}},
                             QStringLiteral("LlamaForCausalLM"))
                        .isOk());
        const Status status =
                checkTensors(*archive,
                             {{QStringLiteral("model.norm.weight"), {8}},
                              {QStringLiteral("model.layers.0.mlp.up_proj.weight"), {24, 8}},
                              {QStringLiteral("lm_head.weight"), {100, 8}},
                              {QStringLiteral("model.embed_tokens.weight"), {100, 8}}},
                             QStringLiteral("LlamaForCausalLM"));
        QVERIFY(!status.isOk());
        const QString message = status.message();
        QVERIFY2(message.contains(QStringLiteral("missing tensors for LlamaForCausalLM: "
                                                 "lm_head.weight, model.embed_tokens.weight")),
                 qPrintable(message));
        QVERIFY2(message.contains(QStringLiteral("tensor 'model.layers.0.mlp.up_proj.weight' has "
                                                 "shape [16,8], expected [24,8]")),
                 qPrintable(message));
        QVERIFY(message.contains(QStringLiteral("m.safetensors")));
    }

    void dtypeNames()
    {
        for (DType dtype : {DType::F32, DType::F16, DType::BF16, DType::I32, DType::I64}) {
            QCOMPARE(dtypeFromName(dtypeName(dtype)), std::optional<DType>(dtype));
            QCOMPARE(qint64(c10::elementSize(toScalarType(dtype))), dtypeSize(dtype));
            QCOMPARE(fromScalarType(toScalarType(dtype)), std::optional<DType>(dtype));
        }
        QVERIFY(!dtypeFromName(QStringLiteral("F64")).has_value());
    }
};

QTEST_GUILESS_MAIN(TestSafetensors)
#include "tst_safetensors.moc"
