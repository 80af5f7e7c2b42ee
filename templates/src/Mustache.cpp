// Mustache parsing and rendering. The parser works in passes over a flat token list (text cut at
// line ends, line ends, tags) because the spec's whitespace rules look at whole lines and at tag
// pairs; once they are settled the tree holds only what renders, and rendering just walks it.
#include "a6/templates/Mustache.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <mutex>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "a6/core/Error.h"
#include "a6/templates/Escape.h"

namespace a6::templates {

struct Template::Node {
  enum class Kind { Root, Text, Variable, Section, Inverted, Partial, Parent, Block };
  Kind kind = Kind::Root;
  std::string text;               // Text: the literal; any other kind: the name as written
  std::vector<std::string> path;  // Variable, Section, Inverted: the name split at dots; empty for "."
  bool escape = true;             // Variable: {{x}} escapes, {{{x}}} and {{&x}} do not
  std::vector<Node> children;     // content; for a Parent only its argument blocks
  // Partial, Parent: on a line of its own, so `indent` goes before each of its lines.
  // Block: a standalone pair, so an overriding argument is indented with `indent`.
  bool standalone = false;
  std::string indent;
  std::string defaultPrefix;  // Block: blanks taken off its line, given back when not overridden
};

struct Template::PartialCache {
  struct Entry {
    std::string text;
    std::shared_ptr<const Node> tree;
  };
  std::mutex mutex;
  std::unordered_map<std::string, Entry> entries;
};

namespace {

using Node = Template::Node;
using Kind = Node::Kind;
using Overrides = std::map<std::string, const Node*, std::less<>>;

constexpr std::size_t kNone = static_cast<std::size_t>(-1);
// Partials may recurse as deep as the data does; this only stops a template that never ends.
constexpr int kMaxDepth = 100;

bool isBlank(std::string_view s) { return s.find_first_not_of(" \t") == std::string_view::npos; }

std::string_view trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = s.find_last_not_of(" \t\r\n");
  return s.substr(first, last - first + 1);
}

enum class TokenKind { Text, Newline, Tag };

struct Token {
  TokenKind kind = TokenKind::Text;
  std::string text;  // Text: the literal; Newline: "\n" or "\r\n"; Tag: the name
  char type = 0;     // Tag: one of # ^ / ! > < $ = & { or 'v' for an escaped variable
  int line = 0;
  bool removed = false;           // blanks or a line end that a standalone rule takes out of the output
  bool standalone = false;        // Tag: alone on its line (or, for a parent or block, a standalone pair)
  std::size_t match = kNone;      // Tag: the index of the matching open or close tag
  std::size_t enclosing = kNone;  // Tag: the index of the innermost open tag around it
  std::string indent;             // see Node::indent
  std::string defaultPrefix;      // see Node::defaultPrefix
};

bool opens(char type) { return type == '#' || type == '^' || type == '<' || type == '$'; }
bool interpolates(char type) { return type == 'v' || type == '&' || type == '{'; }

class Parser {
 public:
  Parser(const std::string& text, const std::string& name) : text_(text), name_(name) {}

  Node parse() {
    scan();
    markStandaloneLines();
    matchPairs();
    trimArgumentBlocks();
    markStandalonePairs();
    Node root;
    std::size_t i = 0;
    build(root, i, tokens_.size());
    return root;
  }

 private:
  [[noreturn]] void fail(int line, const std::string& reason) const {
    throw SourceError(ErrorCode::Definition, name_, line, reason);
  }

  // --- pass 1: tokens ---------------------------------------------------------------------------

  void scan() {
    std::string open = "{{";
    std::string close = "}}";
    std::size_t pos = 0;
    int line = 1;
    while (pos < text_.size()) {
      const std::size_t tag = text_.find(open, pos);
      addText(pos, tag == std::string::npos ? text_.size() : tag, line);
      if (tag == std::string::npos) break;
      pos = scanTag(tag, open, close, line);
    }
  }

  // Text is cut at line ends so that each line's tokens can be judged on their own.
  void addText(std::size_t from, std::size_t to, int& line) {
    while (from < to) {
      const std::size_t nl = text_.find('\n', from);
      if (nl == std::string::npos || nl >= to) {
        pushText(from, to, line);
        return;
      }
      std::size_t lineEnd = nl;
      if (lineEnd > from && text_[lineEnd - 1] == '\r') --lineEnd;  // "\r\n" is one line end
      pushText(from, lineEnd, line);
      Token newline;
      newline.kind = TokenKind::Newline;
      newline.text = text_.substr(lineEnd, nl + 1 - lineEnd);
      newline.line = line++;
      tokens_.push_back(std::move(newline));
      from = nl + 1;
    }
  }

