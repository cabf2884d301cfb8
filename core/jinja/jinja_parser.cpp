// Template source -> NodeList. Whitespace control follows Jinja with the options transformers
// compiles chat templates with: trim_blocks (the first newline after a block tag goes) and
// lstrip_blocks (spaces and tabs before a block tag on its line go), plus the explicit "-" marks.

#include "core/jinja/jinja_ast.h"

#include <cctype>
#include <cstring>

namespace gyrus::jinja {

namespace {

enum class TagKind
{
    Output,
    Statement,
    Comment,
};

struct Segment
{
    bool isTag = false;
    TagKind kind = TagKind::Output;
    std::string text;          ///< raw text, or the tag's inner source
    bool stripBefore = false;  ///< {%- / {{- / {#-
    bool keepBefore = false;   ///< {%+ : no lstrip_blocks
    bool stripAfter = false;   ///< -%} / -}} / -#}
    int line = 1;
};

int lineAt(const std::string &source, std::size_t pos)
{
    int line = 1;
    for (std::size_t i = 0; i < pos && i < source.size(); ++i) {
        line += source[i] == '\n';
    }
    return line;
}

// Splits the source into text and tags; string literals inside tags may contain "}}" or "%}".
std::vector<Segment> splitSegments(const std::string &source)
{
    std::vector<Segment> segments;
    std::size_t pos = 0;
    while (pos < source.size()) {
        std::size_t open = pos;
        while (true) {
            open = source.find('{', open);
            if (open == std::string::npos || open + 1 >= source.size()) {
                open = std::string::npos;
                break;
            }
            const char next = source[open + 1];
            if (next == '{' || next == '%' || next == '#') {
                break;
            }
            ++open;
        }
        if (open == std::string::npos) {
            segments.push_back({false, TagKind::Output, source.substr(pos)});
            break;
        }
        if (open > pos) {
            segments.push_back({false, TagKind::Output, source.substr(pos, open - pos)});
        }
        Segment tag;
        tag.isTag = true;
        tag.line = lineAt(source, open);
        const char kindChar = source[open + 1];
        tag.kind = kindChar == '{' ? TagKind::Output
                                   : (kindChar == '%' ? TagKind::Statement : TagKind::Comment);
        const char closeChar = kindChar == '{' ? '}' : kindChar;
        std::size_t inner = open + 2;
        if (inner < source.size() && source[inner] == '-') {
            tag.stripBefore = true;
            ++inner;
        } else if (inner < source.size() && source[inner] == '+') {
            tag.keepBefore = true;
            ++inner;
        }
        std::size_t i = inner;
        char quote = 0;
        std::size_t close = std::string::npos;
        for (; i + 1 < source.size(); ++i) {
            const char c = source[i];
            if (tag.kind != TagKind::Comment) {
                if (quote) {
                    if (c == '\\') {
                        ++i;
                    } else if (c == quote) {
                        quote = 0;
                    }
                    continue;
                }
                if (c == '\'' || c == '"') {
                    quote = c;
                    continue;
                }
            }
            if (c == closeChar && source[i + 1] == '}') {
                close = i;
                break;
            }
        }
        if (close == std::string::npos) {
            throw TemplateError("line " + std::to_string(tag.line) + ": unclosed tag");
        }
        std::size_t innerEnd = close;
        if (innerEnd > inner && source[innerEnd - 1] == '-') {
            tag.stripAfter = true;
            --innerEnd;
        }
        tag.text = source.substr(inner, innerEnd - inner);
        segments.push_back(tag);
        pos = close + 2;
    }
    return segments;
}

bool isBlockLike(const Segment &s)
{
    return s.isTag && s.kind != TagKind::Output;
}

void applyWhitespaceControl(std::vector<Segment> &segments)
{
    for (std::size_t i = 0; i < segments.size(); ++i) {
        Segment &s = segments[i];
        if (s.isTag) {
            continue;
        }
        const Segment *before = i > 0 ? &segments[i - 1] : nullptr;
        const Segment *after = i + 1 < segments.size() ? &segments[i + 1] : nullptr;
        std::string &t = s.text;
        if (after && after->stripBefore) {
            t.erase(t.find_last_not_of(" \t\r\n\f\v") + 1);
        } else if (after && isBlockLike(*after) && !after->keepBefore) {
            const std::size_t lineStart =
                    t.rfind('\n') == std::string::npos ? 0 : t.rfind('\n') + 1;
            if ((lineStart > 0 || !before) &&
                t.find_first_not_of(" \t", lineStart) == std::string::npos) {
                t.erase(lineStart);
            }
        }
        if (before && before->stripAfter) {
            const std::size_t first = t.find_first_not_of(" \t\r\n\f\v");
            t.erase(0, first == std::string::npos ? t.size() : first);
        } else if (before && isBlockLike(*before)) {
            if (t.rfind("\r\n", 0) == 0) {
                t.erase(0, 2);
            } else if (!t.empty() && t[0] == '\n') {
                t.erase(0, 1);
            }
        }
    }
}

// ---- expressions -------------------------------------------------------------------------------

struct Token
{
    enum class Type
    {
        Name,
        String,
        Int,
        Float,
        Op,
        End,
    };
    Type type = Type::End;
    std::string text;
};

std::vector<Token> tokenize(const std::string &src, int line)
{
    const auto fail = [line](const std::string &what) {
        throw TemplateError("line " + std::to_string(line) + ": " + what);
    };
    std::vector<Token> tokens;
    std::size_t i = 0;
    while (i < src.size()) {
        const char c = src[i];
        if (std::isspace(static_cast<unsigned char>(c))) {
            ++i;
        } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
            std::size_t j = i;
            while (j < src.size() &&
                   (std::isalnum(static_cast<unsigned char>(src[j])) || src[j] == '_')) {
                ++j;
            }
            tokens.push_back({Token::Type::Name, src.substr(i, j - i)});
            i = j;
        } else if (std::isdigit(static_cast<unsigned char>(c))) {
            std::size_t j = i;
            bool isFloat = false;
            while (j < src.size() &&
                   (std::isdigit(static_cast<unsigned char>(src[j])) || src[j] == '_' ||
                    (src[j] == '.' && !isFloat && j + 1 < src.size() &&
                     std::isdigit(static_cast<unsigned char>(src[j + 1]))))) {
                isFloat = isFloat || src[j] == '.';
                ++j;
            }
            std::string digits;
            for (std::size_t k = i; k < j; ++k) {
                if (src[k] != '_') {
                    digits += src[k];
                }
            }
            tokens.push_back({isFloat ? Token::Type::Float : Token::Type::Int, digits});
            i = j;
        } else if (c == '\'' || c == '"') {
            std::string value;
            std::size_t j = i + 1;
            for (; j < src.size() && src[j] != c; ++j) {
                if (src[j] != '\\' || j + 1 >= src.size()) {
                    value += src[j];
                    continue;
                }
                const char e = src[++j];
                switch (e) {
                    case 'n':
                        value += '\n';
                        break;
                    case 't':
                        value += '\t';
                        break;
                    case 'r':
                        value += '\r';
                        break;
                    case '0':
                        value += '\0';
                        break;
                    case '\\':
                    case '\'':
                    case '"':
                        value += e;
                        break;
                    default:  // Python keeps unknown escapes as written
                        value += '\\';
                        value += e;
                }
            }
            if (j >= src.size()) {
                fail("unterminated string literal");
            }
            tokens.push_back({Token::Type::String, value});
            i = j + 1;
        } else {
            static const char *const ops[] = {"//", "**", "==", "!=", "<=", ">=", "+", "-", "*",
                                              "/",  "%",  "<",  ">",  "(",  ")",  "[", "]", "{",
                                              "}",  ",",  ".",  ":",  "|",  "~",  "="};
            bool matched = false;
            for (const char *op : ops) {
                const std::size_t n = std::strlen(op);
                if (src.compare(i, n, op) == 0) {
                    tokens.push_back({Token::Type::Op, op});
                    i += n;
                    matched = true;
                    break;
                }
            }
            if (!matched) {
                fail(std::string("unexpected character '") + c + "'");
            }
        }
    }
    tokens.push_back({Token::Type::End, {}});
    return tokens;
}

class ExprParser
{
public:
    ExprParser(const std::string &src, int line)
        : m_tokens(tokenize(src, line))
        , m_line(line)
    {}

