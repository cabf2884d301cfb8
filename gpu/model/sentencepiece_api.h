#pragma once
// Private to gyrus_gpu: the interface between the tokenizer and the gyrus_sentencepiece module.
//
// Why a separate module: Debian's libsentencepiece carries its own copy of protobuf-lite 3.14
// and exports its symbols, while libtorch needs the system libprotobuf 3.21. In one flat
// symbol namespace one copy's code runs against the other's data: with sentencepiece first the
// process segfaults at start-up; with libprotobuf first sentencepiece aborts on its first use
// ("compiled against version 3.14.0 ... not compatible with 3.21.12"). So no gyrus executable
// links sentencepiece; the module that does is loaded with dlopen(RTLD_LOCAL | RTLD_DEEPBIND),
// which binds sentencepiece to its own protobuf. Only standard C++ types cross this interface
// (same compiler and libstdc++ on both sides); neither Qt nor sentencepiece headers appear here.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace gyrus::gpu::detail {

/// Bumped whenever SentencepieceApi or SentencepieceProcessor changes, so that a stale module
/// is refused rather than called through a mismatched vtable.
constexpr int kSentencepieceApiVersion = 1;

/// One encoded piece: its id and the byte range [begin, end) of the UTF-8 input it covers.
struct SentencepiecePiece
{
    int id = 0;
    std::uint32_t begin = 0;
    std::uint32_t end = 0;
};

/// sentencepiece::SentencePieceProcessor behind plain types.
class SentencepieceProcessor
{
public:
    virtual ~SentencepieceProcessor() = default;
    virtual bool load(const std::string &serializedModel, std::string *error) = 0;
    virtual bool encode(const std::string &utf8, std::vector<SentencepiecePiece> *pieces,
                        std::string *error) const = 0;
    virtual std::string decode(const std::vector<int> &ids) const = 0;
    virtual int pieceSize() const = 0;
    virtual std::string idToPiece(int id) const = 0;
    virtual int pieceToId(const std::string &piece) const = 0;
    virtual bool isByte(int id) const = 0;
    virtual bool isControl(int id) const = 0;
    virtual bool isUnknown(int id) const = 0;
    virtual int bosId() const = 0;
    virtual int eosId() const = 0;
    virtual int unkId() const = 0;
    virtual int padId() const = 0;
    virtual float score(int id) const = 0;
};

struct SentencepieceApi
{
    int version = kSentencepieceApiVersion;
    /// A new, empty processor; the caller owns it.
    SentencepieceProcessor *(*createProcessor)() = nullptr;
    /// SentencePieceTrainer::Train with `args` (flag name -> value, no input or model_prefix)
    /// on the lines of `inputFiles`, with a fixed random seed. The model comes back in
    /// `*serializedModel` and no file is written, so the model records no path: the same
    /// inputs give the same bytes wherever they live.
    bool (*train)(const std::vector<std::pair<std::string, std::string>> &args,
                  const std::vector<std::string> &inputFiles, unsigned int seed,
                  std::string *serializedModel, std::string *error) = nullptr;
};

/// The symbol the module exports: `extern "C" const SentencepieceApi *gyrus_sentencepiece_api()`.
constexpr const char *kSentencepieceApiSymbol = "gyrus_sentencepiece_api";

/// Loads the module once (thread-safe) and returns its API, or nullptr with `*error` saying why
/// (module not found, wrong version, dlopen failure). Looks in $GYRUS_SENTENCEPIECE_MODULE, next
/// to the executable, in ../lib/gyrus/ relative to it, then in the build tree.
const SentencepieceApi *sentencepieceApi(std::string *error);

}  // namespace gyrus::gpu::detail