  void pushText(std::size_t from, std::size_t to, int line) {
    if (from >= to) return;
    Token token;
    token.text = text_.substr(from, to - from);
    token.line = line;
    tokens_.push_back(std::move(token));
  }

  std::size_t scanTag(std::size_t start, std::string& open, std::string& close, int& line) {
    std::size_t p = start + open.size();
    char type = 'v';
    if (p < text_.size() && std::string_view("#^/!><$=&{").find(text_[p]) != std::string_view::npos) {
      type = text_[p++];
    }
    // {{{x}}} and {{=a b=}} end with their own character before the closing delimiter.
    const std::string closing = type == '{' ? "}" + close : type == '=' ? "=" + close : close;
    const std::size_t end = text_.find(closing, p);
    if (end == std::string::npos) fail(line, "unclosed tag: '" + open + "' without a following '" + closing + "'");
    const std::string_view content = trim(std::string_view(text_).substr(p, end - p));

    Token tag;
    tag.kind = TokenKind::Tag;
    tag.type = type;
    tag.line = line;
    if (type == '=') {
      setDelimiters(content, open, close, line);
    } else if (type != '!') {
      checkName(content, type, line);
      tag.text = std::string(content);
    }
    tokens_.push_back(std::move(tag));

    const std::size_t after = end + closing.size();
    for (std::size_t i = start; i < after; ++i) line += text_[i] == '\n' ? 1 : 0;  // multi-line comments
    return after;
  }

  void setDelimiters(std::string_view content, std::string& open, std::string& close, int line) const {
    std::vector<std::string_view> parts;
    std::size_t pos = 0;
    while (pos < content.size()) {
      const std::size_t first = content.find_first_not_of(" \t\r\n", pos);
      if (first == std::string_view::npos) break;
      std::size_t last = content.find_first_of(" \t\r\n", first);
      if (last == std::string_view::npos) last = content.size();
      parts.push_back(content.substr(first, last - first));
      pos = last;
    }
    if (parts.size() != 2 || parts[0].find('=') != std::string_view::npos ||
        parts[1].find('=') != std::string_view::npos) {
      fail(line, "bad set-delimiter tag '=" + std::string(content) +
                     "=': it takes two delimiters without '=', separated by blanks");
    }
    open = std::string(parts[0]);
    close = std::string(parts[1]);
  }

  void checkName(std::string_view name, char type, int line) const {
    if (name.empty()) fail(line, "empty tag name");
    if (name.find_first_of(" \t\r\n") != std::string_view::npos) {
      fail(line, "tag name '" + std::string(name) + "' contains blanks");
    }
    // Context names resolve part by part; partial, parent and block names are taken whole.
    const bool dotted = type == 'v' || type == '&' || type == '{' || type == '#' || type == '^';
    if (dotted && name != "." &&
        (name.front() == '.' || name.back() == '.' || name.find("..") != std::string_view::npos)) {
      fail(line, "bad dotted name '" + std::string(name) + "'");
    }
  }

  // --- pass 2: lines holding one non-interpolating tag and blanks vanish -----------------------

  void markStandaloneLines() {
    std::size_t lineStart = 0;
    for (std::size_t i = 0; i <= tokens_.size(); ++i) {
      if (i < tokens_.size() && tokens_[i].kind != TokenKind::Newline) continue;
      markIfStandalone(lineStart, i);
      lineStart = i + 1;
    }
  }

  void markIfStandalone(std::size_t from, std::size_t lineEnd) {
    std::size_t tag = kNone;
    for (std::size_t i = from; i < lineEnd; ++i) {
      const Token& t = tokens_[i];
      if (t.kind == TokenKind::Tag) {
        if (tag != kNone || interpolates(t.type)) return;
        tag = i;
      } else if (!isBlank(t.text)) {
        return;
      }
    }
    if (tag == kNone) return;
    for (std::size_t i = from; i < lineEnd; ++i) tokens_[i].removed = i != tag;
    if (lineEnd < tokens_.size()) tokens_[lineEnd].removed = true;
    tokens_[tag].standalone = true;
  }

  // --- pass 3: pairs ------------------------------------------------------------------------------