    [[noreturn]] void fail(const std::string &what) const
    {
        throw TemplateError("line " + std::to_string(m_line) + ": " + what);
    }

    const Token &peek(std::size_t ahead = 0) const
    {
        return m_tokens[std::min(m_pos + ahead, m_tokens.size() - 1)];
    }

    bool atEnd() const { return peek().type == Token::Type::End; }

    bool isOp(const char *op, std::size_t ahead = 0) const
    {
        return peek(ahead).type == Token::Type::Op && peek(ahead).text == op;
    }

    bool isName(const char *name, std::size_t ahead = 0) const
    {
        return peek(ahead).type == Token::Type::Name && peek(ahead).text == name;
    }

    bool acceptOp(const char *op)
    {
        if (isOp(op)) {
            ++m_pos;
            return true;
        }
        return false;
    }

    bool acceptName(const char *name)
    {
        if (isName(name)) {
            ++m_pos;
            return true;
        }
        return false;
    }

    void expectOp(const char *op)
    {
        if (!acceptOp(op)) {
            fail(std::string("expected '") + op + "', found '" + peek().text + "'");
        }
    }

    std::string expectName()
    {
        if (peek().type != Token::Type::Name) {
            fail("expected a name, found '" + peek().text + "'");
        }
        return m_tokens[m_pos++].text;
    }

