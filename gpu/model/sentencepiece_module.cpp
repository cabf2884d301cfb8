// The gyrus_sentencepiece module: the only code that links libsentencepiece. Loaded at run time
// with RTLD_DEEPBIND (see gpu/model/sentencepiece_api.h for why). No Qt, no torch.

#include "gpu/model/sentencepiece_api.h"

#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

#include <fstream>
#include <istream>
#include <mutex>
#include <new>
#include <ostream>
#include <unordered_map>

#include <dlfcn.h>

// Exported by libsentencepiece but not declared in its public headers.
namespace sentencepiece::logging {
void SetMinLogLevel(int level);
}  // namespace sentencepiece::logging

namespace gyrus::gpu::detail {

namespace {

// Under RTLD_DEEPBIND, sentencepiece's references to std::cout/cerr/clog/cin bind to
// libstdc++'s own storage for them. When the executable uses those streams, the linker gave it
// its own copies (copy relocations) and libstdc++ constructed only the copies: libstdc++'s
// storage stays unconstructed, and sentencepiece's first log line would crash. Construct the
// storage as streams over the same buffers as the executable's.
void repairStandardStreams()
{
    void *libstdcxx = dlopen("libstdc++.so.6", RTLD_NOW | RTLD_NOLOAD);
    void *program = dlopen(nullptr, RTLD_NOW);
    if (libstdcxx == nullptr || program == nullptr) {
        return;
    }
    for (const char *name : {"_ZSt4cout", "_ZSt4cerr", "_ZSt4clog"}) {
        void *own = dlsym(libstdcxx, name);
        void *global = dlsym(program, name);
        if (own != nullptr && global != nullptr && own != global) {
            auto *reference = static_cast<std::ostream *>(global);
            auto *stream = new (own) std::ostream(reference->rdbuf());
            stream->flags(reference->flags());
            stream->tie(reference->tie());
        }
    }
    void *own = dlsym(libstdcxx, "_ZSt3cin");
    void *global = dlsym(program, "_ZSt3cin");
    if (own != nullptr && global != nullptr && own != global) {
        auto *reference = static_cast<std::istream *>(global);
        auto *stream = new (own) std::istream(reference->rdbuf());
        stream->tie(reference->tie());
    }
}

void initialiseOnce()
{
    static std::once_flag once;
    std::call_once(once, [] {
        repairStandardStreams();
        // Errors come back as statuses; sentencepiece's INFO/WARNING lines would only clutter
        // the user's terminal (the trainer prints hundreds).
        sentencepiece::logging::SetMinLogLevel(2);
    });
}

class Processor final : public SentencepieceProcessor
{
public:
    bool load(const std::string &serializedModel, std::string *error) override
    {
        const auto status = m_processor.LoadFromSerializedProto(serializedModel);
        if (!status.ok()) {
            *error = status.ToString();
            return false;
        }
        return true;
    }

    bool encode(const std::string &utf8, std::vector<SentencepiecePiece> *pieces,
                std::string *error) const override
    {
        sentencepiece::ImmutableSentencePieceText text;
        const auto status = m_processor.Encode(utf8, text.mutable_proto());
        if (!status.ok()) {
            *error = status.ToString();
            return false;
        }
        pieces->clear();
        pieces->reserve(text.pieces_size());
        for (size_t i = 0; i < text.pieces_size(); ++i) {
            const auto piece = text.pieces(int(i));
            pieces->push_back({int(piece.id()), piece.begin(), piece.end()});
        }
        return true;
    }

    std::string decode(const std::vector<int> &ids) const override
    {
        std::string text;
        m_processor.Decode(ids, &text).IgnoreError();
        return text;
    }

    int pieceSize() const override { return m_processor.GetPieceSize(); }

    std::string idToPiece(int id) const override { return m_processor.IdToPiece(id); }

    int pieceToId(const std::string &piece) const override { return m_processor.PieceToId(piece); }

    bool isByte(int id) const override { return m_processor.IsByte(id); }

    bool isControl(int id) const override { return m_processor.IsControl(id); }

    bool isUnknown(int id) const override { return m_processor.IsUnknown(id); }

    int bosId() const override { return m_processor.bos_id(); }

    int eosId() const override { return m_processor.eos_id(); }

    int unkId() const override { return m_processor.unk_id(); }

    int padId() const override { return m_processor.pad_id(); }

    float score(int id) const override { return m_processor.GetScore(id); }

private:
    sentencepiece::SentencePieceProcessor m_processor;
};

SentencepieceProcessor *createProcessor()
{
    initialiseOnce();
    return new Processor();
}

// The lines of several files in turn, for the trainer. Reading the files here (not through
// --input) keeps their paths out of the model and allows any character in file names.
class FileLines final : public sentencepiece::SentenceIterator
{
public:
    explicit FileLines(const std::vector<std::string> &files)
        : m_files(files)
    {
        Next();
    }

    bool done() const override { return m_done; }

    void Next() override
    {
        while (!m_done) {
            if (m_stream.is_open() && std::getline(m_stream, m_line)) {
                if (!m_line.empty() && m_line.back() == '\r') {
                    m_line.pop_back();
                }
                return;
            }
            if (m_stream.is_open() && m_stream.bad()) {
                m_status = sentencepiece::util::Status(sentencepiece::util::StatusCode::kInternal,
                                                       "read error in " + m_files[m_next - 1]);
                m_done = true;
                return;
            }
            m_stream.close();
            if (m_next == m_files.size()) {
                m_done = true;
                return;
            }
            m_stream.clear();
            m_stream.open(m_files[m_next++], std::ios::binary);
            if (!m_stream.is_open()) {
                m_status = sentencepiece::util::Status(sentencepiece::util::StatusCode::kNotFound,
                                                       "cannot open " + m_files[m_next - 1]);
                m_done = true;
                return;
            }
        }
    }

    const std::string &value() const override { return m_line; }

    sentencepiece::util::Status status() const override { return m_status; }

private:
    const std::vector<std::string> &m_files;
    size_t m_next = 0;
    std::ifstream m_stream;
    std::string m_line;
    bool m_done = false;
    sentencepiece::util::Status m_status;
};

bool train(const std::vector<std::pair<std::string, std::string>> &args,
           const std::vector<std::string> &inputFiles, unsigned int seed,
           std::string *serializedModel, std::string *error)
{
    initialiseOnce();
    std::unordered_map<std::string, std::string> kwargs(args.begin(), args.end());
    sentencepiece::SetRandomGeneratorSeed(seed);
    FileLines lines(inputFiles);
    const auto status = sentencepiece::SentencePieceTrainer::Train(kwargs, &lines, serializedModel);
    // The trainer applies its --minloglevel flag globally; restore ours.
    sentencepiece::logging::SetMinLogLevel(2);
    if (!lines.status().ok()) {
        *error = lines.status().ToString();
        return false;
    }
    if (!status.ok()) {
        *error = status.ToString();
        return false;
    }
    return true;
}

}  // namespace

}  // namespace gyrus::gpu::detail

extern "C" __attribute__((visibility("default"))) const gyrus::gpu::detail::SentencepieceApi *
gyrus_sentencepiece_api()
{
    static const gyrus::gpu::detail::SentencepieceApi api = {
            gyrus::gpu::detail::kSentencepieceApiVersion, &gyrus::gpu::detail::createProcessor,
            &gyrus::gpu::detail::train};
    return &api;
}