  void matchPairs() {
    std::vector<std::size_t> open;
    for (std::size_t i = 0; i < tokens_.size(); ++i) {
      Token& t = tokens_[i];
      if (t.kind != TokenKind::Tag) continue;
      if (opens(t.type)) {
        t.enclosing = open.empty() ? kNone : open.back();
        open.push_back(i);
      } else if (t.type == '/') {
        if (open.empty()) fail(t.line, "closing tag '/" + t.text + "' without an open section");
        Token& o = tokens_[open.back()];
        if (o.text != t.text) {
          fail(t.line, "closing tag '/" + t.text + "' does not match '" + o.type + o.text + "' opened on line " +
                           std::to_string(o.line));
        }
        o.match = i;
        t.match = open.back();
        open.pop_back();
      }
    }
    if (!open.empty()) {
      const Token& o = tokens_[open.back()];
      fail(o.line, "unclosed section '" + std::string(1, o.type) + o.text + "': no '/" + o.text + "' follows");
    }
  }

  // A block directly inside a parent tag is an argument: an inline template of its own. Its start
  // tag owns the line end after it, its end tag owns the blanks before it, and the indentation of
  // its first line (its "intrinsic" indentation) is taken off every line, so that the parent decides
  // where the argument lands. Outer blocks come first so that inner ones measure what is left.
  void trimArgumentBlocks() {
    for (std::size_t s = 0; s < tokens_.size(); ++s) {
      if (!isArgument(s)) continue;
      const std::size_t e = tokens_[s].match;
      const std::size_t nl = lineEndAfter(s);
      if (nl != kNone && nl < e) {
        for (std::size_t i = s + 1; i <= nl; ++i) tokens_[i].removed = true;
        const std::string intrinsic = leadingBlanksOfLine(nl + 1);
        if (!intrinsic.empty()) {
          for (std::size_t k = nl; k + 1 < e; ++k) {
            Token& next = tokens_[k + 1];
            if (tokens_[k].kind == TokenKind::Newline && next.kind == TokenKind::Text &&
                next.text.compare(0, intrinsic.size(), intrinsic) == 0) {
              next.text.erase(0, intrinsic.size());
            }
          }
        }
      }
      std::size_t k = e;
      while (k > s + 1 && isBlankText(k - 1)) --k;
      if (k > s + 1 && tokens_[k - 1].kind == TokenKind::Newline) {
        for (std::size_t i = k; i < e; ++i) tokens_[i].removed = true;
      }
    }
  }

  // Parents and blocks whose start tag begins a line and whose end tag ends one are standalone
  // pairs, even on one line. A parent then acts like a standalone partial. A parameter block
  // lends its indentation to an overriding argument: the intrinsic indentation of its own content
  // when its start tag ends its line, else the blanks before the start tag; its line end stays.
  void markStandalonePairs() {
    for (std::size_t s = 0; s < tokens_.size(); ++s) {
      Token& t = tokens_[s];
      if (t.kind != TokenKind::Tag) continue;
      if (t.type == '>') {
        if (t.standalone) t.indent = blanksBefore(s);
      } else if (t.type == '<') {
        const std::size_t e = t.match;
        if (clearBefore(s) && clearAfter(e)) {
          t.standalone = true;
          for (std::size_t i = e + 1; i < tokens_.size(); ++i) {
            tokens_[i].removed = true;
            if (tokens_[i].kind == TokenKind::Newline) break;
          }
        }
        if (t.standalone) {
          t.indent = blanksBefore(s);
          removeBlanksBefore(s);
        }
      } else if (t.type == '$' && !isArgument(s)) {
        if (!clearBefore(s) || !clearAfter(t.match)) {
          t.standalone = false;
          continue;
        }
        if (const std::size_t nl = lineEndAfter(s); t.standalone && nl != kNone) {
          t.indent = leadingBlanksOfLine(nl + 1);
        } else {
          t.standalone = true;
          t.indent = blanksBefore(s);
          t.defaultPrefix = t.indent;
          removeBlanksBefore(s);
        }
      }
    }
  }

  bool isArgument(std::size_t i) const {
    const Token& t = tokens_[i];
    return t.kind == TokenKind::Tag && t.type == '$' && t.enclosing != kNone && tokens_[t.enclosing].type == '<';
  }

  bool isBlankText(std::size_t i) const { return tokens_[i].kind == TokenKind::Text && isBlank(tokens_[i].text); }

