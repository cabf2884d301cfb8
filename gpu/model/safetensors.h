#pragma once
// Hugging Face safetensors: a memory-mapped reader (single file or sharded directory) and a
// writer. Torch-free; gpu/model/safetensors_torch.h turns entries into at::Tensor without a copy.

#include "core/base/status.h"

#include <QByteArrayView>
#include <QList>
#include <QMap>
#include <QString>
#include <QStringList>
#include <QVector>

#include <memory>
#include <optional>
#include <utility>
#include <vector>

namespace gyrus::gpu {

/// The element types Gyrus reads and writes. Other safetensors dtypes (F64, I8, U8, BOOL, F8_*)
/// are rejected with an "unsupported dtype" error naming the tensor.
enum class DType
{
    F32,
    F16,
    BF16,
    I32,
    I64,
};

/// "F32", "F16", "BF16", "I32", "I64": the spelling of the safetensors header.
QString dtypeName(DType dtype);

/// Inverse of dtypeName(); std::nullopt for anything else (including F64 and friends).
std::optional<DType> dtypeFromName(const QString &name);

/// Bytes per element: 4, 2, 2, 4, 8.
qint64 dtypeSize(DType dtype);

/// One tensor of an open archive. `data` points into the archive's read-only, copy-on-write
/// mapping and stays valid while the archive (or any copy of it, or a keepAlive() handle) lives.
struct TensorInfo
{
    QString name;
    DType dtype = DType::F32;
    QVector<qint64> shape;
    QString file;  ///< the .safetensors file that holds it (absolute path)
    const uchar *data = nullptr;
    qint64 bytes = 0;

    qint64 numel() const;
};

/// A read-only view of one .safetensors file or of a sharded Hugging Face directory
/// (`model.safetensors.index.json` -> weight_map). Opening validates every header (offsets,
/// sizes, dtypes, duplicates) but reads no tensor data: pages are loaded when touched.
/// Copies are cheap and share the mappings.
class SafetensorsArchive
{
public:
    SafetensorsArchive();  ///< an empty archive with no tensors

    /// `fileOrDir`: a .safetensors file; or a directory holding model.safetensors.index.json, or
    /// exactly one *.safetensors file. Pickle checkpoints (.bin/.pt/.pth/.ckpt) are refused.
    static Result<SafetensorsArchive> open(const QString &fileOrDir);

    /// Tensor names, sorted.
    QStringList tensorNames() const;

    bool contains(const QString &name) const;

    std::optional<TensorInfo> info(const QString &name) const;

    /// The `__metadata__` of the file (single file) or the union over the shards.
    QMap<QString, QString> metadata() const;

    /// The mapped .safetensors files (absolute paths, sorted).
    QStringList files() const;

    /// What open() was given.
    QString path() const;

    /// Sum of the tensors' byte sizes.
    qint64 totalTensorBytes() const;

    /// A handle that keeps the mappings alive after the archive is gone (zero-copy tensors hold
    /// one in their deleter).
    std::shared_ptr<const void> keepAlive() const;

private:
    struct Data;
    explicit SafetensorsArchive(std::shared_ptr<const Data> data);
    std::shared_ptr<const Data> m_data;
};

/// One tensor to write. `data` is not owned: it must stay valid during writeSafetensors().
struct TensorToWrite
{
    QString name;
    DType dtype = DType::F32;
    QVector<qint64> shape;
    QByteArrayView data;  ///< exactly numel * dtypeSize bytes, little-endian, row-major
};

/// Writes a .safetensors file as Hugging Face does (8-byte LE header length, JSON header padded
/// with spaces to a multiple of 8, tensors ordered by element size so every tensor is aligned).
/// Atomic: a temporary file is renamed over `path`. Fails on duplicate names or a size mismatch.
Status writeSafetensors(const QString &path, const QList<TensorToWrite> &tensors,
                        const QMap<QString, QString> &metadata = {});

/// A required tensor name and its expected shape.
using ExpectedTensor = std::pair<QString, QVector<qint64>>;

/// Checks that `archive` holds every expected tensor with its shape. The error lists all
/// problems: "missing tensors for LlamaForCausalLM: a, b; tensor 'x' has shape [a,b], expected
/// [c,d]". `what` names the model ("LlamaForCausalLM"). Extra tensors are allowed.
Status checkTensors(const SafetensorsArchive &archive, const std::vector<ExpectedTensor> &expected,
                    const QString &what);

/// "[2,3]": the shape as the messages spell it.
QString shapeToString(const QVector<qint64> &shape);

}  // namespace gyrus::gpu