    void expectEnd()
    {
        if (!atEnd()) {
            fail("unexpected '" + peek().text + "'");
        }
    }

    ExprPtr expression()
    {
        ExprPtr value = orExpr();
        if (acceptName("if")) {
            auto e = std::make_shared<Expr>();
            e->kind = Expr::Kind::Conditional;
            ExprPtr condition = orExpr();
            ExprPtr otherwise = acceptName("else") ? expression() : nullptr;
            e->args = {condition, value, otherwise};
            return e;
        }
        return value;
    }

    ExprPtr orExpr()
    {
        ExprPtr left = andExpr();
        while (acceptName("or")) {
            left = binary("or", left, andExpr());
        }
        return left;
    }

    ExprPtr andExpr()
    {
        ExprPtr left = notExpr();
        while (acceptName("and")) {
            left = binary("and", left, notExpr());
        }
        return left;
    }

    ExprPtr notExpr()
    {
        if (acceptName("not")) {
            return unary("not", notExpr());
        }
        return compare();
    }

    ExprPtr compare()
    {
        ExprPtr left = sum();
        while (true) {
            static const char *const ops[] = {"==", "!=", "<", ">", "<=", ">="};
            bool matched = false;
            for (const char *op : ops) {
                if (acceptOp(op)) {
                    left = binary(op, left, sum());
                    matched = true;
                    break;
                }
            }
            if (matched) {
                continue;
            }
            if (acceptName("in")) {
                left = binary("in", left, sum());
            } else if (isName("not") && isName("in", 1)) {
                m_pos += 2;
                left = binary("not in", left, sum());
            } else {
                return left;
            }
        }
    }

    ExprPtr sum()
    {
        ExprPtr left = concat();
        while (isOp("+") || isOp("-")) {
            const std::string op = m_tokens[m_pos++].text;
            left = binary(op, left, concat());
        }
        return left;
    }

    ExprPtr concat()
    {
        ExprPtr left = product();
        while (acceptOp("~")) {
            left = binary("~", left, product());
        }
        return left;
    }

    ExprPtr product()
    {
        ExprPtr left = power();
        while (isOp("*") || isOp("/") || isOp("//") || isOp("%")) {
            const std::string op = m_tokens[m_pos++].text;
            left = binary(op, left, power());
        }
        return left;
    }

    ExprPtr power()
    {
        ExprPtr left = unaryExpr(true);
        while (acceptOp("**")) {
            left = binary("**", left, unaryExpr(true));
        }
        return left;
    }