  // Only blanks between the start of the line and token i.
  bool clearBefore(std::size_t i) const {
    while (i > 0 && isBlankText(i - 1)) --i;
    return i == 0 || tokens_[i - 1].kind == TokenKind::Newline;
  }

  // Only blanks between token i and the end of its line.
  bool clearAfter(std::size_t i) const {
    ++i;
    while (i < tokens_.size() && isBlankText(i)) ++i;
    return i == tokens_.size() || tokens_[i].kind == TokenKind::Newline;
  }

  // The line end after token i when only blanks come between, else kNone.
  std::size_t lineEndAfter(std::size_t i) const {
    ++i;
    while (i < tokens_.size() && isBlankText(i)) ++i;
    return i < tokens_.size() && tokens_[i].kind == TokenKind::Newline ? i : kNone;
  }

  std::string blanksBefore(std::size_t i) const {
    std::size_t k = i;
    while (k > 0 && isBlankText(k - 1)) --k;
    std::string blanks;
    for (; k < i; ++k) blanks += tokens_[k].text;
    return blanks;
  }

  void removeBlanksBefore(std::size_t i) {
    while (i > 0 && isBlankText(i - 1)) tokens_[--i].removed = true;
  }

  // The blanks that start the line whose first token is i.
  std::string leadingBlanksOfLine(std::size_t i) const {
    if (i >= tokens_.size() || tokens_[i].kind != TokenKind::Text) return {};
    const std::string& text = tokens_[i].text;
    return text.substr(0, std::min(text.size(), text.find_first_not_of(" \t")));
  }

  // --- pass 4: the tree ---------------------------------------------------------------------------

  void build(Node& into, std::size_t& i, std::size_t end) {
    while (i < end) {
      const Token& t = tokens_[i];
      if (t.kind != TokenKind::Tag) {
        if (!t.removed) appendText(into, t.text);
        ++i;
        continue;
      }
      switch (t.type) {
        case 'v':
        case '&':
        case '{':
          into.children.push_back(named(t, Kind::Variable));
          into.children.back().escape = t.type == 'v';
          ++i;
          break;
        case '>': {
          Node partial = named(t, Kind::Partial);
          partial.standalone = t.standalone;
          partial.indent = t.indent;
          into.children.push_back(std::move(partial));
          ++i;
          break;
        }
        case '#':
        case '^':
        case '<':
        case '$': {
          const Kind kind = t.type == '#'   ? Kind::Section
                            : t.type == '^' ? Kind::Inverted
                            : t.type == '<' ? Kind::Parent
                                            : Kind::Block;
          Node node = named(t, kind);
          node.standalone = t.standalone;
          node.indent = t.indent;
          node.defaultPrefix = t.defaultPrefix;
          const std::size_t close = t.match;
          ++i;
          build(node, i, close);
          i = close + 1;
          if (kind == Kind::Parent) keepOnlyBlocks(node);
          into.children.push_back(std::move(node));
          break;
        }
        default:  // comments, set delimiters; end tags are consumed with their section
          ++i;
      }
    }
  }

  static Node named(const Token& t, Kind kind) {
    Node node;
    node.kind = kind;
    node.text = t.text;
    if ((kind == Kind::Variable || kind == Kind::Section || kind == Kind::Inverted) && t.text != ".") {
      std::size_t from = 0;
      for (std::size_t dot; (dot = t.text.find('.', from)) != std::string::npos; from = dot + 1) {
        node.path.push_back(t.text.substr(from, dot - from));
      }
      node.path.push_back(t.text.substr(from));
    }
    return node;
  }

  static void appendText(Node& into, const std::string& text) {
    if (text.empty()) return;
    if (!into.children.empty() && into.children.back().kind == Kind::Text) {
      into.children.back().text += text;
      return;
    }
    Node node;
    node.kind = Kind::Text;
    node.text = text;
    into.children.push_back(std::move(node));
  }

  // Inside a parent tag only the argument blocks count; other text and tags are ignored.
  static void keepOnlyBlocks(Node& parent) {
    std::vector<Node> blocks;
    for (Node& child : parent.children) {
      if (child.kind == Kind::Block) blocks.push_back(std::move(child));
    }
    parent.children = std::move(blocks);
  }

