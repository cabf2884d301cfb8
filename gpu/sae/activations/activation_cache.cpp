#include "gpu/sae/activations/activation_cache.h"

#include "core/base/file_sha256.h"
#include "core/hdf5/hdf5_writer.h"
#include "gpu/model/language_model.h"
#include "gpu/sae/activations/activation_file.h"
#include "gpu/sae/activations/hook_windows.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>

#include <ATen/ATen.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>

namespace gyrus::gpu {

namespace {

// Bumped when the layout or the meaning of an attribute changes: older files are not continued.
constexpr double kCacheFormat = 2;

const QString kActivations = QStringLiteral("activations");
const QString kTokens = QStringLiteral("tokens");
const QString kDocIndex = QStringLiteral("doc_index");
const QString kPosition = QStringLiteral("position");

QString storageName(ActivationStorage storage)
{
    return storage == ActivationStorage::Float16 ? QStringLiteral("float16")
                                                 : QStringLiteral("float32");
}

// The settings a file was made with; every entry must match for a run to continue it.
QList<std::pair<QString, QString>> provenanceOf(const LanguageModel &model,
                                                const ActivationCacheOptions &options)
{
    const ModelInfo info = model.info();
    const QString corpus = QFileInfo(options.corpusPath).absoluteFilePath();
    return {
            {QStringLiteral("model"), QFileInfo(info.path).absoluteFilePath()},
            {QStringLiteral("model_config_sha256"),
             QString::fromLatin1(
                     fileSha256(QDir(info.path).filePath(QStringLiteral("config.json"))))},
            {QStringLiteral("model_dtype"), nameOf(info.dtype)},
            {QStringLiteral("corpus"), corpus},
            {QStringLiteral("corpus_sha256"), QString::fromLatin1(fileSha256(corpus))},
            {QStringLiteral("hook_name"), options.hookName},
            {QStringLiteral("context_length"), QString::number(options.contextLength)},
            {QStringLiteral("token_budget"), QString::number(options.tokenBudget)},
            {QStringLiteral("dtype"), storageName(options.storage)},
    };
}

// A sharded cache also records which shard a file is.
QList<std::pair<QString, QString>> shardProvenanceOf(const LanguageModel &model,
                                                     const ActivationCacheOptions &options)
{
    QList<std::pair<QString, QString>> provenance = provenanceOf(model, options);
    if (options.shardCount > 1) {
        provenance.append({QStringLiteral("shard_index"), QString::number(options.shardIndex)});
        provenance.append({QStringLiteral("shard_count"), QString::number(options.shardCount)});
    }
    return provenance;
}

// Where an existing file stands: its progress, or why it cannot be continued.
struct Progress
{
    qint64 rowsDone = 0;
    qint64 windowsDone = 0;
    qint64 documentsDone = 0;
    double normSum = 0;
    bool complete = false;
};

Result<Progress> readProgress(const QString &path,
                              const QList<std::pair<QString, QString>> &provenance, qint64 rows,
                              int columns)
{
    const QString remedy = QStringLiteral(
            "; delete it, pass --overwrite (ActivationCacheOptions::overwrite) or choose another "
            "--out");
    Result<ActivationFileInfo> info = inspectActivationFile(path, kActivations);
    if (!info) {
        return Status::invalidInput(info.status().message() +
                                    QStringLiteral(" (an existing file is continued only when "
                                                   "it is an unfinished cache)") +
                                    remedy);
    }
    const QMap<QString, QString> &attributes = info->attributes;
    if (attributes.value(QStringLiteral("cache_format")).toDouble() != kCacheFormat) {
        return Status::invalidInput(
                QStringLiteral("%1: not a resumable gyrus-cli cache (no cache_format %2)%3")
                        .arg(path)
                        .arg(kCacheFormat)
                        .arg(remedy));
    }
    for (const auto &[name, value] : provenance) {
        const QString stored = attributes.value(name);
        if (stored != value) {
            return Status::invalidInput(
                    QStringLiteral("%1: was cached with %2 = '%3' but this run has '%4'%5")
                            .arg(path, name, stored, value, remedy));
        }
    }
    if (info->rows != rows || info->columns != columns) {
        return Status::invalidInput(QStringLiteral("%1: holds [%2, %3] activations but this run "
                                                   "makes [%4, %5]%6")
                                            .arg(path)
                                            .arg(info->rows)
                                            .arg(info->columns)
                                            .arg(rows)
                                            .arg(columns)
                                            .arg(remedy));
    }
    Progress progress;
    progress.rowsDone = attributes.value(QStringLiteral("rows_done")).toLongLong();
    progress.windowsDone = attributes.value(QStringLiteral("windows_done")).toLongLong();
    progress.documentsDone = attributes.value(QStringLiteral("documents_done")).toLongLong();
    progress.normSum = attributes.value(QStringLiteral("norm_sum")).toDouble();
    progress.complete = attributes.value(QStringLiteral("complete")).toDouble() == 1.0;
    return progress;
}

Status writeProgress(Hdf5Writer &out, const Progress &progress)
{
    for (const auto &[name, value] :
         {std::pair{QStringLiteral("rows_done"), double(progress.rowsDone)},
          std::pair{QStringLiteral("windows_done"), double(progress.windowsDone)},
          std::pair{QStringLiteral("documents_done"), double(progress.documentsDone)},
          std::pair{QStringLiteral("norm_sum"), progress.normSum}}) {
        if (Status ok = out.setAttribute(name, value); !ok.isOk()) {
            return ok;
        }
    }
    return out.flush();
}

/// The file a cache that replaces an existing one is built in, beside it.
QString replacementPathOf(const QString &outPath)
{
    return outPath + QStringLiteral(".replacing");
}

double scaleOf(double normSum, qint64 rows, int columns)
{
    const double meanNorm = normSum / double(std::max<qint64>(1, rows));
    return meanNorm > 0 ? std::sqrt(double(columns)) / meanNorm : 1.0;
}

}  // namespace

struct ActivationCacheRun::State
{
    const LanguageModel *model = nullptr;
    ActivationCacheOptions options;
    std::vector<detail::HookWindow> windows;
    qint64 rows = 0;
    int columns = 0;
    Progress done;
    qint64 startRow = 0;
    std::unique_ptr<Hdf5Writer> out;
    int32_t lastDocument = std::numeric_limits<int32_t>::min();
    ActivationCacheResult result;
    bool finished = false;
    /// Where the file is written: options.outPath, or beside it when an existing cache is being
    /// replaced (--overwrite), which is renamed over outPath once complete.
    QString writePath;