    ExprPtr unaryExpr(bool withFilters)
    {
        ExprPtr node;
        if (acceptOp("-")) {
            node = unary("-", unaryExpr(false));
        } else if (acceptOp("+")) {
            node = unary("+", unaryExpr(false));
        } else {
            node = postfix(primary());
        }
        return withFilters ? filters(node) : node;
    }

    ExprPtr primary()
    {
        const Token token = peek();
        ++m_pos;
        auto e = std::make_shared<Expr>();
        switch (token.type) {
            case Token::Type::String: {
                std::string text = token.text;
                while (peek().type == Token::Type::String) {  // adjacent literals concatenate
                    text += m_tokens[m_pos++].text;
                }
                e->value = Value::string(text);
                return e;
            }
            case Token::Type::Int:
                e->value = Value::integer(std::stoll(token.text));
                return e;
            case Token::Type::Float:
                e->value = Value::number(std::stod(token.text));
                return e;
            case Token::Type::Name:
                if (token.text == "true" || token.text == "True") {
                    e->value = Value::boolean(true);
                } else if (token.text == "false" || token.text == "False") {
                    e->value = Value::boolean(false);
                } else if (token.text == "none" || token.text == "None") {
                    e->value = Value::none();
                } else {
                    e->kind = Expr::Kind::Name;
                    e->name = token.text;
                }
                return e;
            case Token::Type::Op:
                if (token.text == "(") {
                    ExprPtr inner = expression();
                    if (isOp(",")) {  // a tuple: treated as a list
                        auto list = std::make_shared<Expr>();
                        list->kind = Expr::Kind::ListLiteral;
                        list->args.push_back(inner);
                        while (acceptOp(",") && !isOp(")")) {
                            list->args.push_back(expression());
                        }
                        inner = list;
                    }
                    expectOp(")");
                    return inner;
                }
                if (token.text == "[") {
                    e->kind = Expr::Kind::ListLiteral;
                    while (!acceptOp("]")) {
                        e->args.push_back(expression());
                        if (!acceptOp(",")) {
                            expectOp("]");
                            break;
                        }
                    }
                    return e;
                }
                if (token.text == "{") {
                    e->kind = Expr::Kind::MapLiteral;
                    while (!acceptOp("}")) {
                        e->args.push_back(expression());
                        expectOp(":");
                        e->args.push_back(expression());
                        if (!acceptOp(",")) {
                            expectOp("}");
                            break;
                        }
                    }
                    return e;
                }
                break;
            case Token::Type::End:
                fail("unexpected end of expression");
        }
        fail("unexpected '" + token.text + "'");
    }

    ExprPtr postfix(ExprPtr node)
    {
        while (true) {
            if (acceptOp(".")) {
                auto e = std::make_shared<Expr>();
                e->kind = Expr::Kind::Attribute;
                if (peek().type == Token::Type::Int) {  // foo.0 is foo[0]
                    e->kind = Expr::Kind::Subscript;
                    auto index = std::make_shared<Expr>();
                    index->value = Value::integer(std::stoll(m_tokens[m_pos++].text));
                    e->args = {node, index};
                } else {
                    e->name = expectName();
                    e->args = {node};
                }
                node = e;
            } else if (acceptOp("[")) {
                node = subscript(node);
            } else if (isOp("(")) {
                node = call(node);
            } else {
                return node;
            }
        }
    }

    ExprPtr subscript(const ExprPtr &target)
    {
        auto e = std::make_shared<Expr>();
        ExprPtr parts[3] = {nullptr, nullptr, nullptr};
        int part = 0;
        bool isSlice = false;
        while (!acceptOp("]")) {
            if (acceptOp(":")) {
                isSlice = true;
                if (++part > 2) {
                    fail("too many ':' in a slice");
                }
                continue;
            }
            parts[part] = expression();
        }
        if (isSlice) {
            e->kind = Expr::Kind::Slice;
            e->args = {target, parts[0], parts[1], parts[2]};
        } else {
            if (!parts[0]) {
                fail("empty subscript");
            }
            e->kind = Expr::Kind::Subscript;
            e->args = {target, parts[0]};
        }
        return e;
    }