  const std::string& text_;
  const std::string& name_;
  std::vector<Token> tokens_;
};

std::shared_ptr<const Node> parseTree(const std::string& text, const std::string& name) {
  return std::make_shared<const Node>(Parser(text, name).parse());
}

// Truthiness as the spec puts it (`!!data` in JavaScript terms), with empty lists false too:
// missing, null, false, 0, "" and [] hide a section; maps, even empty ones, show it.
bool truthy(const Value* v) {
  if (v == nullptr || v->isNull()) return false;
  if (v->isBool()) return v->asBool();
  if (v->isNumber()) return v->asNumber() != 0 && !std::isnan(v->asNumber());
  if (v->isString()) return !v->asString().empty();
  if (v->isList()) return !v->asList().empty();
  return true;
}

// Integers print without ".0" and other numbers in the shortest form that reads back the same,
// in plain notation while that stays readable (1.21, 0.5, 1234567.25).
void appendNumber(std::string& out, double d) {
  char buf[64];
  char* const end = buf + sizeof buf;
  std::to_chars_result r{};
  const double magnitude = std::fabs(d);
  if (std::isfinite(d) && std::trunc(d) == d && magnitude < 1e15) {
    r = std::to_chars(buf, end, static_cast<long long>(d));
  } else if (std::isfinite(d) && magnitude >= 1e-6 && magnitude < 1e21) {
    r = std::to_chars(buf, end, d, std::chars_format::fixed);
  } else {
    r = std::to_chars(buf, end, d);
  }
  out.append(buf, r.ptr);
}

class Renderer {
 public:
  Renderer(const Value& context, const PartialLoader& loader, Template::PartialCache* cache)
      : loader_(loader), cache_(cache) {
    stack_.push_back(&context);
  }

  std::string run(const Node& root) {
    renderAll(root.children);
    return std::move(out_);
  }

 private:
  void renderAll(const std::vector<Node>& nodes) {
    for (const Node& node : nodes) render(node);
  }

  void render(const Node& node) {
    switch (node.kind) {
      case Kind::Text:
        writeText(node.text);
        break;
      case Kind::Variable:
        startLine();
        if (const Value* v = lookup(node.path)) appendValue(*v, node.escape);
        break;
      case Kind::Section:
        renderSection(node);
        break;
      case Kind::Inverted:
        if (!truthy(lookup(node.path))) renderAll(node.children);
        break;
      case Kind::Partial:
        if (const Node* partial = load(node.text)) expand(*partial, node, overrides_);
        break;
      case Kind::Parent:
        renderParent(node);
        break;
      case Kind::Block:
        renderBlock(node);
        break;
      case Kind::Root:
        renderAll(node.children);
        break;
    }
  }

  void renderSection(const Node& node) {
    const Value* v = lookup(node.path);
    if (!truthy(v)) return;
    if (v->isList()) {
      for (const Value& item : v->asList()) {
        stack_.push_back(&item);
        renderAll(node.children);
        stack_.pop_back();
      }
      return;
    }
    stack_.push_back(v);
    renderAll(node.children);
    stack_.pop_back();
  }

  void renderParent(const Node& node) {
    const Node* parent = load(node.text);
    if (parent == nullptr) return;
    // Arguments given further out win over this parent tag's own (multi-level inheritance).
    Overrides overrides;
    for (const Node& argument : node.children) overrides[argument.text] = &argument;
    if (overrides_ != nullptr) {
      for (const auto& [name, argument] : *overrides_) overrides[name] = argument;
    }
    expand(*parent, node, &overrides);
  }

  void renderBlock(const Node& node) {
    const Node* argument = nullptr;
    if (overrides_ != nullptr) {
      if (auto it = overrides_->find(node.text); it != overrides_->end()) argument = it->second;
    }
    if (argument == nullptr) {
      writeText(node.defaultPrefix);
      renderAll(node.children);
      return;
    }
    // The argument is rendered here, in the parent's context stack, with the parent's indentation.
    enter();
    std::string saved = indent_;
    if (node.standalone) indent_ += node.indent;
    renderAll(argument->children);
    indent_ = std::move(saved);
    --depth_;
  }

  // Renders a partial or parent template at the place of its tag. Standalone, each of its lines
  // gets the tag's indentation; inline, it continues the current line and its own later lines
  // start at the margin, as if its text had been pasted in.
  void expand(const Node& tree, const Node& tag, const Overrides* overrides) {
    enter();
    std::string savedIndent = indent_;
    const Overrides* savedOverrides = overrides_;
    if (tag.standalone) {
      indent_ += tag.indent;
    } else {
      startLine();
      indent_.clear();
    }
    overrides_ = overrides;
    renderAll(tree.children);
    overrides_ = savedOverrides;
    indent_ = std::move(savedIndent);
    if (!tag.standalone) atLineStart_ = false;
    --depth_;
  }