    /// A replacement that ends unfinished without a kill (an error, a full disk, a cancel) is
    /// removed: the old cache stays, and no half-written file takes the disk beside it.
    ~State()
    {
        out.reset();
        if (!finished && !writePath.isEmpty() && writePath != options.outPath) {
            QFile::remove(writePath);
        }
    }
};

namespace {

/// Renames a completed replacement (--overwrite) over the old cache; nothing when the cache was
/// written in place. rename(2) replaces the file in one step: a reader sees the old cache or the
/// new one, never a mix.
Status publishReplacement(const QString &writePath, const QString &outPath)
{
    if (writePath == outPath) {
        return Status::ok();
    }
    if (std::rename(QFile::encodeName(writePath).constData(),
                    QFile::encodeName(outPath).constData()) != 0) {
        return Status::invalidInput(
                QStringLiteral("%1: could not replace it with %2 (%3)")
                        .arg(outPath, writePath, QString::fromLocal8Bit(std::strerror(errno))));
    }
    return Status::ok();
}

}  // namespace

ActivationCacheRun::ActivationCacheRun(std::unique_ptr<State> state)
    : m_state(std::move(state))
{}

ActivationCacheRun::~ActivationCacheRun() = default;

Result<std::unique_ptr<ActivationCacheRun>> ActivationCacheRun::start(
        const LanguageModel &model, const ActivationCacheOptions &options)
{
    if (!model.info().hookNames.contains(options.hookName)) {
        return Status::invalidInput(
                QStringLiteral("unknown hook '%1' (see gyrus-cli info for the model's hooks)")
                        .arg(options.hookName));
    }
    if (options.contextLength < 2 || options.batchSequences < 1 || options.tokenBudget < 0) {
        return Status::invalidInput(QStringLiteral("context length must be ≥ 2 and the batch ≥ 1"));
    }
    Result<TokenCorpus> corpus = encodeTextFile(options.corpusPath, model.tokenizer());
    if (!corpus) {
        return corpus.status();
    }
    if (options.shardCount < 1 || options.shardIndex < 0 ||
        options.shardIndex >= options.shardCount) {
        return Status::invalidInput(QStringLiteral("data shard %1 of %2 does not exist")
                                            .arg(options.shardIndex)
                                            .arg(options.shardCount));
    }
    auto state = std::make_unique<State>();
    state->model = &model;
    state->options = options;
    const bool sharded = options.shardCount > 1;
    std::vector<detail::HookWindow> windows =
            detail::cutHookWindows(corpus.value(), model.tokenizer().bosId(), options.contextLength,
                                   sharded ? 0 : options.tokenBudget);
    if (sharded) {
        // Disjoint documents per shard: line d goes to shard d mod shardCount.
        std::vector<detail::HookWindow> mine;
        for (detail::HookWindow &window : windows) {
            if (window.document % options.shardCount == options.shardIndex) {
                mine.push_back(std::move(window));
            }
        }
        windows = std::move(mine);
    }
    qint64 available = 0;
    for (const detail::HookWindow &window : windows) {
        available += detail::rowsOf(window);
    }
    const qint64 rows =
            options.tokenBudget > 0 ? std::min(available, options.tokenBudget) : available;
    if (rows == 0) {
        return Status::invalidInput(
                QStringLiteral("%1: no tokens to cache").arg(options.corpusPath));
    }
    const int columns = model.info().dModel;
    const QList<std::pair<QString, QString>> provenance = shardProvenanceOf(model, options);
    state->windows = std::move(windows);
    state->rows = rows;
    state->columns = columns;
    state->result.rows = rows;
    state->result.columns = columns;
    Progress &done = state->done;

    // Continue an unfinished file with the same settings; refuse one with other settings. An
    // old cache that --overwrite replaces stays as it is until the new one is complete: the new
    // one is built beside it (a run killed or failing half-way leaves the old cache), and a
    // replacement left by a killed run is continued like any unfinished cache when its settings
    // are this run's, otherwise started again.
    const bool replacing = options.overwrite && QFileInfo::exists(options.outPath);
    state->writePath = replacing ? replacementPathOf(options.outPath) : options.outPath;
    bool resume = QFileInfo::exists(options.outPath) && !options.overwrite;
    Result<Progress> existing = Progress{};
    if (resume) {
        existing = readProgress(options.outPath, provenance, rows, columns);
        if (!existing) {
            return existing.status();
        }
    } else if (replacing && QFileInfo::exists(state->writePath)) {
        existing = readProgress(state->writePath, provenance, rows, columns);
        resume = existing.isOk();
    }
    if (resume) {
        done = existing.value();
        state->result.resumedFromRow = done.rowsDone;
        state->startRow = done.rowsDone;
        if (done.complete) {
            state->result.documents = done.documentsDone;
            state->result.normalisationScale = scaleOf(done.normSum, rows, columns);
            state->result.normSum = done.normSum;
            // A replacement completed by a run killed before its rename: rename it now.
            if (Status published = publishReplacement(state->writePath, options.outPath);
                !published.isOk()) {
                return published;
            }
            state->finished = true;
            return std::unique_ptr<ActivationCacheRun>(new ActivationCacheRun(std::move(state)));
        }
        Result<std::unique_ptr<Hdf5Writer>> opened = Hdf5Writer::openRows(state->writePath);
        if (!opened) {
            return opened.status();
        }
        state->out = std::move(opened).value();
        for (const QString &name : {kActivations, kTokens, kDocIndex, kPosition}) {
            if (Status status = state->out->openDataset(name); !status.isOk()) {
                return status;
            }
        }
    } else {
        Result<std::unique_ptr<Hdf5Writer>> created = Hdf5Writer::createRows(state->writePath);
        if (!created) {
            return created.status();
        }
        state->out = std::move(created).value();
        Hdf5Writer &out = *state->out;
        const Hdf5Writer::Type floatType = options.storage == ActivationStorage::Float16
                                                   ? Hdf5Writer::Type::Float16
                                                   : Hdf5Writer::Type::Float32;
        for (const auto &[name, type, width] :
             {std::tuple{kActivations, floatType, int64_t(columns)},
              std::tuple{kTokens, Hdf5Writer::Type::Int32, int64_t(0)},
              std::tuple{kDocIndex, Hdf5Writer::Type::Int32, int64_t(0)},
              std::tuple{kPosition, Hdf5Writer::Type::Int32, int64_t(0)}}) {
            if (Status status = out.createDataset(name, type, rows, width); !status.isOk()) {
                return status;
            }
        }
        for (const auto &[name, value] : provenance) {
            if (Status status = out.setAttribute(name, value); !status.isOk()) {
                return status;
            }
        }
        if (Status status = out.setAttribute(QStringLiteral("cache_format"), kCacheFormat);
            !status.isOk()) {
            return status;
        }
        if (Status status = writeProgress(out, done); !status.isOk()) {
            return status;
        }
    }
    state->lastDocument = done.windowsDone > 0
                                  ? state->windows[size_t(done.windowsDone - 1)].document
                                  : std::numeric_limits<int32_t>::min();
    return std::unique_ptr<ActivationCacheRun>(new ActivationCacheRun(std::move(state)));
}

Status ActivationCacheRun::step()
{
    State &s = *m_state;
    if (s.finished) {
        return Status::ok();
    }
    if (!s.out) {
        return Status::internal(QStringLiteral("%1: the cache was closed").arg(s.options.outPath));
    }
    const ActivationCacheOptions &options = s.options;
    Progress &done = s.done;
    constexpr double kHalfMax = 65504.0;
    const size_t first = size_t(done.windowsDone);
    const size_t count = std::min(s.windows.size() - first, size_t(options.batchSequences));
    std::vector<const detail::HookWindow *> batch;
    for (size_t w = first; w < first + count; ++w) {
        batch.push_back(&s.windows[w]);
    }
    Result<at::Tensor> hook =
            detail::hookRows(*s.model, options.hookName, batch, options.corpusPath);
    if (!hook) {
        return hook.status();
    }
    // The token budget may end inside the last window.
    const int64_t n = std::min<int64_t>(hook->size(0), s.rows - done.rowsDone);
    const at::Tensor activations = hook->narrow(0, 0, n);
    std::vector<int32_t> tokens;
    std::vector<int32_t> docs;
    std::vector<int32_t> positions;
    for (const detail::HookWindow *window : batch) {
        for (size_t t = 1; t < window->tokens.size() && int64_t(tokens.size()) < n; ++t) {
            tokens.push_back(window->tokens[t]);
            docs.push_back(window->document);
            positions.push_back(window->firstPosition + int32_t(t) - 1);
        }
        if (window->document != s.lastDocument) {
            s.lastDocument = window->document;
            ++done.documentsDone;
        }
    }
    at::Tensor stored = activations;
    if (options.storage == ActivationStorage::Float16) {
        if (activations.abs().max().item<double>() > kHalfMax) {
            return Status::invalidInput(QStringLiteral("%1: an activation at %2 exceeds the "
                                                       "float16 range (±65504); cache with "
                                                       "--dtype float32")
                                                .arg(options.outPath, options.hookName));
        }
        stored = activations.to(at::kHalf).contiguous();
    }
    for (const auto &[name, data] :
         {std::pair{kActivations, static_cast<const void *>(stored.data_ptr())},
          std::pair{kTokens, static_cast<const void *>(tokens.data())},
          std::pair{kDocIndex, static_cast<const void *>(docs.data())},
          std::pair{kPosition, static_cast<const void *>(positions.data())}}) {
        if (Status ok = s.out->writeRows(name, done.rowsDone, n, data); !ok.isOk()) {
            return ok;
        }
    }
    // The scale is estimated on the float32 values (before any rounding to float16).
    done.normSum += activations.to(at::kDouble).norm(2, {1}).sum().item<double>();
    done.rowsDone += n;
    done.windowsDone += qint64(count);
    if (Status ok = writeProgress(*s.out, done); !ok.isOk()) {
        return ok;
    }
    if (done.rowsDone < s.rows) {
        return Status::ok();
    }
    s.result.documents = done.documentsDone;
    s.result.normalisationScale = scaleOf(done.normSum, s.rows, s.columns);
    s.result.normSum = done.normSum;
    s.out->setAttribute(QStringLiteral("normalisation_scale"), s.result.normalisationScale);
    s.out->setAttribute(QStringLiteral("complete"), 1.0);
    Status closed = s.out->commit();
    s.out.reset();
    if (!closed.isOk()) {
        return closed;
    }
    if (Status published = publishReplacement(s.writePath, options.outPath); !published.isOk()) {
        return published;
    }
    s.finished = true;
    return Status::ok();
}

bool ActivationCacheRun::isFinished() const
{
    return m_state->finished;
}

qint64 ActivationCacheRun::rowsDone() const
{
    return m_state->done.rowsDone;
}

qint64 ActivationCacheRun::rows() const
{
    return m_state->rows;
}

double ActivationCacheRun::fraction() const
{
    const State &s = *m_state;
    const qint64 left = s.rows - s.startRow;
    return left > 0 ? double(s.done.rowsDone - s.startRow) / double(left) : 1.0;
}

const ActivationCacheResult &ActivationCacheRun::result() const
{
    return m_state->result;
}

void ActivationCacheRun::close()
{
    if (m_state->out) {
        m_state->out->commit();  // the rows so far stay: a later run resumes from them
        m_state->out.reset();
    }
}

Result<ActivationCacheResult> cacheActivations(const LanguageModel &model,
                                               const ActivationCacheOptions &options,
                                               const std::function<bool(double)> &progress)
{
    const bool replacing = options.overwrite && QFileInfo::exists(options.outPath);
    Result<std::unique_ptr<ActivationCacheRun>> started = ActivationCacheRun::start(model, options);
    if (!started) {
        return started.status();
    }
    ActivationCacheRun &run = *started.value();
    while (!run.isFinished()) {
        if (Status stepped = run.step(); !stepped.isOk()) {
            return stepped;
        }
        const bool goOn = !progress || progress(double(run.rowsDone()) / double(run.rows()));
        if (!goOn && !run.isFinished()) {
            return Status::cancelled(
                    QStringLiteral("%1: cancelled after %2 of %3 rows; %4")
                            .arg(options.outPath)
                            .arg(run.rowsDone())
                            .arg(run.rows())
                            .arg(replacing ? QStringLiteral("the old cache is unchanged")
                                           : QStringLiteral("run again with the same settings "
                                                            "to continue")));
        }
    }
    ActivationCacheResult result = run.result();
    return result;
}

}  // namespace gyrus::gpu