    // Arguments after "(": positional then keyword, into e->args/e->keywords.
    void arguments(Expr &e)
    {
        expectOp("(");
        std::vector<ExprPtr> keywordValues;
        while (!acceptOp(")")) {
            if (peek().type == Token::Type::Name && isOp("=", 1)) {
                e.keywords.push_back(m_tokens[m_pos].text);
                m_pos += 2;
                keywordValues.push_back(expression());
            } else {
                if (!keywordValues.empty()) {
                    fail("positional argument after a keyword argument");
                }
                e.args.push_back(expression());
            }
            if (!acceptOp(",")) {
                expectOp(")");
                break;
            }
        }
        e.args.insert(e.args.end(), keywordValues.begin(), keywordValues.end());
    }

    ExprPtr call(const ExprPtr &callee)
    {
        auto e = std::make_shared<Expr>();
        e->kind = Expr::Kind::Call;
        e->args.push_back(callee);
        arguments(*e);
        return e;
    }

    ExprPtr filters(ExprPtr node)
    {
        while (true) {
            if (acceptOp("|")) {
                auto e = std::make_shared<Expr>();
                e->kind = Expr::Kind::Filter;
                e->name = expectName();
                e->args.push_back(node);
                if (isOp("(")) {
                    arguments(*e);
                }
                node = e;
            } else if (acceptName("is")) {
                auto e = std::make_shared<Expr>();
                e->kind = Expr::Kind::Test;
                e->negated = acceptName("not");
                e->name = expectName();
                e->args.push_back(node);
                if (isOp("(")) {
                    arguments(*e);
                } else if (peek().type == Token::Type::String || peek().type == Token::Type::Int ||
                           peek().type == Token::Type::Float) {
                    e->args.push_back(unaryExpr(false));  // "is divisibleby 3"
                }
                node = e;
            } else if (isOp("(")) {
                node = call(node);
            } else {
                return node;
            }
        }
    }

    ExprPtr binary(const std::string &op, ExprPtr left, ExprPtr right)
    {
        auto e = std::make_shared<Expr>();
        e->kind = Expr::Kind::Binary;
        e->name = op;
        e->args = {std::move(left), std::move(right)};
        return e;
    }

    ExprPtr unary(const std::string &op, ExprPtr operand)
    {
        auto e = std::make_shared<Expr>();
        e->kind = Expr::Kind::Unary;
        e->name = op;
        e->args = {std::move(operand)};
        return e;
    }

private:
    std::vector<Token> m_tokens;
    std::size_t m_pos = 0;
    int m_line;
};

// ---- statements --------------------------------------------------------------------------------

class StatementParser
{
public:
    explicit StatementParser(std::vector<Segment> segments)
        : m_segments(std::move(segments))
    {}

    NodeList parseAll()
    {
        std::string stopped;
        NodeList nodes = parseUntil({}, stopped);
        return nodes;
    }

private:
    [[noreturn]] static void fail(int line, const std::string &what)
    {
        throw TemplateError("line " + std::to_string(line) + ": " + what);
    }

    static std::string keywordOf(const std::string &tag)
    {
        std::size_t i = tag.find_first_not_of(" \t\r\n");
        std::size_t j = i;
        while (j < tag.size() &&
               (std::isalnum(static_cast<unsigned char>(tag[j])) || tag[j] == '_')) {
            ++j;
        }
        return i == std::string::npos ? std::string() : tag.substr(i, j - i);
    }

    static std::string restOf(const std::string &tag, const std::string &keyword)
    {
        return tag.substr(tag.find(keyword) + keyword.size());
    }

