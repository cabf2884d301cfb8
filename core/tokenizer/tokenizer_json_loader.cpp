// Reads tokenizer.json (and tokenizer_config.json, and GPT-2's vocab.json + merges.txt) into an
// HfTokenizer. Every check names the file and the JSON path, so a bad or unsupported file gives
// one clear line instead of a crash or a silently different tokenizer.

#include "core/tokenizer/hf_tokenizer.h"
#include "core/tokenizer/utf8.h"

#include <QFile>
#include <QFileInfo>

#include <nlohmann/json.hpp>

#include <map>
#include <optional>

namespace gyrus::tokenizer {

namespace {

using Json = nlohmann::json;

constexpr int kMaxId = 1 << 24;

// A failure at a JSON path; converted to a Status naming the file at the top.
struct LoadError
{
    std::string path;
    std::string message;
};

// model.vocab and model.merges, taken out of the parse as they stream by: a DOM of Gemma-3's
// 262k-entry vocabulary (a std::map) and 514k merges costs more than the rest of the load.
struct StreamedModel
{
    bool hasVocab = false;
    bool hasMerges = false;
    std::vector<std::pair<std::string, Json>> vocab;
    std::vector<Json> merges;
};

Json parseStreamingModel(const char *begin, const char *end, StreamedModel *streamed)
{
    std::string topKey;
    std::string modelKey;
    std::string entryKey;
    using Event = Json::parse_event_t;
    const Json::parser_callback_t callback = [&](int depth, Event event, Json &parsed) {
        if (event == Event::key) {
            if (depth == 1) {
                topKey = parsed.get<std::string>();
            } else if (depth == 2 && topKey == "model") {
                modelKey = parsed.get<std::string>();
            } else if (depth == 3 && topKey == "model" && modelKey == "vocab") {
                entryKey = parsed.get<std::string>();
                return false;
            }
            return true;
        }
        const bool entryDone =
                event == Event::value || event == Event::array_end || event == Event::object_end;
        if (depth != 3 || topKey != "model" || !entryDone) {
            return true;
        }
        if (modelKey == "vocab") {
            streamed->hasVocab = true;
            streamed->vocab.emplace_back(std::move(entryKey), std::move(parsed));
            return false;
        }
        if (modelKey == "merges") {
            streamed->hasMerges = true;
            streamed->merges.push_back(std::move(parsed));
            return false;
        }
        return true;
    };
    return Json::parse(begin, end, callback);
}

std::string jsonQuoted(const std::string &s)
{
    return Json(s).dump();
}

const Json *member(const Json &object, const char *key)
{
    if (!object.is_object()) {
        return nullptr;
    }
    const auto it = object.find(key);
    return it == object.end() ? nullptr : &*it;
}

const Json &requireMember(const Json &object, const char *key, const std::string &path)
{
    const Json *value = member(object, key);
    if (value == nullptr) {
        throw LoadError{path, std::string("missing \"") + key + "\""};
    }
    return *value;
}

std::string child(const std::string &path, const char *key)
{
    return path.empty() ? std::string(key) : path + "." + key;
}

std::string index(const std::string &path, size_t i)
{
    return path + "[" + std::to_string(i) + "]";
}

std::string requireString(const Json &object, const char *key, const std::string &path)
{
    const Json &value = requireMember(object, key, path);
    if (!value.is_string()) {
        throw LoadError{child(path, key), "expected a string"};
    }
    return value.get<std::string>();
}

std::optional<std::string> optionalString(const Json &object, const char *key,
                                          const std::string &path)
{
    const Json *value = member(object, key);
    if (value == nullptr || value->is_null()) {
        return std::nullopt;
    }
    if (!value->is_string()) {
        throw LoadError{child(path, key), "expected a string or null"};
    }
    return value->get<std::string>();
}

bool optionalBool(const Json &object, const char *key, bool fallback, const std::string &path)
{
    const Json *value = member(object, key);
    if (value == nullptr || value->is_null()) {
        return fallback;
    }
    if (!value->is_boolean()) {
        throw LoadError{child(path, key), "expected true or false"};
    }
    return value->get<bool>();
}

int requireId(const Json &value, const std::string &path)
{
    if (!value.is_number_integer()) {
        throw LoadError{path, "expected an integer id"};
    }
    const auto id = value.get<int64_t>();
    if (id < 0 || id >= kMaxId) {
        throw LoadError{path, "id " + std::to_string(id) + " out of range"};
    }
    return int(id);
}

const std::string &typeOf(const Json &object, const std::string &path, std::string *storage)
{
    if (!object.is_object()) {
        throw LoadError{path, "expected an object"};
    }
    *storage = requireString(object, "type", path);
    return *storage;
}

[[noreturn]] void unsupported(const std::string &path, const std::string &type)
{
    throw LoadError{child(path, "type"), "unsupported " + jsonQuoted(type)};
}

// {"String": s} or {"Regex": r}.
void readPattern(const Json &object, const std::string &path, std::string *literal,
                 std::shared_ptr<const OnigRegex> *regex)
{
    const Json &pattern = requireMember(object, "pattern", path);
    const std::string where = child(path, "pattern");
    if (const Json *s = member(pattern, "String")) {
        if (!s->is_string()) {
            throw LoadError{where + ".String", "expected a string"};
        }
        *literal = s->get<std::string>();
        return;
    }
    if (const Json *r = member(pattern, "Regex")) {
        if (!r->is_string() || regex == nullptr) {
            throw LoadError{where + ".Regex",
                            r->is_string() ? "unsupported here" : "expected a string"};
        }
        std::string error;
        std::unique_ptr<OnigRegex> compiled = OnigRegex::compile(r->get<std::string>(), &error);
        if (!compiled) {
            throw LoadError{where + ".Regex", "bad regex: " + error};
        }
        *regex = std::move(compiled);
        return;
    }
    throw LoadError{where, "expected {\"String\": ...} or {\"Regex\": ...}"};
}

void readNormalizer(const Json &object, const std::string &path, std::vector<NormalizerStep> *out)
{
    if (object.is_null()) {
        return;
    }
    std::string storage;
    const std::string &type = typeOf(object, path, &storage);
    NormalizerStep step;
    if (type == "Sequence") {
        const Json &list = requireMember(object, "normalizers", path);
        if (!list.is_array()) {
            throw LoadError{child(path, "normalizers"), "expected an array"};
        }
        for (size_t i = 0; i < list.size(); ++i) {
            readNormalizer(list[i], index(child(path, "normalizers"), i), out);
        }
        return;
    }
    if (type == "NFC") {
        step.kind = NormalizerStep::Kind::Nfc;
    } else if (type == "NFKC") {
        step.kind = NormalizerStep::Kind::Nfkc;
    } else if (type == "Lowercase") {
        step.kind = NormalizerStep::Kind::Lowercase;
    } else if (type == "Prepend") {
        step.kind = NormalizerStep::Kind::Prepend;
        step.content = requireString(object, "prepend", path);
    } else if (type == "Replace") {
        step.kind = NormalizerStep::Kind::Replace;
        readPattern(object, path, &step.pattern, nullptr);
        step.content = requireString(object, "content", path);
    } else {
        unsupported(path, type);
    }
    out->push_back(std::move(step));
}

SplitBehavior readBehavior(const Json &object, const std::string &path)
{
    const std::string behavior = requireString(object, "behavior", path);
    static const std::map<std::string, SplitBehavior> names = {
            {"Removed", SplitBehavior::Removed},
            {"Isolated", SplitBehavior::Isolated},
            {"MergedWithPrevious", SplitBehavior::MergedWithPrevious},
            {"MergedWithNext", SplitBehavior::MergedWithNext},
            {"Contiguous", SplitBehavior::Contiguous}};
    const auto it = names.find(behavior);
    if (it == names.end()) {
        throw LoadError{child(path, "behavior"), "unsupported " + jsonQuoted(behavior)};
    }
    return it->second;
}

std::shared_ptr<const OnigRegex> gpt2Regex()
{
    static const std::shared_ptr<const OnigRegex> regex = [] {
        std::string error;
        return std::shared_ptr<const OnigRegex>(OnigRegex::compile(gpt2Pattern(), &error));
    }();
    return regex;
}

void readPreTokenizer(const Json &object, const std::string &path,
                      std::vector<PreTokenizerStep> *out)
{
    if (object.is_null()) {
        return;
    }
    std::string storage;
    const std::string &type = typeOf(object, path, &storage);
    if (!out->empty() && out->back().kind == PreTokenizerStep::Kind::ByteLevel) {
        throw LoadError{child(path, "type"),
                        "unsupported " + jsonQuoted(type) + " after ByteLevel"};
    }
    PreTokenizerStep step;
    if (type == "Sequence") {
        const Json &list = requireMember(object, "pretokenizers", path);
        if (!list.is_array()) {
            throw LoadError{child(path, "pretokenizers"), "expected an array"};
        }
        for (size_t i = 0; i < list.size(); ++i) {
            readPreTokenizer(list[i], index(child(path, "pretokenizers"), i), out);
        }
        return;
    }
    if (type == "Split") {
        step.kind = PreTokenizerStep::Kind::Split;
        readPattern(object, path, &step.literal, &step.regex);
        step.behavior = readBehavior(object, path);
        step.invert = optionalBool(object, "invert", false, path);
    } else if (type == "ByteLevel") {
        step.kind = PreTokenizerStep::Kind::ByteLevel;
        step.addPrefixSpace = optionalBool(object, "add_prefix_space", true, path);
        step.useRegex = optionalBool(object, "use_regex", true, path);
        step.regex = gpt2Regex();
    } else if (type == "Metaspace") {
        step.kind = PreTokenizerStep::Kind::Metaspace;
        step.replacement = requireString(object, "replacement", path);
        step.split = optionalBool(object, "split", true, path);
        const std::optional<std::string> scheme = optionalString(object, "prepend_scheme", path);
        if (scheme) {
            if (*scheme == "always") {
                step.prependScheme = PrependScheme::Always;
            } else if (*scheme == "first") {
                step.prependScheme = PrependScheme::First;
            } else if (*scheme == "never") {
                step.prependScheme = PrependScheme::Never;
            } else {
                throw LoadError{child(path, "prepend_scheme"),
                                "unsupported " + jsonQuoted(*scheme)};
            }
        } else {
            step.prependScheme = optionalBool(object, "add_prefix_space", true, path)
                                         ? PrependScheme::Always
                                         : PrependScheme::Never;
        }
    } else if (type == "Digits") {
        step.kind = PreTokenizerStep::Kind::Digits;
        step.individualDigits = optionalBool(object, "individual_digits", false, path);
    } else {
        unsupported(path, type);
    }
    out->push_back(std::move(step));
}

void readDecoder(const Json &object, const std::string &path, std::vector<DecoderStep> *out)
{
    if (object.is_null()) {
        return;
    }
    std::string storage;
    const std::string &type = typeOf(object, path, &storage);
    DecoderStep step;
    if (type == "Sequence") {
        const Json &list = requireMember(object, "decoders", path);
        if (!list.is_array()) {
            throw LoadError{child(path, "decoders"), "expected an array"};
        }
        for (size_t i = 0; i < list.size(); ++i) {
            readDecoder(list[i], index(child(path, "decoders"), i), out);
        }
        return;
    }
    if (type == "ByteLevel") {
        step.kind = DecoderStep::Kind::ByteLevel;
    } else if (type == "ByteFallback") {
        step.kind = DecoderStep::Kind::ByteFallback;
    } else if (type == "Fuse") {
        step.kind = DecoderStep::Kind::Fuse;
    } else if (type == "Strip") {
        step.kind = DecoderStep::Kind::Strip;
        step.pattern = requireString(object, "content", path);
        const Json &start = requireMember(object, "start", path);
        const Json &stop = requireMember(object, "stop", path);
        if (!start.is_number_unsigned() || !stop.is_number_unsigned()) {
            throw LoadError{child(path, "start"), "expected non-negative integers start/stop"};
        }
        step.start = int(std::min<uint64_t>(start.get<uint64_t>(), 1 << 20));
        step.stop = int(std::min<uint64_t>(stop.get<uint64_t>(), 1 << 20));
    } else if (type == "Replace") {
        step.kind = DecoderStep::Kind::Replace;
        readPattern(object, path, &step.pattern, nullptr);
        step.content = requireString(object, "content", path);
    } else if (type == "Metaspace") {
        step.kind = DecoderStep::Kind::Metaspace;
        step.content = requireString(object, "replacement", path);
        const std::optional<std::string> scheme = optionalString(object, "prepend_scheme", path);
        step.prependFirst =
                scheme ? *scheme != "never" : optionalBool(object, "add_prefix_space", true, path);
    } else {
        unsupported(path, type);
    }
    out->push_back(std::move(step));
}

}  // namespace

// Friend of HfTokenizer: fills its private parts.
class TokenizerJsonLoader
{
public:
    static void readModel(const Json &root, const StreamedModel &streamed, HfTokenizer *tokenizer,
                          bool byteLevel);
    static void readAddedTokens(const Json &root, HfTokenizer *tokenizer,
                                std::vector<AddedToken> *tokens);
    static void readPostProcessor(const Json &object, const std::string &path,
                                  HfTokenizer *tokenizer);
    static void finishVocabulary(HfTokenizer *tokenizer, const std::vector<AddedToken> &added);
    static Result<std::shared_ptr<const HfTokenizer>> load(const QString &path,
                                                           const QString &configPath);
    static Result<std::shared_ptr<const HfTokenizer>> loadVocabMerges(const QString &vocabPath,
                                                                      const QString &mergesPath);
    static void setVocab(const Json &vocab, const std::string &path, HfTokenizer *tokenizer);
    static void addToken(const std::string &token, int id, HfTokenizer *tokenizer);
};

void TokenizerJsonLoader::addToken(const std::string &token, int id, HfTokenizer *tokenizer)
{
    tokenizer->m_model->addVocab(token, id);
    std::vector<std::string> &idToToken = tokenizer->m_idToToken;
    if (size_t(id) >= idToToken.size()) {
        idToToken.resize(size_t(id) + 1);
    }
    idToToken[size_t(id)] = token;
}

void TokenizerJsonLoader::setVocab(const Json &vocab, const std::string &path,
                                   HfTokenizer *tokenizer)
{
    if (!vocab.is_object()) {
        throw LoadError{path, "expected an object of token -> id"};
    }
    for (auto it = vocab.begin(); it != vocab.end(); ++it) {
        addToken(it.key(), requireId(it.value(), path + "[" + jsonQuoted(it.key()) + "]"),
                 tokenizer);
    }
}

void TokenizerJsonLoader::readModel(const Json &root, const StreamedModel &streamed,
                                    HfTokenizer *tokenizer, bool byteLevel)
{
    const Json &model = requireMember(root, "model", "");
    if (!model.is_object()) {
        throw LoadError{"model", "expected an object"};
    }
    const std::optional<std::string> type = optionalString(model, "type", "model");
    if (type && *type != "BPE") {
        unsupported("model", *type);
    }
    if (!type && member(model, "merges") == nullptr) {
        throw LoadError{"model.type", "missing (and no merges: not a BPE model)"};
    }
    if (const Json *dropout = member(model, "dropout");
        dropout != nullptr && !dropout->is_null() &&
        !(dropout->is_number() && dropout->get<double>() == 0.0)) {
        throw LoadError{"model.dropout", "unsupported (BPE dropout is random; use null)"};
    }
    BpeOptions options;
    options.byteLevel = byteLevel;
    options.byteFallback = optionalBool(model, "byte_fallback", false, "model");
    options.ignoreMerges = optionalBool(model, "ignore_merges", false, "model");
    options.fuseUnk = optionalBool(model, "fuse_unk", false, "model");
    options.continuingSubwordPrefix =
            optionalString(model, "continuing_subword_prefix", "model").value_or("");
    options.endOfWordSuffix = optionalString(model, "end_of_word_suffix", "model").value_or("");
    const Json &vocab = requireMember(model, "vocab", "model");
    tokenizer->m_model = std::make_unique<BpeModel>(options);
    if (streamed.hasVocab) {
        for (const auto &[token, id] : streamed.vocab) {
            addToken(token, requireId(id, "model.vocab[" + jsonQuoted(token) + "]"), tokenizer);
        }
    } else {
        setVocab(vocab, "model.vocab", tokenizer);
    }
    if (const std::optional<std::string> unk = optionalString(model, "unk_token", "model")) {
        const int id = tokenizer->m_model->vocabId(*unk);
        if (id < 0) {
            throw LoadError{"model.unk_token", jsonQuoted(*unk) + " is not in the vocabulary"};
        }
        tokenizer->m_model->setUnkId(id);
    }
    const Json &mergesInDom = requireMember(model, "merges", "model");
    if (!mergesInDom.is_array()) {
        throw LoadError{"model.merges", "expected an array"};
    }
    const std::vector<Json> &merges =
            streamed.hasMerges ? streamed.merges : mergesInDom.get_ref<const Json::array_t &>();
    std::string missing;
    for (size_t i = 0; i < merges.size(); ++i) {
        const Json &merge = merges[i];
        std::string left;
        std::string right;
        if (merge.is_string()) {
            const std::string &line = merge.get_ref<const std::string &>();
            const size_t space = line.find(' ');
            if (space == std::string::npos || line.find(' ', space + 1) != std::string::npos) {
                throw LoadError{
                        index("model.merges", i),
                        "expected two tokens separated by one space, got " + jsonQuoted(line)};
            }
            left = line.substr(0, space);
            right = line.substr(space + 1);
        } else if (merge.is_array() && merge.size() == 2 && merge[0].is_string() &&
                   merge[1].is_string()) {
            left = merge[0].get_ref<const std::string &>();
            right = merge[1].get_ref<const std::string &>();
        } else {
            throw LoadError{index("model.merges", i), "expected \"a b\" or [\"a\", \"b\"]"};
        }
        if (!tokenizer->m_model->addMerge(left, right, int(i), &missing)) {
            throw LoadError{index("model.merges", i),
                            "token " + jsonQuoted(missing) + " is not in the vocabulary"};
        }
    }
    tokenizer->m_model->finish();
}

void TokenizerJsonLoader::readAddedTokens(const Json &root, HfTokenizer *tokenizer,
                                          std::vector<AddedToken> *tokens)
{
    const Json *list = member(root, "added_tokens");
    if (list == nullptr || list->is_null()) {
        return;
    }
    if (!list->is_array()) {
        throw LoadError{"added_tokens", "expected an array"};
    }
    // Ids as Hugging Face assigns them on load: the model's id when the content is in its
    // vocabulary, else the next id after the vocabulary and the tokens added so far.
    int next = int(tokenizer->m_idToToken.size());
    std::map<std::string, int> seen;
    for (size_t i = 0; i < list->size(); ++i) {
        const Json &item = (*list)[i];
        const std::string path = index("added_tokens", i);
        if (!item.is_object()) {
            throw LoadError{path, "expected an object"};
        }
        AddedToken token;
        token.content = requireString(item, "content", path);
        if (token.content.empty()) {
            throw LoadError{child(path, "content"), "empty"};
        }
        requireId(requireMember(item, "id", path), child(path, "id"));
        token.special = optionalBool(item, "special", false, path);
        token.singleWord = optionalBool(item, "single_word", false, path);
        token.lstrip = optionalBool(item, "lstrip", false, path);
        token.rstrip = optionalBool(item, "rstrip", false, path);
        token.normalized = optionalBool(item, "normalized", !token.special, path);
        int id = tokenizer->m_model->vocabId(token.content);
        if (id < 0) {
            const auto it = seen.find(token.content);
            id = it != seen.end() ? it->second : next++;
        }
        next = std::max(next, id + 1);
        seen[token.content] = id;
        token.id = id;
        tokens->push_back(std::move(token));
    }
}

void TokenizerJsonLoader::finishVocabulary(HfTokenizer *tokenizer,
                                           const std::vector<AddedToken> &added)
{
    std::vector<AddedToken> raw;
    std::vector<std::string> rawPatterns;
    std::vector<AddedToken> normalized;
    std::vector<std::string> normalizedPatterns;
    for (const AddedToken &token : added) {
        if (size_t(token.id) >= tokenizer->m_idToToken.size()) {
            tokenizer->m_idToToken.resize(size_t(token.id) + 1);
        }
        tokenizer->m_idToToken[size_t(token.id)] = token.content;
        if (token.normalized && !tokenizer->m_normalizer.empty()) {
            // Matched in the normalised text, so its pattern is its normalised content.
            NormalizedText text =
                    NormalizedText::fromOriginal(token.content, 0, token.content.size());
            applyNormalizer(tokenizer->m_normalizer, &text);
            normalized.push_back(token);
            normalizedPatterns.push_back(text.text);
        } else {
            raw.push_back(token);
            rawPatterns.push_back(token.content);
        }
    }
    tokenizer->m_special.assign(tokenizer->m_idToToken.size(), 0);
    for (const AddedToken &token : added) {
        tokenizer->m_special[size_t(token.id)] = token.special ? 1 : 0;
    }
    if (!raw.empty()) {
        tokenizer->m_rawAdded.build(raw, rawPatterns);
    }
    if (!normalized.empty()) {
        tokenizer->m_normalizedAdded.build(normalized, normalizedPatterns);
    }
}

void TokenizerJsonLoader::readPostProcessor(const Json &object, const std::string &path,
                                            HfTokenizer *tokenizer)
{
    if (object.is_null()) {
        return;
    }
    std::string storage;
    const std::string &type = typeOf(object, path, &storage);
    PostProcessorStep step;
    if (type == "Sequence") {
        const Json &list = requireMember(object, "processors", path);
        if (!list.is_array()) {
            throw LoadError{child(path, "processors"), "expected an array"};
        }
        for (size_t i = 0; i < list.size(); ++i) {
            readPostProcessor(list[i], index(child(path, "processors"), i), tokenizer);
        }
        return;
    }
    if (type == "ByteLevel") {
        step.kind = PostProcessorStep::Kind::ByteLevel;
        step.trimOffsets = optionalBool(object, "trim_offsets", true, path);
        step.addPrefixSpace = optionalBool(object, "add_prefix_space", true, path);
    } else if (type == "TemplateProcessing") {
        step.kind = PostProcessorStep::Kind::Template;
        const Json &specials = requireMember(object, "special_tokens", path);
        const Json &single = requireMember(object, "single", path);
        if (!single.is_array()) {
            throw LoadError{child(path, "single"), "expected an array"};
        }
        for (size_t i = 0; i < single.size(); ++i) {
            const std::string where = index(child(path, "single"), i);
            if (const Json *special = member(single[i], "SpecialToken")) {
                const std::string name = requireString(*special, "id", where + ".SpecialToken");
                const Json *entry = member(specials, name.c_str());
                if (entry == nullptr) {
                    throw LoadError{where + ".SpecialToken.id",
                                    jsonQuoted(name) + " is not in special_tokens"};
                }
                const std::string idsPath = child(path, "special_tokens") + "." + name + ".ids";
                const Json &ids = requireMember(*entry, "ids", idsPath);
                if (!ids.is_array()) {
                    throw LoadError{idsPath, "expected an array"};
                }
                for (size_t k = 0; k < ids.size(); ++k) {
                    const int id = requireId(ids[k], index(idsPath, k));
                    if (id >= tokenizer->vocabSize()) {
                        throw LoadError{index(idsPath, k),
                                        "id " + std::to_string(id) + " is not in the vocabulary"};
                    }
                    step.single.push_back(id);
                }
            } else if (member(single[i], "Sequence") != nullptr) {
                step.single.push_back(-1);
            } else {
                throw LoadError{where, "expected {\"SpecialToken\": ...} or {\"Sequence\": ...}"};
            }
        }
    } else if (type == "RobertaProcessing" || type == "BertProcessing") {
        // <cls> A <sep>: {"cls": ["<s>", 0], "sep": ["</s>", 2]}
        step.kind = PostProcessorStep::Kind::Template;
        int ids[2] = {-1, -1};
        const char *keys[2] = {"cls", "sep"};
        for (int k = 0; k < 2; ++k) {
            const Json &pair = requireMember(object, keys[k], path);
            if (!pair.is_array() || pair.size() != 2) {
                throw LoadError{child(path, keys[k]), "expected [token, id]"};
            }
            ids[k] = requireId(pair[1], index(child(path, keys[k]), 1));
        }
        step.single = {ids[0], -1, ids[1]};
        if (type == "RobertaProcessing" && optionalBool(object, "trim_offsets", true, path)) {
            PostProcessorStep trim;
            trim.kind = PostProcessorStep::Kind::ByteLevel;
            trim.trimOffsets = true;
            trim.addPrefixSpace = optionalBool(object, "add_prefix_space", true, path);
            tokenizer->m_postProcessor.push_back(trim);
        }
    } else {
        unsupported(path, type);
    }
    tokenizer->m_postProcessor.push_back(std::move(step));
}

namespace {

Result<Json> readJsonFile(const QString &path, StreamedModel *streamed = nullptr)
{
    QFile file(path);
    if (!file.exists()) {
        return Status::notFound(QStringLiteral("%1: no such file").arg(path));
    }
    if (QFileInfo(path).isDir()) {
        return Status::invalidInput(QStringLiteral("%1: is a directory").arg(path));
    }
    if (!file.open(QIODevice::ReadOnly)) {
        return Status::invalidInput(
                QStringLiteral("%1: cannot open: %2").arg(path, file.errorString()));
    }
    const QByteArray bytes = file.readAll();
    try {
        const char *begin = bytes.constData();
        return streamed ? parseStreamingModel(begin, begin + bytes.size(), streamed)
                        : Json::parse(begin, begin + bytes.size());
    } catch (const Json::exception &e) {
        return Status::invalidInput(QStringLiteral("%1: not valid JSON (truncated or corrupt): %2")
                                            .arg(path, QString::fromUtf8(e.what())));
    }
}

// A token name from tokenizer_config.json: "<s>" or {"content": "<s>", ...}.
std::optional<std::string> configToken(const Json &config, const char *key)
{
    const Json *value = member(config, key);
    if (value == nullptr) {
        return std::nullopt;
    }
    if (value->is_string()) {
        return value->get<std::string>();
    }
    if (const Json *content = member(*value, "content"); content && content->is_string()) {
        return content->get<std::string>();
    }
    return std::nullopt;
}

bool usesBosEosFlags(const std::string &tokenizerClass)
{
    // transformers' fast classes that rebuild their template from add_bos_token/add_eos_token.
    for (const char *name :
         {"LlamaTokenizer", "LlamaTokenizerFast", "GemmaTokenizer", "GemmaTokenizerFast",
          "CodeLlamaTokenizer", "CodeLlamaTokenizerFast"}) {
        if (tokenizerClass == name) {
            return true;
        }
    }
    return false;
}

}  // namespace

Result<std::shared_ptr<const HfTokenizer>> TokenizerJsonLoader::load(const QString &path,
                                                                     const QString &configPath)
{
    StreamedModel streamed;
    Result<Json> root = readJsonFile(path, &streamed);
    if (!root) {
        return root.status();
    }
    Json config = Json::object();
    if (!configPath.isEmpty() && QFileInfo::exists(configPath)) {
        Result<Json> read = readJsonFile(configPath);
        if (!read) {
            return read.status();
        }
        if (!read->is_object()) {
            return Status::invalidInput(
                    QStringLiteral("%1: expected a JSON object").arg(configPath));
        }
        config = std::move(read).value();
    }
    auto tokenizer = std::shared_ptr<HfTokenizer>(new HfTokenizer);
    tokenizer->m_path = path;
    try {
        if (!root->is_object()) {
            throw LoadError{"", "expected a JSON object"};
        }
        readNormalizer(member(*root, "normalizer") ? (*root)["normalizer"] : Json(), "normalizer",
                       &tokenizer->m_normalizer);
        readPreTokenizer(member(*root, "pre_tokenizer") ? (*root)["pre_tokenizer"] : Json(),
                         "pre_tokenizer", &tokenizer->m_preTokenizer);
        bool byteLevel = false;
        for (const PreTokenizerStep &step : tokenizer->m_preTokenizer) {
            byteLevel = byteLevel || step.kind == PreTokenizerStep::Kind::ByteLevel;
        }
        readModel(*root, streamed, tokenizer.get(), byteLevel);
        std::vector<AddedToken> added;
        readAddedTokens(*root, tokenizer.get(), &added);
        finishVocabulary(tokenizer.get(), added);
        readPostProcessor(member(*root, "post_processor") ? (*root)["post_processor"] : Json(),
                          "post_processor", tokenizer.get());
        readDecoder(member(*root, "decoder") ? (*root)["decoder"] : Json(), "decoder",
                    &tokenizer->m_decoder);
    } catch (const LoadError &error) {
        return Status::invalidInput(
                QStringLiteral("%1: %2%3")
                        .arg(path,
                             QString::fromStdString(error.path.empty() ? std::string()
                                                                       : error.path + ": "),
                             QString::fromStdString(error.message)));
    } catch (const Json::exception &e) {
        return Status::invalidInput(
                QStringLiteral("%1: %2").arg(path, QString::fromUtf8(e.what())));
    }
    const auto idOf = [&](const char *key) {
        const std::optional<std::string> name = configToken(config, key);
        return name ? tokenizer->tokenToId(*name) : -1;
    };
    tokenizer->m_bosId = idOf("bos_token");
    tokenizer->m_eosId = idOf("eos_token");
    tokenizer->m_padId = idOf("pad_token");
    const std::string tokenizerClass =
            member(config, "tokenizer_class") && config["tokenizer_class"].is_string()
                    ? config["tokenizer_class"].get<std::string>()
                    : std::string();
    const Json *addBos = member(config, "add_bos_token");
    const Json *addEos = member(config, "add_eos_token");
    if (usesBosEosFlags(tokenizerClass) &&
        ((addBos && addBos->is_boolean()) || (addEos && addEos->is_boolean()))) {
        // transformers rebuilds these classes' template from the flags: [BOS] A [EOS].
        PostProcessorStep step;
        step.kind = PostProcessorStep::Kind::Template;
        if (addBos && addBos->is_boolean() && addBos->get<bool>() && tokenizer->m_bosId >= 0) {
            step.single.push_back(tokenizer->m_bosId);
        }
        step.single.push_back(-1);
        if (addEos && addEos->is_boolean() && addEos->get<bool>() && tokenizer->m_eosId >= 0) {
            step.single.push_back(tokenizer->m_eosId);
        }
        auto &steps = tokenizer->m_postProcessor;
        steps.erase(std::remove_if(steps.begin(), steps.end(),
                                   [](const PostProcessorStep &s) {
                                       return s.kind == PostProcessorStep::Kind::Template;
                                   }),
                    steps.end());
        steps.push_back(step);
    }
    return std::shared_ptr<const HfTokenizer>(std::move(tokenizer));
}

Result<std::shared_ptr<const HfTokenizer>> TokenizerJsonLoader::loadVocabMerges(
        const QString &vocabPath, const QString &mergesPath)
{
    Result<Json> vocab = readJsonFile(vocabPath);
    if (!vocab) {
        return vocab.status();
    }
    QFile mergesFile(mergesPath);
    if (!mergesFile.open(QIODevice::ReadOnly)) {
        return Status::notFound(
                QStringLiteral("%1: cannot open: %2").arg(mergesPath, mergesFile.errorString()));
    }
    const QByteArray mergesBytes = mergesFile.readAll();
    auto tokenizer = std::shared_ptr<HfTokenizer>(new HfTokenizer);
    tokenizer->m_path = vocabPath;
    BpeOptions options;
    options.byteLevel = true;
    tokenizer->m_model = std::make_unique<BpeModel>(options);
    PreTokenizerStep byteLevel;
    byteLevel.kind = PreTokenizerStep::Kind::ByteLevel;
    byteLevel.addPrefixSpace = false;
    byteLevel.regex = gpt2Regex();
    tokenizer->m_preTokenizer.push_back(byteLevel);
    DecoderStep decoder;
    decoder.kind = DecoderStep::Kind::ByteLevel;
    tokenizer->m_decoder.push_back(decoder);
    PostProcessorStep post;
    post.kind = PostProcessorStep::Kind::ByteLevel;
    post.trimOffsets = false;
    tokenizer->m_postProcessor.push_back(post);
    try {
        setVocab(*vocab, "", tokenizer.get());
    } catch (const LoadError &error) {
        return Status::invalidInput(QStringLiteral("%1: %2: %3")
                                            .arg(vocabPath, QString::fromStdString(error.path),
                                                 QString::fromStdString(error.message)));
    }
    // merges.txt: an optional "#version" line, then "left right" per line.
    const QList<QByteArray> lines = mergesBytes.split('\n');
    std::string missing;
    int rank = 0;
    for (int i = 0; i < lines.size(); ++i) {
        QByteArray line = lines[i];
        if (line.endsWith('\r')) {
            line.chop(1);
        }
        if (line.isEmpty() || (i == 0 && line.startsWith("#version"))) {
            continue;
        }
        const int space = line.indexOf(' ');
        if (space < 0 || line.indexOf(' ', space + 1) >= 0) {
            return Status::invalidInput(
                    QStringLiteral("%1: line %2: expected two tokens separated by one space")
                            .arg(mergesPath)
                            .arg(i + 1));
        }
        const std::string left = line.left(space).toStdString();
        const std::string right = line.mid(space + 1).toStdString();
        if (!tokenizer->m_model->addMerge(left, right, rank++, &missing)) {
            return Status::invalidInput(
                    QStringLiteral("%1: line %2: token %3 is not in %4")
                            .arg(mergesPath)
                            .arg(i + 1)
                            .arg(QString::fromStdString(jsonQuoted(missing)), vocabPath));
        }
    }
    tokenizer->m_model->finish();
    AddedToken endOfText;
    endOfText.content = "<|endoftext|>";
    endOfText.special = true;
    endOfText.id = tokenizer->m_model->vocabId(endOfText.content);
    std::vector<AddedToken> added;
    if (endOfText.id >= 0) {
        added.push_back(endOfText);
    }
    finishVocabulary(tokenizer.get(), added);
    tokenizer->m_bosId = endOfText.id;
    tokenizer->m_eosId = endOfText.id;
    return std::shared_ptr<const HfTokenizer>(std::move(tokenizer));
}

Result<std::shared_ptr<const HfTokenizer>> HfTokenizer::loadJson(const QString &path,
                                                                 const QString &configPath)
{
    return TokenizerJsonLoader::load(path, configPath);
}

Result<std::shared_ptr<const HfTokenizer>> HfTokenizer::loadVocabMerges(const QString &vocabPath,
                                                                        const QString &mergesPath)
{
    return TokenizerJsonLoader::loadVocabMerges(vocabPath, mergesPath);
}

}  // namespace gyrus::tokenizer
