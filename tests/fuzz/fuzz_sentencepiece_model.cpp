// libFuzzer harness: a sentencepiece tokenizer.model (a serialized protobuf ModelProto) through
// Gyrus's sentencepiece module: any bytes load or fail with a message; a model that loads must
// encode and decode without crashing, and its pieces must cover the input in order. Linked with
// libsentencepiece directly (no torch in this process, so no protobuf clash). libsentencepiece
// itself is not instrumented: the coverage guiding the fuzzer is the module's.

#include "gpu/model/sentencepiece_api.h"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

extern "C" const gyrus::gpu::detail::SentencepieceApi *gyrus_sentencepiece_api();

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    using namespace gyrus::gpu::detail;
    std::unique_ptr<SentencepieceProcessor> processor(gyrus_sentencepiece_api()->createProcessor());
    std::string error;
    if (!processor->load(std::string(reinterpret_cast<const char *>(data), size), &error)) {
        return 0;
    }
    const int pieces = processor->pieceSize();
    for (const char *text :
         {"Hello world", " ab ab1 \xC3\xA9xx  \n\n", "", "\xF0\x9F\x98\x80 x 2024"}) {
        const std::string utf8(text);
        std::vector<SentencepiecePiece> encoded;
        if (!processor->encode(utf8, &encoded, &error)) {
            continue;
        }
        std::vector<int> ids;
        for (const SentencepiecePiece &piece : encoded) {
            if (piece.id < 0 || piece.id >= pieces || piece.begin > piece.end ||
                piece.end > utf8.size()) {
                std::fprintf(stderr, "piece %d [%u, %u) outside the vocabulary or the input\n",
                             piece.id, piece.begin, piece.end);
                std::abort();
            }
            ids.push_back(piece.id);
            (void)processor->idToPiece(piece.id);
            (void)processor->isByte(piece.id);
        }
        (void)processor->decode(ids);
    }
    (void)processor->pieceToId("\xE2\x96\x81the");
    return 0;
}