    // Parses nodes until a statement whose keyword is in stops; stopped receives it (and the
    // parser stays on that tag so the caller can read its arguments).
    NodeList parseUntil(const std::vector<std::string> &stops, std::string &stopped)
    {
        NodeList nodes;
        while (m_pos < m_segments.size()) {
            const Segment &s = m_segments[m_pos];
            if (!s.isTag) {
                if (!s.text.empty()) {
                    auto n = std::make_shared<Node>();
                    n->kind = Node::Kind::Text;
                    n->text = s.text;
                    nodes.push_back(n);
                }
                ++m_pos;
                continue;
            }
            if (s.kind == TagKind::Comment) {
                ++m_pos;
                continue;
            }
            if (s.kind == TagKind::Output) {
                ExprParser p(s.text, s.line);
                auto n = std::make_shared<Node>();
                n->kind = Node::Kind::Output;
                n->line = s.line;
                n->expr = p.expression();
                p.expectEnd();
                nodes.push_back(n);
                ++m_pos;
                continue;
            }
            const std::string keyword = keywordOf(s.text);
            for (const std::string &stop : stops) {
                if (keyword == stop) {
                    stopped = keyword;
                    return nodes;
                }
            }
            ++m_pos;
            nodes.push_back(statement(s, keyword));
        }
        if (!stops.empty()) {
            fail(m_segments.empty() ? 1 : m_segments.back().line,
                 "missing {% " + stops.back() + " %}");
        }
        return nodes;
    }

    NodePtr statement(const Segment &s, const std::string &keyword)
    {
        auto n = std::make_shared<Node>();
        n->line = s.line;
        const std::string rest = restOf(s.text, keyword);
        if (keyword == "if") {
            n->kind = Node::Kind::If;
            ExprPtr condition = expressionOf(rest, s.line);
            while (true) {
                std::string stopped;
                NodeList body = parseUntil({"elif", "else", "endif"}, stopped);
                n->branches.emplace_back(condition, body);
                const Segment &stop = m_segments[m_pos++];
                if (stopped == "elif") {
                    condition = expressionOf(restOf(stop.text, "elif"), stop.line);
                    continue;
                }
                if (stopped == "else") {
                    n->elseBody = parseUntil({"endif"}, stopped);
                    ++m_pos;
                }
                break;
            }
        } else if (keyword == "for") {
            n->kind = Node::Kind::For;
            ExprParser p(rest, s.line);
            do {
                n->targets.push_back(p.expectName());
            } while (p.acceptOp(","));
            if (!p.acceptName("in")) {
                p.fail("expected 'in' in a for loop");
            }
            n->expr = p.orExpr();
            if (p.acceptName("if")) {  // for x in xs if condition: the filter is branches[0]
                n->branches.emplace_back(p.expression(), NodeList{});
            }
            p.expectEnd();
            std::string stopped;
            n->body = parseUntil({"else", "endfor"}, stopped);
            ++m_pos;
            if (stopped == "else") {
                n->elseBody = parseUntil({"endfor"}, stopped);
                ++m_pos;
            }
        } else if (keyword == "set") {
            n->kind = Node::Kind::Set;
            ExprParser p(rest, s.line);
            n->targets.push_back(p.expectName());
            if (p.acceptOp(".")) {
                n->attribute = p.expectName();
            } else {
                while (p.acceptOp(",")) {
                    n->targets.push_back(p.expectName());
                }
            }
            if (p.atEnd()) {  // {% set x %}...{% endset %}
                std::string stopped;
                n->body = parseUntil({"endset"}, stopped);
                ++m_pos;
            } else {
                p.expectOp("=");
                n->expr = p.expression();
                p.expectEnd();
            }
        } else if (keyword == "break" || keyword == "continue") {
            n->kind = keyword == "break" ? Node::Kind::Break : Node::Kind::Continue;
        } else if (keyword == "generation") {
            n->kind = Node::Kind::Generation;
            std::string stopped;
            n->body = parseUntil({"endgeneration"}, stopped);
            ++m_pos;
        } else {
            fail(s.line, "unsupported statement '" + keyword + "'");
        }
        return n;
    }

    static ExprPtr expressionOf(const std::string &src, int line)
    {
        ExprParser p(src, line);
        ExprPtr e = p.expression();
        p.expectEnd();
        return e;
    }

    std::vector<Segment> m_segments;
    std::size_t m_pos = 0;
};

}  // namespace

NodeList parseTemplate(const std::string &source)
{
    std::vector<Segment> segments = splitSegments(source);
    applyWhitespaceControl(segments);
    return StatementParser(std::move(segments)).parseAll();
}

}  // namespace gyrus::jinja