  void enter() {
    if (++depth_ > kMaxDepth) {
      throw Error(ErrorCode::Definition, "template nesting deeper than " + std::to_string(kMaxDepth) +
                                             " partials, parents or blocks (endless recursion?)");
    }
  }

  const Node* load(const std::string& name) {
    if (auto it = loaded_.find(name); it != loaded_.end()) return it->second.get();
    std::shared_ptr<const Node> tree;
    if (loader_) {
      if (std::optional<std::string> text = loader_(name)) tree = parsed(name, *text);
    }
    return loaded_.emplace(name, std::move(tree)).first->second.get();
  }

  std::shared_ptr<const Node> parsed(const std::string& name, const std::string& text) {
    if (cache_ == nullptr) return parseTree(text, name);
    {
      std::lock_guard lock(cache_->mutex);
      auto it = cache_->entries.find(name);
      if (it != cache_->entries.end() && it->second.text == text) return it->second.tree;
    }
    std::shared_ptr<const Node> tree = parseTree(text, name);  // outside the lock: parsing may throw
    std::lock_guard lock(cache_->mutex);
    cache_->entries[name] = {text, tree};
    return tree;
  }

  const Value* lookup(const std::vector<std::string>& path) const {
    if (path.empty()) return stack_.back();
    for (auto frame = stack_.rbegin(); frame != stack_.rend(); ++frame) {
      const Value* v = (*frame)->find(path.front());
      if (v == nullptr) continue;
      // Only the first part searches the stack; the rest must resolve inside what it found.
      for (std::size_t i = 1; i < path.size() && v != nullptr; ++i) v = v->find(path[i]);
      return v;
    }
    return nullptr;
  }

  void appendValue(const Value& v, bool escape) {
    if (v.isString()) {
      out_ += escape ? escapeHtml(v.asString()) : v.asString();
    } else if (v.isNumber()) {
      appendNumber(out_, v.asNumber());
    } else if (v.isBool()) {
      out_ += v.asBool() ? "true" : "false";
    }
    // null, lists and maps interpolate as nothing
  }

  // Template text: indentation goes at the start of each of its lines, never inside a value.
  void writeText(const std::string& text) {
    if (text.empty()) return;
    if (indent_.empty()) {
      out_ += text;
      atLineStart_ = text.back() == '\n';
      return;
    }
    std::size_t pos = 0;
    while (pos < text.size()) {
      startLine();
      const std::size_t nl = text.find('\n', pos);
      const std::size_t end = nl == std::string::npos ? text.size() : nl + 1;
      out_.append(text, pos, end - pos);
      atLineStart_ = nl != std::string::npos;
      pos = end;
    }
  }

  void startLine() {
    if (atLineStart_) {
      out_ += indent_;
      atLineStart_ = false;
    }
  }

  const PartialLoader& loader_;
  Template::PartialCache* cache_;
  std::unordered_map<std::string, std::shared_ptr<const Node>> loaded_;  // this render's partials
  std::vector<const Value*> stack_;
  const Overrides* overrides_ = nullptr;
  std::string out_;
  std::string indent_;
  bool atLineStart_ = true;
  int depth_ = 0;
};

void collectNames(const Node& node, std::vector<std::string>& names, std::unordered_set<std::string>& seen) {
  for (const Node& child : node.children) {
    const bool named = child.kind == Kind::Variable || child.kind == Kind::Section || child.kind == Kind::Inverted;
    if (named && child.text != "." && seen.insert(child.text).second) names.push_back(child.text);
    collectNames(child, names, seen);
  }
}

}  // namespace

Template Template::parse(const std::string& text, const std::string& name) {
  Template t;
  t.root_ = parseTree(text, name);
  t.name_ = name;
  t.partials_ = std::make_shared<PartialCache>();
  return t;
}

std::string Template::render(const Value& context, const PartialLoader& partials) const {
  if (!root_) return {};
  return Renderer(context, partials, partials_.get()).run(*root_);
}

std::vector<std::string> Template::names() const {
  std::vector<std::string> names;
  std::unordered_set<std::string> seen;
  if (root_) collectNames(*root_, names, seen);
  return names;
}

std::string renderMustache(const std::string& text, const Value& context, const PartialLoader& partials) {
  return Template::parse(text).render(context, partials);
}

}  // namespace a6::templates
