#include "gpu/sae/sae_directory.h"

#include "core/base/file_write.h"
#include "core/base/json_file.h"
#include "gpu/sae/saelens_config.h"

#include <QFile>
#include <QFileInfo>
#include <QJsonObject>
#include <QJsonValue>
#include <QSaveFile>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <utility>

namespace gyrus::gpu {

namespace {

const QString kConfigFile = QStringLiteral("cfg.json");
const QString kLlamaScopeFile = QStringLiteral("hyperparams.json");

bool exists(const QString &directory, const QString &file)
{
    return QFileInfo::exists(QDir(directory).filePath(file));
}

// Llama Scope SAEs were all trained on Llama-3.1-8B (fnlp/Llama3_1-8B-Base-LX*), and their
// hyperparams.json does not name the model; SAELens' llama_scope loader says the same.
const QString kLlamaScopeModel = QStringLiteral("meta-llama/Llama-3.1-8B");

double numberOr(const QJsonObject &object, const QString &key, double fallback)
{
    const QJsonValue value = object.value(key);
    return value.isDouble() ? value.toDouble() : fallback;
}

const QString kSaveJournal = QStringLiteral(".gyrus-save-journal");
const QString kStagingSuffix = QStringLiteral(".saving");

Status replaceFrom(const QDir &dir, const QStringList &journal)
{
    for (const QString &line : journal) {
        const QString name = line.section(QLatin1Char(' '), 1);
        const QString path = dir.filePath(name);
        if (line.startsWith(QLatin1String("rename "))) {
            const QString staged = path + kStagingSuffix;
            if (QFileInfo::exists(staged) &&
                std::rename(QFile::encodeName(staged).constData(),
                            QFile::encodeName(path).constData()) != 0) {
                return Status::invalidInput(
                        QStringLiteral("%1: cannot replace: %2")
                                .arg(path, QString::fromLocal8Bit(std::strerror(errno))));
            }
        } else if (line.startsWith(QLatin1String("remove "))) {
            QFile::remove(path);
        }
    }
    if (!QFile::remove(dir.filePath(kSaveJournal))) {
        return Status::invalidInput(
                QStringLiteral("%1: cannot remove").arg(dir.filePath(kSaveJournal)));
    }
    return Status::ok();
}

}  // namespace

namespace detail {

Status finishInterruptedSave(const QString &directory)
{
    const QDir dir(directory);
    QFile journal(dir.filePath(kSaveJournal));
    if (!journal.exists()) {
        return Status::ok();
    }
    if (!journal.open(QIODevice::ReadOnly)) {
        return Status::invalidInput(QStringLiteral("%1: cannot read: %2")
                                            .arg(journal.fileName(), journal.errorString()));
    }
    const QStringList lines =
            QString::fromUtf8(journal.readAll()).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    journal.close();
    return replaceFrom(dir, lines);
}

SaeFileStaging::SaeFileStaging(const QString &directory)
    : m_dir(directory)
{}

SaeFileStaging::~SaeFileStaging()
{
    for (const QString &name : std::as_const(m_staged)) {
        QFile::remove(m_dir.filePath(name) + kStagingSuffix);
    }
}

QString SaeFileStaging::add(const QString &name)
{
    m_staged << name;
    return m_dir.filePath(name) + kStagingSuffix;
}

Status SaeFileStaging::commit()
{
    QStringList journal;
    for (const QString &name : std::as_const(m_staged)) {
        journal << QStringLiteral("rename ") + name;
    }
    for (const QString &name : std::as_const(m_removed)) {
        journal << QStringLiteral("remove ") + name;
    }
    QSaveFile file(m_dir.filePath(kSaveJournal));
    QString failure;
    if (!file.open(QIODevice::WriteOnly | QIODevice::Unbuffered)) {
        failure = file.errorString();
    } else {
        failure = writeFully(file, journal.join(QLatin1Char('\n')).toUtf8());
        if (failure.isEmpty() && !file.commit()) {
            failure = writeFailure(file, errno);
        }
    }
    if (!failure.isEmpty()) {
        return Status::invalidInput(
                QStringLiteral("%1: cannot write: %2").arg(file.fileName(), failure));
    }
    m_staged.clear();
    return replaceFrom(m_dir, journal);
}

Result<SaeFileInfo> readLlamaScopeInfo(const QString &directory)
{
    const QString path = QDir(directory).filePath(kLlamaScopeFile);
    Result<QJsonObject> read = readJsonObjectFile(path);
    if (!read) {
        return read.status();
    }
    const QJsonObject &hp = read.value();
    SaeFileInfo info;
    info.directory = directory;
    info.config.format = QStringLiteral("llama-scope");
    const int64_t dModel = static_cast<int64_t>(numberOr(hp, QStringLiteral("d_model"), 0));
    int64_t dSae = static_cast<int64_t>(numberOr(hp, QStringLiteral("d_sae"), 0));
    if (dSae <= 0) {
        dSae = dModel * static_cast<int64_t>(numberOr(hp, QStringLiteral("expansion_factor"), 0));
    }
    if (dModel <= 0 || dSae <= 0) {
        return Status::invalidInput(
                QStringLiteral("%1: 'd_model' and 'd_sae' (or 'expansion_factor') must be "
                               "positive integers")
                        .arg(path));
    }
    info.config.dIn = dModel;
    info.config.dSae = dSae;
    info.config.modelName = hp.value(QStringLiteral("model_name")).toString(kLlamaScopeModel);
    info.config.prependBos = true;
    const QString hookIn = hp.value(QStringLiteral("hook_point_in")).toString();
    const QString hookOut = hp.value(QStringLiteral("hook_point_out")).toString(hookIn);
    if (hookIn.isEmpty()) {
        return Status::invalidInput(QStringLiteral("%1: missing key 'hook_point_in'").arg(path));
    }
    if (hookOut != hookIn) {
        return Status::invalidInput(
                QStringLiteral("%1: hook_point_in '%2' differs from hook_point_out '%3': this is a "
                               "transcoder, and Gyrus loads SAEs only")
                        .arg(path, hookIn, hookOut));
    }
    info.config.hookName = hookIn;
    info.savedArchitecture =
            hp.value(QStringLiteral("act_fn")).toString(QStringLiteral("jumprelu"));
    if (info.savedArchitecture != QLatin1String("jumprelu")) {
        return Status::invalidInput(
                QStringLiteral("%1: act_fn '%2' is not supported: Llama Scope publishes its SAEs "
                               "as jumprelu")
                        .arg(path, info.savedArchitecture));
    }
    info.config.architecture = SaeArchitecture::JumpRelu;
    const QJsonValue threshold = hp.value(QStringLiteral("jump_relu_threshold"));
    if (!threshold.isDouble() || !(threshold.toDouble() >= 0)) {
        return Status::invalidInput(
                QStringLiteral("%1: 'jump_relu_threshold' must be a non-negative number")
                        .arg(path));
    }
    info.config.applyBDecToInput =
            hp.value(QStringLiteral("apply_decoder_bias_to_pre_encoder")).toBool(false);
    info.normalisation =
            hp.value(QStringLiteral("norm_activation")).toString(QStringLiteral("none"));
    if (info.normalisation == QLatin1String("dataset-wise")) {
        const QJsonObject norms =
                hp.value(QStringLiteral("dataset_average_activation_norm")).toObject();
        const double in = numberOr(norms, QStringLiteral("in"), 0);
        const double out = numberOr(norms, QStringLiteral("out"), in);
        if (!(in > 0) || !std::isfinite(in)) {
            return Status::invalidInput(
                    QStringLiteral("%1: norm_activation is dataset-wise but "
                                   "dataset_average_activation_norm.in is not a positive number")
                            .arg(path));
        }
        if (out != in) {
            return Status::invalidInput(
                    QStringLiteral("%1: dataset_average_activation_norm in (%2) and out (%3) "
                                   "differ; an SAE reconstructs its own input")
                            .arg(path)
                            .arg(in)
                            .arg(out));
        }
        info.foldedInputScale = std::sqrt(static_cast<double>(dModel)) / in;
    } else if (info.normalisation != QLatin1String("none") &&
               info.normalisation != QLatin1String("inference")) {
        return Status::invalidInput(
                QStringLiteral("%1: norm_activation '%2' is not supported (dataset-wise, "
                               "inference, none)")
                        .arg(path, info.normalisation));
    }
    return info;
}

}  // namespace detail

Result<SaeFileInfo> readSaeInfo(const QString &directory)
{
    if (!QFileInfo(directory).isDir()) {
        return Status::notFound(QStringLiteral("%1: no such SAE directory").arg(directory));
    }
    if (Status status = detail::finishInterruptedSave(directory); !status.isOk()) {
        return status;
    }
    if (!exists(directory, kConfigFile) && exists(directory, kLlamaScopeFile)) {
        return detail::readLlamaScopeInfo(directory);
    }
    const QString path = QDir(directory).filePath(kConfigFile);
    Result<QJsonObject> json = readJsonObjectFile(path);
    if (!json) {
        return json.status();
    }
    Result<SaeFileInfo> info = detail::parseSaeLensConfig(json.value(), path);
    if (info) {
        info.value().directory = directory;
    }
    return info;
}

}  // namespace gyrus::gpu
