// Renders a letter's layout XML to PDF 1.7. PoDoFo builds the document (objects, pages, images,
// streams, writing); the text is set here. Why not PoDoFo's own fonts: in 0.9.8 a "subset" CID font
// made from a font file silently embeds the whole file (its subsetter needs the font in memory),
// a subset keeps the original glyph numbers (loca and hmtx of a 3,000-glyph font in every letter),
// and PdfPainter cannot justify Identity-H text (Tw only acts on the single-byte code 32). So
// TrueType tables are parsed once per process, each document embeds a compact subset (glyphs
// renumbered) as a Type0/CIDFontType2 font with Identity-H and a ToUnicode map, compressed subsets
// are reused across letters with the same glyph set, and lines are written as TJ arrays that keep
// a real space glyph between words so that text extraction sees the words.
#include "a6/templates/Layout.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <utility>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <podofo/podofo.h>
#include <qrencode.h>

#include "a6/core/Error.h"
#include "a6/templates/Locale.h"

namespace a6::templates {

namespace {

// ---------------------------------------------------------------------------------------------
// Page geometry and type (PDF points, A4 portrait)

constexpr double kPageWidth = 595.276;
constexpr double kPageHeight = 841.890;
constexpr double kMarginX = 56.693;  // 2 cm left and right
constexpr double kMarginTop = 56.693;
constexpr double kContentTop = kPageHeight - kMarginTop;
constexpr double kContentBottom = 73.70;   // 2.6 cm: the footer sits below this
constexpr double kFooterBaseline = 39.69;  // 1.4 cm
constexpr double kFooterRule = 53.86;      // 1.9 cm
constexpr double kContentWidth = kPageWidth - 2 * kMarginX;

constexpr double kBodySize = 10.5;
constexpr double kBodyLeading = 14.2;
constexpr double kParagraphGap = 6.5;
constexpr double kHeadingSize = 11.0;
constexpr double kTitleSize = 12.5;
constexpr double kTableSize = 9.5;
constexpr double kTableLeading = 12.4;
constexpr double kCellPadX = 4.5;
constexpr double kCellPadY = 3.0;
constexpr double kFooterSize = 8.0;
constexpr double kListIndent = 18.0;
constexpr double kEmblemHeight = 56.0;
constexpr double kEmblemMaxWidth = 120.0;
constexpr double kSignatureBoxHeight = 62.0;
constexpr double kSignatureBoxWidth = 220.0;
constexpr double kQrSize = 68.0;

constexpr size_t kMaxLayoutBytes = 1 << 20;  // a letter is a few kilobytes; refuse anything absurd
constexpr int kMaxPages = 200;
constexpr size_t kMaxFontBytes = 32u << 20;
constexpr size_t kMaxImageBytes = 8u << 20;

enum Style : uint8_t { kRegular = 0, kBold = 1, kItalic = 2, kBoldItalic = 3 };
enum class Align { Justify, Left, Center, Right };

[[noreturn]] void configError(const std::string& path, const std::string& reason) {
  throw Error(ErrorCode::Config, path + ": " + reason);
}

std::string readFile(const std::string& path, size_t limit, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) configError(path, std::string("cannot open the ") + what);
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  if (size < 0 || static_cast<size_t>(size) > limit) configError(path, std::string("the ") + what + " is too large");
  in.seekg(0, std::ios::beg);
  std::string data(static_cast<size_t>(size), '\0');
  if (!in.read(data.data(), size)) configError(path, std::string("cannot read the ") + what);
  return data;
}

// Appends a number the way a content stream wants it: at most two decimals, no exponent.
void appendNumber(std::string& out, double value) {
  char buffer[32];
  if (std::abs(value) < 0.005) value = 0;
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::fixed, 2);
  if (ec != std::errc()) {
    out += '0';
    return;
  }
  char* last = end;
  while (last > buffer && last[-1] == '0') --last;
  if (last > buffer && last[-1] == '.') --last;
  out.append(buffer, last);
}

void appendHex4(std::string& out, unsigned value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  out += kHex[(value >> 12) & 15];
  out += kHex[(value >> 8) & 15];
  out += kHex[(value >> 4) & 15];
  out += kHex[value & 15];
}

// UTF-8 (valid: it comes from libxml2 or from our own tables) to code points.
std::u32string toUtf32(std::string_view text) {
  std::u32string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    char32_t cp = 0xFFFD;
    size_t length = 1;
    if (c < 0x80) {
      cp = c;
    } else if ((c >> 5) == 6 && i + 1 < text.size()) {
      cp = ((c & 0x1Fu) << 6) | (static_cast<unsigned char>(text[i + 1]) & 0x3Fu);
      length = 2;
    } else if ((c >> 4) == 14 && i + 2 < text.size()) {
      cp = ((c & 0x0Fu) << 12) | ((static_cast<unsigned char>(text[i + 1]) & 0x3Fu) << 6) |
           (static_cast<unsigned char>(text[i + 2]) & 0x3Fu);
      length = 3;
    } else if ((c >> 3) == 30 && i + 3 < text.size()) {
      cp = ((c & 0x07u) << 18) | ((static_cast<unsigned char>(text[i + 1]) & 0x3Fu) << 12) |
           ((static_cast<unsigned char>(text[i + 2]) & 0x3Fu) << 6) | (static_cast<unsigned char>(text[i + 3]) & 0x3Fu);
      length = 4;
    }
    out += cp;
    i += length;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// TrueType fonts: parsed once per process, immutable afterwards (so shared between threads)

uint16_t get16(std::string_view data, size_t offset) {
  if (offset + 2 > data.size()) throw std::out_of_range("font table");
  return static_cast<uint16_t>((static_cast<unsigned char>(data[offset]) << 8) |
                               static_cast<unsigned char>(data[offset + 1]));
}
int16_t getS16(std::string_view data, size_t offset) { return static_cast<int16_t>(get16(data, offset)); }
uint32_t get32(std::string_view data, size_t offset) {
  return (static_cast<uint32_t>(get16(data, offset)) << 16) | get16(data, offset + 2);
}
void put16(std::string& data, size_t offset, uint16_t value) {
  data[offset] = static_cast<char>(value >> 8);
  data[offset + 1] = static_cast<char>(value & 0xFF);
}
void put32(std::string& data, size_t offset, uint32_t value) {
  put16(data, offset, static_cast<uint16_t>(value >> 16));
  put16(data, offset + 2, static_cast<uint16_t>(value & 0xFFFF));
}
void append16(std::string& out, uint16_t value) {
  out += static_cast<char>(value >> 8);
  out += static_cast<char>(value & 0xFF);
}
void append32(std::string& out, uint32_t value) {
  append16(out, static_cast<uint16_t>(value >> 16));
  append16(out, static_cast<uint16_t>(value & 0xFFFF));
}
constexpr uint32_t tag(const char (&name)[5]) {
  return (static_cast<uint32_t>(static_cast<unsigned char>(name[0])) << 24) |
         (static_cast<uint32_t>(static_cast<unsigned char>(name[1])) << 16) |
         (static_cast<uint32_t>(static_cast<unsigned char>(name[2])) << 8) | static_cast<unsigned char>(name[3]);
}

class FontProgram {
 public:
  FontProgram(const std::string& path, std::string data) : data_(std::move(data)) {
    try {
      parse();
    } catch (const std::out_of_range&) {
      configError(path, "not a usable TrueType font (truncated or malformed table)");
    } catch (const std::invalid_argument& e) {
      configError(path, e.what());
    }
  }

  uint16_t glyph(char32_t c) const {
    if (c < 0x10000) return bmp_[c];
    auto it = astral_.find(c);
    return it == astral_.end() ? 0 : it->second;
  }
  // Advance width in thousandths of an em, rounded as the PDF /W array carries it.
  int width(uint16_t gid) const { return widths_[gid < widths_.size() ? gid : 0]; }
  int charWidth(char32_t c) const { return width(glyph(c)); }

  std::string_view glyphData(uint16_t gid) const {
    if (gid + 1u >= loca_.size()) return {};
    const uint32_t start = loca_[gid];
    const uint32_t end = loca_[gid + 1u];
    if (end <= start || end > glyf_.size()) return {};
    return glyf_.substr(start, end - start);
  }
  std::string_view table(uint32_t t) const {
    auto it = tables_.find(t);
    return it == tables_.end() ? std::string_view() : it->second;
  }
  uint16_t advanceUnits(uint16_t gid) const { return gid < numHMetrics_ ? get16(hmtx_, 4u * gid) : lastAdvance_; }
  int16_t leftBearing(uint16_t gid) const {
    if (gid < numHMetrics_) return getS16(hmtx_, 4u * gid + 2);
    const size_t offset = 4u * numHMetrics_ + 2u * (gid - numHMetrics_);
    return offset + 2 <= hmtx_.size() ? getS16(hmtx_, offset) : 0;
  }

  const std::string& postscriptName() const { return psName_; }
  int ascent() const { return ascent_; }
  int descent() const { return descent_; }
  int capHeight() const { return capHeight_; }
  const std::array<int, 4>& bbox() const { return bbox_; }
  double italicAngle() const { return italicAngle_; }
  bool fixedPitch() const { return fixedPitch_; }
  uint16_t numGlyphs() const { return numGlyphs_; }

 private:
  int scale(int units) const { return static_cast<int>(std::lround(units * 1000.0 / unitsPerEm_)); }

  void parse() {
    const std::string_view all = data_;
    const uint32_t version = get32(all, 0);
    if (version == tag("OTTO"))
      throw std::invalid_argument("CFF-based OpenType fonts are not supported; use a TrueType font");
    if (version != 0x00010000u && version != tag("true")) throw std::invalid_argument("not a TrueType font");
    const uint16_t count = get16(all, 4);
    for (uint16_t i = 0; i < count; ++i) {
      const size_t entry = 12u + 16u * i;
      const uint32_t offset = get32(all, entry + 8);
      const uint32_t length = get32(all, entry + 12);
      if (offset > all.size() || length > all.size() - offset) throw std::out_of_range("table");
      tables_[get32(all, entry)] = all.substr(offset, length);
    }
    for (const char* required : {"head", "hhea", "maxp", "hmtx", "loca", "glyf", "cmap"}) {
      const char name[5] = {required[0], required[1], required[2], required[3], 0};
      if (table(tag(name)).empty())
        throw std::invalid_argument(std::string("the font has no '") + required + "' table");
    }
    const std::string_view head = table(tag("head"));
    unitsPerEm_ = get16(head, 18);
    if (unitsPerEm_ < 16) throw std::invalid_argument("bad unitsPerEm");
    bbox_ = {scale(getS16(head, 36)), scale(getS16(head, 38)), scale(getS16(head, 40)), scale(getS16(head, 42))};
    const bool longLoca = getS16(head, 50) == 1;
    const std::string_view hhea = table(tag("hhea"));
    ascent_ = scale(getS16(hhea, 4));
    descent_ = scale(getS16(hhea, 6));
    numHMetrics_ = get16(hhea, 34);
    numGlyphs_ = get16(table(tag("maxp")), 4);
    if (numHMetrics_ == 0 || numHMetrics_ > numGlyphs_) throw std::invalid_argument("bad numberOfHMetrics");
    hmtx_ = table(tag("hmtx"));
    lastAdvance_ = get16(hmtx_, 4u * (numHMetrics_ - 1u));
    glyf_ = table(tag("glyf"));

    const std::string_view loca = table(tag("loca"));
    loca_.resize(numGlyphs_ + 1u);
    for (size_t i = 0; i <= numGlyphs_; ++i) loca_[i] = longLoca ? get32(loca, 4 * i) : 2u * get16(loca, 2 * i);

    widths_.resize(numGlyphs_);
    for (uint16_t g = 0; g < numGlyphs_; ++g) widths_[g] = scale(advanceUnits(g));

    const std::string_view post = table(tag("post"));
    if (post.size() >= 16) {
      italicAngle_ = static_cast<int32_t>(get32(post, 4)) / 65536.0;
      fixedPitch_ = get32(post, 12) != 0;
    }
    parseCmap();
    const std::string_view os2 = table(tag("OS/2"));
    if (os2.size() >= 90 && get16(os2, 0) >= 2) {
      capHeight_ = scale(getS16(os2, 88));
    } else {
      const std::string_view h = glyphData(glyph(U'H'));
      capHeight_ = h.size() >= 10 ? scale(getS16(h, 8)) : ascent_;
    }
    parseName();
  }

  void parseCmap() {
    const std::string_view cmap = table(tag("cmap"));
    const uint16_t count = get16(cmap, 2);
    size_t format4 = 0, format12 = 0;
    for (uint16_t i = 0; i < count; ++i) {
      const uint16_t platform = get16(cmap, 4 + 8u * i);
      const uint16_t encoding = get16(cmap, 6 + 8u * i);
      const uint32_t offset = get32(cmap, 8 + 8u * i);
      const uint16_t format = get16(cmap, offset);
      const bool unicode = platform == 0 || (platform == 3 && (encoding == 1 || encoding == 10));
      if (!unicode) continue;
      if (format == 12 && format12 == 0) format12 = offset;
      if (format == 4 && format4 == 0) format4 = offset;
    }
    bmp_.assign(0x10000, 0);
    const auto set = [this](char32_t c, uint32_t g) {
      if (g == 0 || g >= numGlyphs_) return;
      if (c < 0x10000) {
        bmp_[c] = static_cast<uint16_t>(g);
      } else if (c < 0x110000) {
        astral_[c] = static_cast<uint16_t>(g);
      }
    };
    if (format12 != 0) {
      const uint32_t groups = get32(cmap, format12 + 12);
      for (uint32_t i = 0; i < groups; ++i) {
        const size_t group = format12 + 16 + 12u * i;
        const uint32_t first = get32(cmap, group);
        const uint32_t last = std::min<uint32_t>(get32(cmap, group + 4), 0x10FFFF);
        const uint32_t glyph = get32(cmap, group + 8);
        for (uint32_t c = first; c <= last && c >= first; ++c) set(c, glyph + (c - first));
      }
    } else if (format4 != 0) {
      const size_t segX2 = get16(cmap, format4 + 6);
      const size_t ends = format4 + 14, starts = ends + segX2 + 2, deltas = starts + segX2, ranges = deltas + segX2;
      for (size_t s = 0; s < segX2 / 2; ++s) {
        const uint16_t first = get16(cmap, starts + 2 * s);
        const uint16_t last = get16(cmap, ends + 2 * s);
        const uint16_t delta = get16(cmap, deltas + 2 * s);
        const uint16_t rangeOffset = get16(cmap, ranges + 2 * s);
        for (uint32_t c = first; c <= last && c != 0xFFFF; ++c) {
          uint32_t g = 0;
          if (rangeOffset == 0) {
            g = (c + delta) & 0xFFFFu;
          } else {
            g = get16(cmap, ranges + 2 * s + rangeOffset + 2 * (c - first));
            if (g != 0) g = (g + delta) & 0xFFFFu;
          }
          set(c, g);
        }
      }
    } else {
      throw std::invalid_argument("the font has no Unicode character map");
    }
  }

  void parseName() {
    const std::string_view name = table(tag("name"));
    std::string found;
    if (name.size() >= 6) {
      const uint16_t count = get16(name, 2);
      const uint16_t strings = get16(name, 4);
      for (uint16_t i = 0; i < count && found.empty(); ++i) {
        const size_t record = 6 + 12u * i;
        if (get16(name, record + 6) != 6) continue;  // nameID 6: the PostScript name
        const uint16_t platform = get16(name, record);
        const size_t length = get16(name, record + 8);
        const size_t offset = strings + static_cast<size_t>(get16(name, record + 10));
        if (offset + length > name.size()) continue;
        const std::string_view raw = name.substr(offset, length);
        if (platform == 3 || platform == 0) {
          for (size_t k = 0; k + 1 < raw.size(); k += 2) found += raw[k + 1];  // UTF-16BE, ASCII by definition
        } else {
          found = std::string(raw);
        }
      }
    }
    // A PDF name must stay a plain token; PostScript names are printable ASCII without delimiters.
    for (char c : found) {
      if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_') {
        psName_ += c;
      }
    }
    if (psName_.empty()) psName_ = "Font";
  }

  std::string data_;
  std::map<uint32_t, std::string_view> tables_;
  std::vector<uint16_t> bmp_;
  std::unordered_map<char32_t, uint16_t> astral_;
  std::vector<int> widths_;
  std::vector<uint32_t> loca_;
  std::string_view glyf_, hmtx_;
  uint16_t unitsPerEm_ = 1000, numGlyphs_ = 0, numHMetrics_ = 0, lastAdvance_ = 0;
  int ascent_ = 0, descent_ = 0, capHeight_ = 0;
  std::array<int, 4> bbox_{};
  double italicAngle_ = 0;
  bool fixedPitch_ = false;
  std::string psName_;
};

std::shared_ptr<const FontProgram> loadFont(const std::string& path) {
  static std::mutex mutex;
  static std::map<std::string, std::shared_ptr<const FontProgram>> cache;
  {
    std::lock_guard lock(mutex);
    auto it = cache.find(path);
    if (it != cache.end()) return it->second;
  }
  // Parse outside the lock: a cold start should not serialise every thread behind one font.
  auto program = std::make_shared<const FontProgram>(path, readFile(path, kMaxFontBytes, "font"));
  std::lock_guard lock(mutex);
  return cache.emplace(path, std::move(program)).first->second;
}

uint32_t tableChecksum(std::string_view data) {
  uint32_t sum = 0;
  for (size_t i = 0; i < data.size(); i += 4) {
    uint32_t word = 0;
    for (size_t k = 0; k < 4; ++k)
      word = (word << 8) | (i + k < data.size() ? static_cast<unsigned char>(data[i + k]) : 0u);
    sum += word;
  }
  return sum;
}

// Compressed font streams (subset font files and ToUnicode maps), per process. A subset is a
// function of the set of glyphs (never of the order in which a letter first used them), so letters
// from one template mostly share their font streams and skip the deflate that otherwise dominates
// rendering time.
class StreamCache {
 public:
  struct Entry {
    std::string compressed;  // FlateDecode-encoded, as written into the PDF
    size_t length = 0;       // decoded length: the stream's /Length1
  };
  static StreamCache& instance() {
    static StreamCache cache;
    return cache;
  }
  std::shared_ptr<const Entry> find(const std::string& key) {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(key);
    return it == entries_.end() ? nullptr : it->second;
  }
  void store(const std::string& key, std::shared_ptr<const Entry> entry) {
    std::lock_guard lock(mutex_);
    // A crude bound: glyph sets are few in practice; a flood of distinct ones just starts over.
    if (entries_.size() >= kMaxEntries) entries_.clear();
    entries_.emplace(key, std::move(entry));
  }

 private:
  static constexpr size_t kMaxEntries = 512;
  std::mutex mutex_;
  std::unordered_map<std::string, std::shared_ptr<const Entry>> entries_;
};

// The glyphs of one font used in one document. Content streams are written with the font's own
// glyph numbers; finish() then numbers the subset's glyphs (CIDs) in glyph order and the pages are
// renumbered in place, so that the same glyph set always gives the same font file.
class FontSubset {
 public:
  FontSubset(std::shared_ptr<const FontProgram> program, std::string path, int index)
      : program_(std::move(program)), path_(std::move(path)), index_(index) {}

  uint16_t use(char32_t c) {
    const uint16_t g = program_->glyph(c);
    unicodeOf_.try_emplace(g, g == 0 ? 0 : c);  // the first character shown with a glyph names it
    return g;
  }

  void finish() {
    std::vector<uint16_t> todo;
    for (const auto& [g, c] : unicodeOf_) todo.push_back(g);
    std::vector<bool> seen(program_->numGlyphs() + 1u, false);
    while (!todo.empty()) {
      const uint16_t g = todo.back();
      todo.pop_back();
      if (g >= program_->numGlyphs() || seen[g]) continue;
      seen[g] = true;
      forEachComponent(program_->glyphData(g), [&](uint16_t component, size_t) { todo.push_back(component); });
    }
    glyphs_.clear();
    for (size_t g = 0; g < seen.size(); ++g) {
      if (seen[g]) glyphs_.push_back(static_cast<uint16_t>(g));
    }
    if (glyphs_.empty() || glyphs_.front() != 0) glyphs_.insert(glyphs_.begin(), 0);
    cidOf_.assign(program_->numGlyphs() + 1u, 0);
    for (size_t cid = 0; cid < glyphs_.size(); ++cid) cidOf_[glyphs_[cid]] = static_cast<uint16_t>(cid);
  }
  uint16_t cid(uint16_t gid) const { return gid < cidOf_.size() ? cidOf_[gid] : 0; }
  int index() const { return index_; }

  // Writes the font objects into the document; `type0` is the object pages already refer to.
  void embed(PoDoFo::PdfVecObjects& objects, PoDoFo::PdfObject* type0) const {
    using namespace PoDoFo;
    const FontProgram& f = *program_;
    const std::string baseName = subsetTag() + "+" + f.postscriptName();

    PdfObject* fontFile = objects.CreateObject();
    std::string key = path_;
    key += '\0';
    key.append(reinterpret_cast<const char*>(glyphs_.data()), glyphs_.size() * sizeof(uint16_t));
    const auto fileLength = setCompressed(fontFile, key, [this] { return buildFontFile(); });
    fontFile->GetDictionary().AddKey(PdfName("Length1"), PdfObject(static_cast<pdf_int64>(fileLength)));

    PdfObject* descriptor = objects.CreateObject("FontDescriptor");
    PdfDictionary& d = descriptor->GetDictionary();
    d.AddKey(PdfName("FontName"), PdfName(baseName));
    pdf_int64 flags = 32;  // nonsymbolic: the glyphs are ordinary Latin/Cyrillic/Greek text
    if (f.fixedPitch()) flags |= 1;
    if (f.italicAngle() != 0) flags |= 64;
    d.AddKey(PdfName("Flags"), PdfObject(flags));
    PdfArray bbox;
    for (int v : f.bbox()) bbox.push_back(PdfObject(static_cast<pdf_int64>(v)));
    d.AddKey(PdfName("FontBBox"), bbox);
    d.AddKey(PdfName("ItalicAngle"), PdfObject(static_cast<pdf_int64>(std::lround(f.italicAngle()))));
    d.AddKey(PdfName("Ascent"), PdfObject(static_cast<pdf_int64>(f.ascent())));
    d.AddKey(PdfName("Descent"), PdfObject(static_cast<pdf_int64>(f.descent())));
    d.AddKey(PdfName("CapHeight"), PdfObject(static_cast<pdf_int64>(f.capHeight())));
    d.AddKey(PdfName("StemV"), PdfObject(static_cast<pdf_int64>(80)));
    d.AddKey(PdfName("FontFile2"), fontFile->Reference());

    PdfObject* cidFont = objects.CreateObject("Font");
    PdfDictionary& c = cidFont->GetDictionary();
    c.AddKey(PdfName::KeySubtype, PdfName("CIDFontType2"));
    c.AddKey(PdfName("BaseFont"), PdfName(baseName));
    PdfDictionary systemInfo;
    systemInfo.AddKey(PdfName("Registry"), PdfString("Adobe"));
    systemInfo.AddKey(PdfName("Ordering"), PdfString("Identity"));
    systemInfo.AddKey(PdfName("Supplement"), PdfObject(static_cast<pdf_int64>(0)));
    c.AddKey(PdfName("CIDSystemInfo"), systemInfo);
    c.AddKey(PdfName("FontDescriptor"), descriptor->Reference());
    c.AddKey(PdfName("CIDToGIDMap"), PdfName("Identity"));
    PdfArray widths;
    for (uint16_t g : glyphs_) widths.push_back(PdfObject(static_cast<pdf_int64>(f.width(g))));
    PdfArray w;
    w.push_back(PdfObject(static_cast<pdf_int64>(0)));
    w.push_back(widths);
    c.AddKey(PdfName("W"), w);

    PdfObject* toUnicode = objects.CreateObject();
    const std::string cmap = toUnicodeCMap();
    setCompressed(toUnicode, cmap, [&cmap] { return cmap; });

    PdfDictionary& t = type0->GetDictionary();
    t.AddKey(PdfName::KeySubtype, PdfName("Type0"));
    t.AddKey(PdfName("BaseFont"), PdfName(baseName));
    t.AddKey(PdfName("Encoding"), PdfName("Identity-H"));
    PdfArray descendants;
    descendants.push_back(cidFont->Reference());
    t.AddKey(PdfName("DescendantFonts"), descendants);
    t.AddKey(PdfName("ToUnicode"), toUnicode->Reference());
  }

 private:
  // Gives `object` the Flate-compressed `make()`, from the cache when `key` was seen before;
  // returns the uncompressed length.
  template <typename Make>
  static size_t setCompressed(PoDoFo::PdfObject* object, const std::string& key, Make&& make) {
    using namespace PoDoFo;
    if (auto cached = StreamCache::instance().find(key)) {
      PdfMemoryInputStream input(cached->compressed.data(), static_cast<pdf_long>(cached->compressed.size()));
      object->GetStream()->SetRawData(&input, static_cast<pdf_long>(cached->compressed.size()));
      object->GetDictionary().AddKey(PdfName::KeyFilter, PdfName("FlateDecode"));
      return cached->length;
    }
    const std::string data = make();
    object->GetStream()->Set(data.data(), static_cast<pdf_long>(data.size()));
    auto entry = std::make_shared<StreamCache::Entry>();
    char* raw = nullptr;
    pdf_long rawLength = 0;
    object->GetStream()->GetCopy(&raw, &rawLength);
    std::unique_ptr<char, void (*)(void*)> owned(raw, podofo_free);
    entry->compressed.assign(raw, static_cast<size_t>(rawLength));
    entry->length = data.size();
    StreamCache::instance().store(key, std::move(entry));
    return data.size();
  }

  // Calls fn(component glyph, offset of its index in `glyph`) for each component of a composite.
  template <typename Fn>
  static void forEachComponent(std::string_view glyph, Fn&& fn) {
    if (glyph.size() < 10 || getS16(glyph, 0) >= 0) return;
    size_t p = 10;
    for (;;) {
      const uint16_t flags = get16(glyph, p);
      fn(get16(glyph, p + 2), p + 2);
      p += 4 + ((flags & 0x0001) ? 4 : 2);
      if (flags & 0x0008) {
        p += 2;
      } else if (flags & 0x0040) {
        p += 4;
      } else if (flags & 0x0080) {
        p += 8;
      }
      if (!(flags & 0x0020)) break;
    }
  }

  // Six capital letters from the glyph set: the same set gets the same tag.
  std::string subsetTag() const {
    uint64_t hash = 1469598103934665603ULL;
    const auto mix = [&hash](uint64_t v) {
      hash ^= v;
      hash *= 1099511628211ULL;
    };
    for (char ch : program_->postscriptName()) mix(static_cast<unsigned char>(ch));
    for (uint16_t g : glyphs_) mix(g);
    std::string out(6, 'A');
    for (char& ch : out) {
      ch = static_cast<char>('A' + hash % 26);
      hash /= 26;
    }
    return out;
  }

  // A TrueType file with just the subset's glyphs, renumbered. Hinting tables stay so hinted
  // rasterisers still run the glyph programs.
  std::string buildFontFile() const {
    const FontProgram& f = *program_;
    std::string glyf;
    std::vector<uint32_t> loca;
    for (uint16_t g : glyphs_) {
      std::string data(f.glyphData(g));
      forEachComponent(f.glyphData(g), [&](uint16_t component, size_t offset) { put16(data, offset, cid(component)); });
      loca.push_back(static_cast<uint32_t>(glyf.size()));
      glyf += data;
      while (glyf.size() % 4) glyf += '\0';
    }
    loca.push_back(static_cast<uint32_t>(glyf.size()));
    const auto count = static_cast<uint16_t>(glyphs_.size());

    std::vector<std::pair<uint32_t, std::string>> tables;
    const auto copy = [&](const char(&name)[5]) {
      const std::string_view t = f.table(tag(name));
      if (!t.empty()) tables.emplace_back(tag(name), std::string(t));
    };
    copy("OS/2");
    tables.emplace_back(tag("cmap"), cmapTable());
    copy("cvt ");
    copy("fpgm");
    tables.emplace_back(tag("glyf"), std::move(glyf));
    std::string head(f.table(tag("head")));
    put32(head, 8, 0);   // checkSumAdjustment, set at the end
    put16(head, 50, 1);  // long loca offsets
    tables.emplace_back(tag("head"), head);
    std::string hhea(f.table(tag("hhea")));
    put16(hhea, 34, count);
    tables.emplace_back(tag("hhea"), hhea);
    std::string hmtx;
    for (uint16_t g : glyphs_) {
      append16(hmtx, f.advanceUnits(g));
      append16(hmtx, static_cast<uint16_t>(f.leftBearing(g)));
    }
    tables.emplace_back(tag("hmtx"), hmtx);
    std::string locaTable;
    for (uint32_t offset : loca) append32(locaTable, offset);
    tables.emplace_back(tag("loca"), locaTable);
    std::string maxp(f.table(tag("maxp")));
    put16(maxp, 4, count);
    tables.emplace_back(tag("maxp"), maxp);
    // post format 3: no glyph names, which the renumbered glyphs could not keep anyway.
    std::string post(32, '\0');
    const std::string_view originalPost = f.table(tag("post"));
    if (originalPost.size() >= 32) post.assign(originalPost.substr(0, 32));
    put32(post, 0, 0x00030000);
    tables.emplace_back(tag("post"), post);
    copy("prep");
    std::sort(tables.begin(), tables.end(), [](const auto& a, const auto& b) { return a.first < b.first; });

    const auto n = static_cast<uint16_t>(tables.size());
    uint16_t power = 1, log2 = 0;
    while (power * 2 <= n) {
      power = static_cast<uint16_t>(power * 2);
      ++log2;
    }
    std::string out;
    append32(out, 0x00010000);
    append16(out, n);
    append16(out, static_cast<uint16_t>(power * 16));
    append16(out, log2);
    append16(out, static_cast<uint16_t>(n * 16 - power * 16));
    size_t offset = 12 + 16u * n;
    size_t headOffset = 0;
    for (const auto& [t, data] : tables) {
      append32(out, t);
      append32(out, tableChecksum(data));
      append32(out, static_cast<uint32_t>(offset));
      append32(out, static_cast<uint32_t>(data.size()));
      if (t == tag("head")) headOffset = offset;
      offset += (data.size() + 3) & ~size_t{3};
    }
    for (const auto& [t, data] : tables) {
      out += data;
      while (out.size() % 4) out += '\0';
    }
    put32(out, headOffset + 8, 0xB1B0AFBAu - tableChecksum(out));
    return out;
  }

  // A format 4 cmap of every BMP character the subset's glyphs show, so the subset is a complete
  // font on its own (and depends on the glyph set only).
  std::string cmapTable() const {
    std::vector<std::pair<uint16_t, uint16_t>> map;
    for (char32_t c = 0; c < 0xFFFF; ++c) {
      const uint16_t g = program_->glyph(c);
      if (g != 0 && cid(g) != 0) map.emplace_back(static_cast<uint16_t>(c), cid(g));
    }
    map.emplace_back(0xFFFF, 0);
    const auto segments = static_cast<uint16_t>(map.size());
    uint16_t power = 1, log2 = 0;
    while (power * 2 <= segments) {
      power = static_cast<uint16_t>(power * 2);
      ++log2;
    }
    std::string sub;
    append16(sub, 4);
    append16(sub, static_cast<uint16_t>(16 + 8 * segments));
    append16(sub, 0);
    append16(sub, static_cast<uint16_t>(segments * 2));
    append16(sub, static_cast<uint16_t>(power * 2));
    append16(sub, log2);
    append16(sub, static_cast<uint16_t>(segments * 2 - power * 2));
    for (const auto& [c, g] : map) append16(sub, c);
    append16(sub, 0);
    for (const auto& [c, g] : map) append16(sub, c);
    for (const auto& [c, g] : map) append16(sub, c == 0xFFFF ? 1 : static_cast<uint16_t>(g - c));
    for (size_t i = 0; i < map.size(); ++i) append16(sub, 0);
    std::string out;
    append16(out, 0);
    append16(out, 1);
    append16(out, 3);
    append16(out, 1);
    append32(out, 12);
    return out + sub;
  }

  std::string toUnicodeCMap() const {
    std::string out =
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
        "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
        "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n";
    std::vector<std::pair<uint16_t, char32_t>> entries;
    for (const auto& [g, c] : unicodeOf_) {
      if (c != 0 && g != 0) entries.emplace_back(cid(g), c);
    }
    std::sort(entries.begin(), entries.end());
    for (size_t i = 0; i < entries.size(); i += 100) {
      const size_t end = std::min(entries.size(), i + 100);
      out += std::to_string(end - i) + " beginbfchar\n";
      for (size_t k = i; k < end; ++k) {
        out += '<';
        appendHex4(out, entries[k].first);
        out += "> <";
        const char32_t cp = entries[k].second;
        if (cp < 0x10000) {
          appendHex4(out, cp);
        } else {
          appendHex4(out, 0xD800 + ((cp - 0x10000) >> 10));
          appendHex4(out, 0xDC00 + ((cp - 0x10000) & 0x3FF));
        }
        out += ">\n";
      }
      out += "endbfchar\n";
    }
    out += "endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n";
    return out;
  }

  std::shared_ptr<const FontProgram> program_;
  std::string path_;
  int index_;
  std::unordered_map<uint16_t, char32_t> unicodeOf_{{0, 0}};
  std::vector<uint16_t> glyphs_;  // after finish(): glyphs_[cid] = glyph of the full font
  std::vector<uint16_t> cidOf_;
};

// The four faces of one document, loaded on first use (a letter without italics never opens the
// italic font, so a missing italic file only matters to letters that use it).
class Fonts {
 public:
  explicit Fonts(const LayoutOptions& options)
      : paths_{options.fontRegular, options.fontBold, options.fontItalic, options.fontBoldItalic} {}

  const FontProgram& program(uint8_t style) {
    auto& program = programs_[style & 3];
    if (!program) program = loadFont(paths_[style & 3]);
    return *program;
  }
  FontSubset& subset(uint8_t style) {
    auto& subset = subsets_[style & 3];
    if (!subset) {
      program(style);
      subset.emplace(programs_[style & 3], paths_[style & 3], style & 3);
    }
    return *subset;
  }
  double width(uint8_t style, std::u32string_view text, double size) {
    const FontProgram& f = program(style);
    long units = 0;
    for (char32_t c : text) units += f.charWidth(c);
    return static_cast<double>(units) * size / 1000.0;
  }
  std::array<std::optional<FontSubset>, 4>& subsets() { return subsets_; }

 private:
  std::array<std::string, 4> paths_;
  std::array<std::shared_ptr<const FontProgram>, 4> programs_;
  std::array<std::optional<FontSubset>, 4> subsets_;
};

// ---------------------------------------------------------------------------------------------
// Emblem images: decoded by PoDoFo once per process into plain values (PoDoFo objects are not
// safe to share between threads), copied into each document as raw, already-encoded streams.

struct PlainValue {
  enum class Kind { Null, Bool, Int, Real, Name, String, Array, Dict, Ref } kind = Kind::Null;
  bool boolean = false;
  long long integer = 0;
  double real = 0;
  std::string text;  // name or string bytes
  std::vector<std::string> keys;
  std::vector<PlainValue> items;
  size_t ref = 0;  // index into PlainImage::objects
};

struct PlainObject {
  PlainValue dict;
  std::string stream;  // encoded bytes, as written
};

struct PlainImage {
  double width = 0, height = 0;
  std::vector<PlainObject> objects;  // [0] is the image XObject
};

class ImageImporter {
 public:
  explicit ImageImporter(PoDoFo::PdfVecObjects& objects) : objects_(objects) {}

  size_t import(const PoDoFo::PdfReference& ref, PlainImage& image) {
    auto it = done_.find(ref.ObjectNumber());
    if (it != done_.end()) return it->second;
    PoDoFo::PdfObject* object = objects_.GetObject(ref);
    if (object == nullptr) throw Error(ErrorCode::Internal, "image object missing");
    const size_t index = image.objects.size();
    done_[ref.ObjectNumber()] = index;
    image.objects.emplace_back();
    PlainValue dict = convert(*object, image);
    std::string stream;
    if (object->HasStream()) {
      char* buffer = nullptr;
      PoDoFo::pdf_long length = 0;
      object->GetStream()->GetCopy(&buffer, &length);
      std::unique_ptr<char, void (*)(void*)> owned(buffer, PoDoFo::podofo_free);
      stream.assign(buffer, static_cast<size_t>(length));
    }
    image.objects[index].dict = std::move(dict);
    image.objects[index].stream = std::move(stream);
    return index;
  }

 private:
  PlainValue convert(const PoDoFo::PdfObject& object, PlainImage& image) {
    PlainValue v;
    if (object.IsBool()) {
      v.kind = PlainValue::Kind::Bool;
      v.boolean = object.GetBool();
    } else if (object.IsNumber()) {
      v.kind = PlainValue::Kind::Int;
      v.integer = object.GetNumber();
    } else if (object.IsReal()) {
      v.kind = PlainValue::Kind::Real;
      v.real = object.GetReal();
    } else if (object.IsName()) {
      v.kind = PlainValue::Kind::Name;
      v.text = object.GetName().GetName();
    } else if (object.IsString() || object.IsHexString()) {
      v.kind = PlainValue::Kind::String;
      const PoDoFo::PdfString& s = object.GetString();
      v.text.assign(s.GetString(), static_cast<size_t>(s.GetLength()));
    } else if (object.IsArray()) {
      v.kind = PlainValue::Kind::Array;
      for (const auto& item : object.GetArray()) v.items.push_back(convert(item, image));
    } else if (object.IsDictionary()) {
      v.kind = PlainValue::Kind::Dict;
      for (const auto& [key, value] : object.GetDictionary().GetKeys()) {
        if (key.GetName() == "Length") continue;  // written by the target document
        v.keys.push_back(key.GetName());
        v.items.push_back(convert(*value, image));
      }
    } else if (object.IsReference()) {
      v.kind = PlainValue::Kind::Ref;
      v.ref = import(object.GetReference(), image);
    }
    return v;
  }

  PoDoFo::PdfVecObjects& objects_;
  std::map<uint32_t, size_t> done_;
};

std::shared_ptr<const PlainImage> loadImage(const std::string& path) {
  static std::mutex mutex;
  static std::map<std::string, std::shared_ptr<const PlainImage>> cache;
  {
    std::lock_guard lock(mutex);
    auto it = cache.find(path);
    if (it != cache.end()) return it->second;
  }
  const std::string data = readFile(path, kMaxImageBytes, "emblem image");
  auto image = std::make_shared<PlainImage>();
  try {
    PoDoFo::PdfMemDocument scratch;
    PoDoFo::PdfImage decoded(&scratch);
    const auto* bytes = reinterpret_cast<const unsigned char*>(data.data());
    if (data.size() > 8 && std::memcmp(data.data(), "\x89PNG\r\n\x1a\n", 8) == 0) {
      decoded.LoadFromPngData(bytes, static_cast<PoDoFo::pdf_long>(data.size()));
    } else if (data.size() > 3 && std::memcmp(data.data(), "\xFF\xD8\xFF", 3) == 0) {
      decoded.LoadFromJpegData(bytes, static_cast<PoDoFo::pdf_long>(data.size()));
    } else {
      configError(path, "the emblem must be a PNG or JPEG image");
    }
    image->width = decoded.GetWidth();
    image->height = decoded.GetHeight();
    ImageImporter importer(scratch.GetObjects());
    importer.import(decoded.GetObject()->Reference(), *image);
  } catch (const PoDoFo::PdfError& e) {
    configError(path,
                std::string("cannot decode the emblem image (") + PoDoFo::PdfError::ErrorMessage(e.GetError()) + ")");
  }
  if (image->width <= 0 || image->height <= 0) configError(path, "the emblem image is empty");
  std::lock_guard lock(mutex);
  return cache.emplace(path, std::move(image)).first->second;
}

PoDoFo::PdfObject toPdf(const PlainValue& v, const std::vector<PoDoFo::PdfObject*>& objects) {
  using namespace PoDoFo;
  switch (v.kind) {
    case PlainValue::Kind::Null:
      return PdfObject(PdfVariant());
    case PlainValue::Kind::Bool:
      return PdfObject(v.boolean);
    case PlainValue::Kind::Int:
      return PdfObject(static_cast<pdf_int64>(v.integer));
    case PlainValue::Kind::Real:
      return PdfObject(v.real);
    case PlainValue::Kind::Name:
      return PdfObject(PdfName(v.text));
    case PlainValue::Kind::String:
      return PdfObject(PdfString(v.text.data(), static_cast<pdf_long>(v.text.size()), true));
    case PlainValue::Kind::Array: {
      PdfArray array;
      for (const auto& item : v.items) array.push_back(toPdf(item, objects));
      return PdfObject(array);
    }
    case PlainValue::Kind::Dict: {
      PdfDictionary dict;
      for (size_t i = 0; i < v.keys.size(); ++i) dict.AddKey(PdfName(v.keys[i]), toPdf(v.items[i], objects));
      return PdfObject(dict);
    }
    case PlainValue::Kind::Ref:
      return PdfObject(objects.at(v.ref)->Reference());
  }
  return PdfObject(PdfVariant());
}

// Copies a cached image into the document; returns the image XObject.
PoDoFo::PdfObject* addImage(PoDoFo::PdfVecObjects& vec, const PlainImage& image) {
  using namespace PoDoFo;
  std::vector<PdfObject*> created;
  for (size_t i = 0; i < image.objects.size(); ++i) created.push_back(vec.CreateObject());
  for (size_t i = 0; i < image.objects.size(); ++i) {
    const PlainObject& plain = image.objects[i];
    if (!plain.stream.empty()) {
      PdfMemoryInputStream input(plain.stream.data(), static_cast<pdf_long>(plain.stream.size()));
      created[i]->GetStream()->SetRawData(&input, static_cast<pdf_long>(plain.stream.size()));
    }
    // After the stream: SetRawData must not be allowed to drop the /Filter we copy.
    for (size_t k = 0; k < plain.dict.keys.size(); ++k) {
      created[i]->GetDictionary().AddKey(PdfName(plain.dict.keys[k]), toPdf(plain.dict.items[k], created));
    }
  }
  return created.front();
}

// ---------------------------------------------------------------------------------------------
// The layout model, built from the XML

struct Run {
  std::u32string text;
  uint8_t style = kRegular;
  bool lineBreak = false;
};
using Inline = std::vector<Run>;

enum class LineSize { Large, Normal, Small };

struct Block {
  enum class Kind { Heading, Paragraph, List, Table, Signature, Verification } kind = Kind::Paragraph;
  int line = 0;
  Inline content;  // heading, paragraph, verification caption
  int level = 2;
  Align align = Align::Justify;
  bool numbered = false;
  std::vector<Inline> items;   // list
  std::vector<double> widths;  // table, fractions of the content width
  Inline caption;              // table: a heading drawn only when the table has rows
  std::vector<Inline> header;
  std::vector<std::vector<Inline>> rows;
  std::string role, name, title;  // signature
  std::string url, payload;       // verification
};

struct LetterModel {
  std::string lang;
  std::string title;
  bool hasLetterhead = false;
  std::vector<std::pair<Inline, LineSize>> letterhead;
  bool hasMeta = false;
  std::string reference, date, place;
  std::vector<Block> blocks;
};

struct XmlDocFree {
  void operator()(xmlDoc* doc) const { xmlFreeDoc(doc); }
};
struct XmlParserFree {
  void operator()(xmlParserCtxt* ctxt) const { xmlFreeParserCtxt(ctxt); }
};

std::string_view nameOf(const xmlNode* node) { return reinterpret_cast<const char*>(node->name); }

class ModelBuilder {
 public:
  ModelBuilder(std::string sourceName, const LayoutOptions& options)
      : source_(std::move(sourceName)), defaultLang_(options.language) {}

  LetterModel build(const std::string& xml) {
    if (xml.size() > kMaxLayoutBytes)
      fail(0, "the layout is larger than " + std::to_string(kMaxLayoutBytes) + " bytes");
    // Refuse DTDs before libxml2 sees them: no internal subset means no entity declarations at all.
    if (xml.find("<!DOCTYPE") != std::string::npos) fail(lineAt(xml, xml.find("<!DOCTYPE")), "a DTD is not allowed");
    static std::once_flag initialised;
    std::call_once(initialised, [] { xmlInitParser(); });
    std::unique_ptr<xmlParserCtxt, XmlParserFree> ctxt(xmlNewParserCtxt());
    if (!ctxt) throw Error(ErrorCode::Internal, "libxml2: out of memory");
    // No NOENT (entities stay unexpanded and are refused below), no DTDLOAD, no network.
    // No NOBLANKS either: the blank between "<b>a</b> <i>b</i>" is a word space.
    const int parseOptions =
        XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_BIG_LINES | XML_PARSE_NOCDATA;
    std::unique_ptr<xmlDoc, XmlDocFree> doc(xmlCtxtReadMemory(ctxt.get(), xml.data(), static_cast<int>(xml.size()),
                                                              source_.c_str(), "UTF-8", parseOptions));
    if (!doc || !ctxt->wellFormed) {
      const xmlError* error = xmlCtxtGetLastError(ctxt.get());
      std::string message = error && error->message ? error->message : "not well-formed XML";
      while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
      fail(error ? error->line : 0, message);
    }
    if (doc->intSubset != nullptr) fail(1, "a DTD is not allowed");
    xmlNode* root = xmlDocGetRootElement(doc.get());
    if (root == nullptr || nameOf(root) != "letter") fail(root ? line(root) : 1, "the root element must be <letter>");
    return letter(root);
  }

 private:
  [[noreturn]] void fail(long line, const std::string& reason) const {
    throw SourceError(ErrorCode::Definition, source_, static_cast<int>(line), reason);
  }
  static int lineAt(const std::string& text, size_t offset) {
    return 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(offset), '\n'));
  }
  static long line(const xmlNode* node) { return xmlGetLineNo(node); }

  // The attributes of an element, checked against the ones it may carry.
  std::map<std::string, std::string> attributes(const xmlNode* node, std::initializer_list<std::string_view> allowed) {
    std::map<std::string, std::string> out;
    for (const xmlAttr* a = node->properties; a != nullptr; a = a->next) {
      const std::string name = reinterpret_cast<const char*>(a->name);
      if (a->ns != nullptr || std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
        fail(line(node), "unknown attribute '" + name + "' on <" + std::string(nameOf(node)) + ">");
      }
      std::string value;
      for (const xmlNode* c = a->children; c != nullptr; c = c->next) {
        if (c->type == XML_ENTITY_REF_NODE) fail(line(node), "entity references are not allowed");
        if (c->content != nullptr) value += reinterpret_cast<const char*>(c->content);
      }
      out[name] = collapse(value);
    }
    return out;
  }

  static std::string collapse(const std::string& text) {
    std::string out;
    bool space = false;
    for (char c : text) {
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
        space = !out.empty();
      } else {
        if (space) out += ' ';
        space = false;
        out += c;
      }
    }
    return out;
  }

  // Element children, with whitespace text and comments skipped and anything else refused.
  std::vector<const xmlNode*> elements(const xmlNode* parent) {
    std::vector<const xmlNode*> out;
    for (const xmlNode* c = parent->children; c != nullptr; c = c->next) {
      switch (c->type) {
        case XML_ELEMENT_NODE:
          out.push_back(c);
          break;
        case XML_COMMENT_NODE:
          break;
        case XML_TEXT_NODE:
        case XML_CDATA_SECTION_NODE:
          if (!collapse(c->content ? reinterpret_cast<const char*>(c->content) : "").empty()) {
            fail(line(c), "text is not allowed directly inside <" + std::string(nameOf(parent)) + ">");
          }
          break;
        case XML_ENTITY_REF_NODE:
          fail(line(c), "entity references are not allowed");
        default:
          fail(line(c), "unexpected XML content inside <" + std::string(nameOf(parent)) + ">");
      }
    }
    return out;
  }

  void inlineContent(const xmlNode* parent, uint8_t style, Inline& out) {
    for (const xmlNode* c = parent->children; c != nullptr; c = c->next) {
      if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) {
        if (c->content == nullptr) continue;
        std::u32string text = toUtf32(reinterpret_cast<const char*>(c->content));
        if (!out.empty() && !out.back().lineBreak && out.back().style == style) {
          out.back().text += text;
        } else {
          out.push_back(Run{std::move(text), style, false});
        }
      } else if (c->type == XML_ELEMENT_NODE) {
        const std::string_view name = nameOf(c);
        attributes(c, {});
        if (name == "b") {
          inlineContent(c, static_cast<uint8_t>(style | kBold), out);
        } else if (name == "i") {
          inlineContent(c, static_cast<uint8_t>(style | kItalic), out);
        } else if (name == "br") {
          if (c->children != nullptr) fail(line(c), "<br/> must be empty");
          out.push_back(Run{U"", style, true});
        } else {
          fail(line(c), "unknown element <" + std::string(name) + "> inside <" + std::string(nameOf(parent)) +
                            "> (allowed: b, i, br)");
        }
      } else if (c->type == XML_ENTITY_REF_NODE) {
        fail(line(c), "entity references are not allowed");
      } else if (c->type != XML_COMMENT_NODE) {
        fail(line(c), "unexpected XML content inside <" + std::string(nameOf(parent)) + ">");
      }
    }
  }

  Inline inlineOf(const xmlNode* node, uint8_t style = kRegular) {
    Inline out;
    inlineContent(node, style, out);
    return out;
  }

  LetterModel letter(const xmlNode* root) {
    LetterModel model;
    auto attrs = attributes(root, {"lang", "title"});
    model.lang = attrs.count("lang") ? attrs["lang"] : defaultLang_;
    if (!supportedLanguage(model.lang)) fail(line(root), "language '" + model.lang + "' is not supported (en, fr, es)");
    model.title = attrs["title"];
    for (const xmlNode* e : elements(root)) {
      const std::string_view name = nameOf(e);
      if (name == "letterhead") {
        attributes(e, {});
        if (model.hasLetterhead) fail(line(e), "only one <letterhead> is allowed");
        model.hasLetterhead = true;
        for (const xmlNode* l : elements(e)) {
          if (nameOf(l) != "line")
            fail(line(l), "unknown element <" + std::string(nameOf(l)) + "> in <letterhead> (allowed: line)");
          auto a = attributes(l, {"size"});
          LineSize size = LineSize::Normal;
          if (a.count("size")) {
            if (a["size"] == "large") {
              size = LineSize::Large;
            } else if (a["size"] == "small") {
              size = LineSize::Small;
            } else if (a["size"] != "normal") {
              fail(line(l), "size must be large, normal or small");
            }
          }
          model.letterhead.emplace_back(inlineOf(l), size);
        }
      } else if (name == "meta") {
        if (model.hasMeta) fail(line(e), "only one <meta> is allowed");
        model.hasMeta = true;
        auto a = attributes(e, {"reference", "date", "place"});
        if (!elements(e).empty()) fail(line(e), "<meta> takes attributes only");
        model.reference = a["reference"];
        model.date = a["date"];
        model.place = a["place"];
      } else {
        model.blocks.push_back(block(e));
      }
    }
    return model;
  }

  Block block(const xmlNode* e) {
    const std::string_view name = nameOf(e);
    Block b;
    b.line = static_cast<int>(line(e));
    if (name == "h") {
      b.kind = Block::Kind::Heading;
      auto a = attributes(e, {"level"});
      if (a.count("level")) {
        if (a["level"] != "1" && a["level"] != "2") fail(line(e), "level must be 1 or 2");
        b.level = a["level"] == "1" ? 1 : 2;
      }
      b.content = inlineOf(e, kBold);
    } else if (name == "p") {
      b.kind = Block::Kind::Paragraph;
      auto a = attributes(e, {"align"});
      const std::string align = a.count("align") ? a["align"] : "justify";
      if (align == "justify") {
        b.align = Align::Justify;
      } else if (align == "left") {
        b.align = Align::Left;
      } else if (align == "center") {
        b.align = Align::Center;
      } else if (align == "right") {
        b.align = Align::Right;
      } else {
        fail(line(e), "align must be justify, left, center or right");
      }
      b.content = inlineOf(e);
    } else if (name == "list") {
      b.kind = Block::Kind::List;
      auto a = attributes(e, {"type"});
      if (a.count("type") && a["type"] != "bullet" && a["type"] != "number")
        fail(line(e), "type must be bullet or number");
      b.numbered = a["type"] == "number";
      for (const xmlNode* item : elements(e)) {
        if (nameOf(item) != "item")
          fail(line(item), "unknown element <" + std::string(nameOf(item)) + "> in <list> (allowed: item)");
        attributes(item, {});
        b.items.push_back(inlineOf(item));
      }
    } else if (name == "table") {
      b.kind = Block::Kind::Table;
      table(e, b);
    } else if (name == "signature") {
      b.kind = Block::Kind::Signature;
      auto a = attributes(e, {"role", "name", "title"});
      if (!elements(e).empty()) fail(line(e), "<signature> takes attributes only");
      b.role = a["role"].empty() ? "signatory" : a["role"];
      b.name = a["name"];
      b.title = a["title"];
    } else if (name == "verification") {
      b.kind = Block::Kind::Verification;
      auto a = attributes(e, {"url", "payload"});
      if (a["payload"].empty()) fail(line(e), "<verification> needs a payload");
      b.url = a["url"];
      b.payload = a["payload"];
      b.content = inlineOf(e);
    } else {
      fail(line(e), "unknown element <" + std::string(name) +
                        "> (allowed: letterhead, meta, h, p, list, table, signature, verification)");
    }
    return b;
  }

  void table(const xmlNode* e, Block& b) {
    auto a = attributes(e, {"widths", "title"});
    if (!a["title"].empty()) b.caption = Inline{Run{toUtf32(a["title"]), kBold, false}};
    if (a.count("widths")) {
      std::string text = a["widths"];
      std::replace(text.begin(), text.end(), ',', ' ');
      std::replace(text.begin(), text.end(), '%', ' ');
      size_t pos = 0;
      while (pos < text.size()) {
        while (pos < text.size() && text[pos] == ' ') ++pos;
        if (pos >= text.size()) break;
        double value = 0;
        auto [end, ec] = std::from_chars(text.data() + pos, text.data() + text.size(), value);
        if (ec != std::errc() || value <= 0 || value > 100)
          fail(line(e), "widths must be positive percentages, e.g. \"30 70\"");
        b.widths.push_back(value);
        pos = static_cast<size_t>(end - text.data());
        if (pos < text.size() && text[pos] != ' ') fail(line(e), "widths must be positive percentages, e.g. \"30 70\"");
      }
    }
    bool seenHeader = false;
    for (const xmlNode* r : elements(e)) {
      const std::string_view name = nameOf(r);
      if (name != "header" && name != "row")
        fail(line(r), "unknown element <" + std::string(name) + "> in <table> (allowed: header, row)");
      attributes(r, {});
      std::vector<Inline> cells;
      for (const xmlNode* c : elements(r)) {
        if (nameOf(c) != "cell")
          fail(line(c),
               "unknown element <" + std::string(nameOf(c)) + "> in <" + std::string(name) + "> (allowed: cell)");
        attributes(c, {});
        cells.push_back(inlineOf(c, name == "header" ? kBold : kRegular));
      }
      if (b.widths.empty() && !cells.empty()) b.widths.assign(cells.size(), 100.0 / static_cast<double>(cells.size()));
      if (cells.size() != b.widths.size()) {
        fail(line(r), "this " + std::string(name) + " has " + std::to_string(cells.size()) + " cells; the table has " +
                          std::to_string(b.widths.size()) + " columns");
      }
      if (name == "header") {
        if (seenHeader || !b.rows.empty()) fail(line(r), "a table has one <header>, before its rows");
        seenHeader = true;
        b.header = std::move(cells);
      } else {
        b.rows.push_back(std::move(cells));
      }
    }
    double total = 0;
    for (double w : b.widths) total += w;
    for (double& w : b.widths) w /= total;
  }

  std::string source_;
  std::string defaultLang_;
};

// ---------------------------------------------------------------------------------------------
// Text: words, line breaking, drawing

struct Piece {
  uint8_t style;
  std::u32string text;
};

struct Word {
  std::vector<Piece> pieces;
  double width = 0;
  bool breakAfter = false;  // a <br/> follows
  bool glue = false;        // no space before the next word (a long word cut to fit)
};

struct TextLine {
  size_t first = 0, last = 0;  // words [first, last)
  double width = 0;
  bool justifiable = false;  // not the last line of the paragraph, not ended by <br/>
};

struct PreparedText {
  std::vector<Word> words;
  std::vector<TextLine> lines;
  double size = kBodySize;
  double leading = kBodyLeading;
};

bool isCollapsibleSpace(char32_t c) { return c == U' ' || c == U'\t' || c == U'\n' || c == U'\r'; }

struct Page {
  std::string ops;
  std::vector<std::pair<uint32_t, uint8_t>> glyphs;  // offset of each glyph's 4 hex digits, font
  std::array<bool, 4> fonts{};
  bool emblem = false;
};

class Composer {
 public:
  Composer(const LetterModel& model, Fonts& fonts, const PlainImage* emblem)
      : model_(model), fonts_(fonts), emblem_(emblem) {}

  void run() {
    newPage();
    if (model_.hasLetterhead) letterhead();
    if (model_.hasMeta) meta();
    for (size_t i = 0; i < model_.blocks.size(); ++i) {
      const Block& b = model_.blocks[i];
      switch (b.kind) {
        case Block::Kind::Heading:
          heading(b);
          break;
        case Block::Kind::Paragraph:
          // A closing line ("Yours faithfully,") stays on the page of the signature under it.
          keepNext_ = i + 1 < model_.blocks.size() && model_.blocks[i + 1].kind == Block::Kind::Signature
                          ? 16 + kSignatureBoxHeight + 6 + 2 * 13.5
                          : 0;
          paragraph(b);
          keepNext_ = 0;
          break;
        case Block::Kind::List:
          list(b);
          break;
        case Block::Kind::Table:
          table(b);
          break;
        case Block::Kind::Signature: {
          // Consecutive signatures stand side by side, two to a row.
          std::vector<const Block*> row{&b};
          while (row.size() < 2 && i + 1 < model_.blocks.size() &&
                 model_.blocks[i + 1].kind == Block::Kind::Signature) {
            row.push_back(&model_.blocks[++i]);
          }
          const Block* code = nullptr;
          if (row.size() == 1 && i + 1 < model_.blocks.size() &&
              model_.blocks[i + 1].kind == Block::Kind::Verification) {
            code = &model_.blocks[++i];
          }
          signatures(row, code);
          break;
        }
        case Block::Kind::Verification:
          verification(b);
          break;
      }
    }
    footers();
  }

  std::vector<Page>& pages() { return pages_; }
  std::vector<SignatureSlot>& slots() { return slots_; }

 private:
  Page& page() { return pages_.back(); }
  int pageIndex() const { return static_cast<int>(pages_.size()) - 1; }
  bool atPageTop() const { return y_ >= kContentTop - 0.01; }

  void newPage() {
    if (static_cast<int>(pages_.size()) >= kMaxPages) {
      throw SourceError(ErrorCode::Definition, "layout", 0,
                        "the letter would have more than " + std::to_string(kMaxPages) + " pages");
    }
    pages_.emplace_back();
    y_ = kContentTop;
  }
  void space(double gap) {
    if (!atPageTop()) y_ -= gap;
  }
  // Starts a new page unless `height` still fits on this one.
  void need(double height) {
    if (y_ - height < kContentBottom && !atPageTop()) newPage();
  }

  // --- words and lines

  PreparedText prepare(const Inline& content, double size, double leading, double width) {
    PreparedText t;
    t.size = size;
    t.leading = leading;
    Word current;
    const auto finish = [&] {
      if (!current.pieces.empty()) {
        t.words.push_back(std::move(current));
        current = Word();
      }
    };
    for (const Run& run : content) {
      if (run.lineBreak) {
        finish();
        if (!t.words.empty() && !t.words.back().breakAfter) {
          t.words.back().breakAfter = true;
        } else {
          Word empty;
          empty.breakAfter = true;
          t.words.push_back(std::move(empty));
        }
        continue;
      }
      for (char32_t c : run.text) {
        if (isCollapsibleSpace(c)) {
          finish();
          continue;
        }
        if (current.pieces.empty() || current.pieces.back().style != run.style)
          current.pieces.push_back(Piece{run.style, U""});
        current.pieces.back().text += c;
      }
      // A style change inside a word ("<b>CA</b>0042") continues the same word.
    }
    finish();
    std::vector<Word> fitted;
    for (Word& w : t.words) {
      for (const Piece& p : w.pieces) w.width += fonts_.width(p.style, p.text, size);
      if (w.width <= width) {
        fitted.push_back(std::move(w));
      } else {
        splitLongWord(w, width, size, fitted);
      }
    }
    t.words = std::move(fitted);
    breakLines(t, width);
    return t;
  }

  // A word wider than the line (a URL, a long identifier) is cut, after a '/', '-', '.', '?', '&',
  // '=' or '_' where one is near the end of the line, else between any two characters.
  void splitLongWord(const Word& word, double width, double size, std::vector<Word>& out) {
    struct Glyph {
      char32_t c;
      uint8_t style;
      double width;
    };
    std::vector<Glyph> glyphs;
    for (const Piece& p : word.pieces) {
      for (char32_t c : p.text)
        glyphs.push_back(Glyph{c, p.style, fonts_.width(p.style, std::u32string_view(&c, 1), size)});
    }
    const auto emit = [&](size_t from, size_t to, bool last) {
      Word chunk;
      for (size_t i = from; i < to; ++i) {
        if (chunk.pieces.empty() || chunk.pieces.back().style != glyphs[i].style) {
          chunk.pieces.push_back(Piece{glyphs[i].style, U""});
        }
        chunk.pieces.back().text += glyphs[i].c;
        chunk.width += glyphs[i].width;
      }
      chunk.glue = last ? word.glue : true;
      chunk.breakAfter = last && word.breakAfter;
      out.push_back(std::move(chunk));
    };
    size_t start = 0;
    double used = 0;
    for (size_t i = 0; i < glyphs.size(); ++i) {
      if (used + glyphs[i].width > width && i > start) {
        size_t cut = i;
        for (size_t k = i; k > start + (i - start) / 2; --k) {
          if (std::u32string_view(U"/-.?&=_").find(glyphs[k - 1].c) != std::u32string_view::npos) {
            cut = k;
            break;
          }
        }
        emit(start, cut, false);
        start = cut;
        used = 0;
        for (size_t k = cut; k < i; ++k) used += glyphs[k].width;
      }
      used += glyphs[i].width;
    }
    emit(start, glyphs.size(), true);
  }

  double spaceAfter(const Word& w, double size) {
    if (w.glue || w.pieces.empty()) return 0;
    return fonts_.width(w.pieces.back().style, U" ", size);
  }

  void breakLines(PreparedText& t, double width) {
    size_t i = 0;
    while (i < t.words.size()) {
      TextLine line;
      line.first = i;
      double lineWidth = t.words[i].width;
      size_t j = i + 1;
      if (!t.words[i].breakAfter) {
        while (j < t.words.size()) {
          const double candidate = lineWidth + spaceAfter(t.words[j - 1], t.size) + t.words[j].width;
          if (candidate > width + 0.001) break;
          lineWidth = candidate;
          ++j;
          if (t.words[j - 1].breakAfter) break;
        }
      }
      line.last = j;
      line.width = lineWidth;
      line.justifiable = j < t.words.size() && !t.words[j - 1].breakAfter;
      t.lines.push_back(line);
      i = j;
    }
  }

  // Baseline of a line whose box starts at `top`.
  static double baselineIn(double top, double size, double leading) { return top - (leading - size) / 2 - size * 0.80; }

  void drawLine(const PreparedText& t, const TextLine& line, double x, double top, double width, Align align) {
    const double baseline = baselineIn(top, t.size, t.leading);
    double extra = 0;
    int gaps = 0;
    for (size_t i = line.first; i + 1 < line.last; ++i) {
      if (!t.words[i].glue) ++gaps;
    }
    double start = x;
    if (align == Align::Justify && line.justifiable && gaps > 0) {
      extra = (width - line.width) / gaps;
    } else if (align == Align::Right) {
      start = x + width - line.width;
    } else if (align == Align::Center) {
      start = x + (width - line.width) / 2;
    }
    TextWriter w(*this, t.size);
    w.begin(start, baseline);
    for (size_t i = line.first; i < line.last; ++i) {
      const Word& word = t.words[i];
      for (const Piece& p : word.pieces) w.text(p.style, p.text);
      if (i + 1 < line.last && !word.glue && !word.pieces.empty()) {
        w.text(word.pieces.back().style, U" ");
        if (extra > 0.005) w.adjust(extra);
      }
    }
    w.end();
  }

  // Writes one BT…ET block; switches fonts as the style changes.
  class TextWriter {
   public:
    TextWriter(Composer& c, double size) : c_(c), ops_(c.page().ops), size_(size) {}
    void begin(double x, double y) {
      ops_ += "BT\n";
      appendNumber(ops_, x);
      ops_ += ' ';
      appendNumber(ops_, y);
      ops_ += " Td\n";
    }
    void text(uint8_t style, std::u32string_view s) {
      if (style != font_) {
        close();
        ops_ += "/F";
        ops_ += static_cast<char>('0' + style);
        ops_ += ' ';
        appendNumber(ops_, size_);
        ops_ += " Tf\n";
        font_ = style;
        c_.page().fonts[style] = true;
      }
      if (!array_) {
        ops_ += '[';
        array_ = true;
      }
      if (!hex_) {
        ops_ += '<';
        hex_ = true;
      }
      FontSubset& subset = c_.fonts_.subset(style);
      auto& glyphs = c_.page().glyphs;
      for (char32_t ch : s) {
        glyphs.emplace_back(static_cast<uint32_t>(ops_.size()), style);
        appendHex4(ops_, subset.use(ch));
      }
    }
    // Moves the pen right by `points` (TJ numbers are thousandths of the font size, negative = right).
    void adjust(double points) {
      if (hex_) {
        ops_ += '>';
        hex_ = false;
      }
      ops_ += ' ';
      appendNumber(ops_, -points * 1000.0 / size_);
      ops_ += ' ';
    }
    void end() {
      close();
      ops_ += "ET\n";
    }

   private:
    void close() {
      if (hex_) ops_ += '>';
      if (array_) ops_ += "] TJ\n";
      hex_ = array_ = false;
    }
    Composer& c_;
    std::string& ops_;
    double size_;
    int font_ = -1;
    bool array_ = false, hex_ = false;
  };

  // Places prepared lines from y_ downwards, breaking pages between lines. `onLine` (for list
  // bullets) is called with the top of the first line.
  void flow(const PreparedText& t, double x, double width, Align align,
            const std::function<void(double)>& onFirst = {}) {
    // No single line of a paragraph left alone at the foot of a page.
    if (t.lines.size() >= 2 && y_ - 2 * t.leading < kContentBottom) need(2 * t.leading);
    for (size_t i = 0; i < t.lines.size(); ++i) {
      need(t.leading);
      if (i == 0 && onFirst) onFirst(y_);
      drawLine(t, t.lines[i], x, y_, width, align);
      y_ -= t.leading;
    }
  }

  static bool empty(const Inline& content) {
    for (const Run& r : content) {
      if (r.lineBreak) return false;
      for (char32_t c : r.text) {
        if (!isCollapsibleSpace(c)) return false;
      }
    }
    return true;
  }

  // --- graphics

  void rule(double x1, double x2, double y, double width, double gray) {
    std::string& o = page().ops;
    o += "q ";
    appendNumber(o, width);
    o += " w ";
    appendNumber(o, gray);
    o += " G ";
    appendNumber(o, x1);
    o += ' ';
    appendNumber(o, y);
    o += " m ";
    appendNumber(o, x2);
    o += ' ';
    appendNumber(o, y);
    o += " l S Q\n";
  }
  void rect(double x, double y, double w, double h, const char* paint, double lineWidth, double gray) {
    std::string& o = page().ops;
    o += "q ";
    appendNumber(o, lineWidth);
    o += " w ";
    appendNumber(o, gray);
    o += paint[0] == 'f' ? " g " : " G ";
    appendNumber(o, x);
    o += ' ';
    appendNumber(o, y);
    o += ' ';
    appendNumber(o, w);
    o += ' ';
    appendNumber(o, h);
    o += " re ";
    o += paint;
    o += " Q\n";
  }
  void gray(double level) {
    appendNumber(page().ops, level);
    page().ops += " g\n";
  }

  // --- blocks

  void letterhead() {
    if (emblem_ != nullptr) {
      double h = kEmblemHeight;
      double w = emblem_->width * h / emblem_->height;
      if (w > kEmblemMaxWidth) {
        w = kEmblemMaxWidth;
        h = emblem_->height * w / emblem_->width;
      }
      const double x = kMarginX + (kContentWidth - w) / 2;
      std::string& o = page().ops;
      o += "q ";
      appendNumber(o, w);
      o += " 0 0 ";
      appendNumber(o, h);
      o += ' ';
      appendNumber(o, x);
      o += ' ';
      appendNumber(o, y_ - h);
      o += " cm /Em0 Do Q\n";
      page().emblem = true;
      y_ -= h + 8;
    }
    for (const auto& [content, size] : model_.letterhead) {
      const double pt = size == LineSize::Large ? 13.0 : size == LineSize::Small ? 9.0 : 10.5;
      const PreparedText t = prepare(content, pt, pt * 1.3, kContentWidth);
      flow(t, kMarginX, kContentWidth, Align::Center);
    }
    y_ -= 5;
    rule(kMarginX, kMarginX + kContentWidth, y_, 0.8, 0.25);
    y_ -= 14;
  }

  void meta() {
    std::vector<std::string> lines;
    if (!model_.reference.empty()) lines.push_back(referenceLine(model_.reference, model_.lang));
    if (!model_.date.empty() || !model_.place.empty())
      lines.push_back(placeDateLine(model_.place, model_.date, model_.lang));
    for (const std::string& text : lines) {
      const PreparedText t = prepare(Inline{Run{toUtf32(text), kRegular, false}}, 10.0, 13.0, kContentWidth);
      flow(t, kMarginX, kContentWidth, Align::Right);
    }
    y_ -= 12;
  }

  void heading(const Block& b) {
    if (empty(b.content)) return;
    const bool title = b.level == 1;
    const double size = title ? kTitleSize : kHeadingSize;
    const PreparedText t = prepare(b.content, size, size * 1.3, kContentWidth);
    space(title ? 10 : 9);
    // Keep a heading with the start of what follows it.
    need(static_cast<double>(t.lines.size()) * t.leading + 3 * kBodyLeading);
    flow(t, kMarginX, kContentWidth, title ? Align::Center : Align::Left);
    y_ -= title ? 8 : 3;
  }

  void paragraph(const Block& b) {
    if (empty(b.content)) return;
    const PreparedText t = prepare(b.content, kBodySize, kBodyLeading, kContentWidth);
    if (keepNext_ > 0 && t.lines.size() <= 3) need(static_cast<double>(t.lines.size()) * t.leading + keepNext_);
    flow(t, kMarginX, kContentWidth, b.align);
    y_ -= kParagraphGap;
  }

  void list(const Block& b) {
    int number = 0;
    for (const Inline& item : b.items) {
      if (empty(item)) continue;
      ++number;
      const PreparedText t = prepare(item, kBodySize, kBodyLeading, kContentWidth - kListIndent);
      const std::u32string marker = b.numbered ? toUtf32(std::to_string(number) + ".") : U"\u2022";
      flow(t, kMarginX + kListIndent, kContentWidth - kListIndent, Align::Justify, [&](double top) {
        const double markerWidth = fonts_.width(kRegular, marker, kBodySize);
        TextWriter w(*this, kBodySize);
        w.begin(kMarginX + kListIndent - 6 - markerWidth, baselineIn(top, kBodySize, kBodyLeading));
        w.text(kRegular, marker);
        w.end();
      });
      y_ -= 2.5;
    }
    y_ -= kParagraphGap - 2.5;
  }

  void table(const Block& b) {
    if (b.rows.empty()) return;
    if (!b.caption.empty()) {
      Block title;
      title.kind = Block::Kind::Heading;
      title.content = b.caption;
      heading(title);
    }
    const size_t columns = b.widths.size();
    std::vector<double> x(columns + 1, kMarginX);
    for (size_t c = 0; c < columns; ++c) x[c + 1] = x[c] + b.widths[c] * kContentWidth;
    const auto prepareRow = [&](const std::vector<Inline>& cells) {
      std::vector<PreparedText> out;
      for (size_t c = 0; c < columns; ++c) {
        out.push_back(prepare(cells[c], kTableSize, kTableLeading, x[c + 1] - x[c] - 2 * kCellPadX));
      }
      return out;
    };
    const auto rowHeight = [&](const std::vector<PreparedText>& cells, const std::vector<size_t>& from,
                               size_t maxLines) {
      size_t lines = 1;
      for (size_t c = 0; c < columns; ++c) {
        lines = std::max(lines, std::min(maxLines, cells[c].lines.size() - std::min(from[c], cells[c].lines.size())));
      }
      return static_cast<double>(lines) * kTableLeading + 2 * kCellPadY;
    };
    // Draws up to maxLines lines of each cell from `from`, advancing `from`.
    const auto drawRow = [&](const std::vector<PreparedText>& cells, std::vector<size_t>& from, size_t maxLines,
                             bool header) {
      const double height = rowHeight(cells, from, maxLines);
      const double bottom = y_ - height;
      if (header) rect(x[0], bottom, x[columns] - x[0], height, "f", 0, 0.90);
      for (size_t c = 0; c < columns; ++c) {
        const PreparedText& t = cells[c];
        double top = y_ - kCellPadY;
        size_t drawn = 0;
        for (size_t i = from[c]; i < t.lines.size() && drawn < maxLines; ++i, ++drawn) {
          drawLine(t, t.lines[i], x[c] + kCellPadX, top, x[c + 1] - x[c] - 2 * kCellPadX, Align::Left);
          top -= kTableLeading;
        }
        from[c] += drawn;
        rect(x[c], bottom, x[c + 1] - x[c], height, "S", 0.5, 0.45);
      }
      y_ = bottom;
    };

    std::vector<PreparedText> header;
    if (!b.header.empty()) header = prepareRow(b.header);
    const double headerHeight = header.empty() ? 0 : rowHeight(header, std::vector<size_t>(columns, 0), SIZE_MAX);
    const auto drawHeader = [&] {
      if (header.empty()) return;
      std::vector<size_t> from(columns, 0);
      drawRow(header, from, SIZE_MAX, true);
    };
    const auto breakPage = [&] {
      newPage();
      drawHeader();
    };
    const double freshPage = kContentTop - kContentBottom - headerHeight;

    if (b.caption.empty()) space(4);
    bool first = true;
    for (const auto& row : b.rows) {
      const std::vector<PreparedText> cells = prepareRow(row);
      std::vector<size_t> from(columns, 0);
      if (first) {
        // The header and at least the first row (or two of its lines) start together.
        const double firstNeed = headerHeight + std::min(rowHeight(cells, from, SIZE_MAX), rowHeight(cells, from, 2));
        need(firstNeed);
        drawHeader();
        first = false;
      }
      for (;;) {
        const double remaining = rowHeight(cells, from, SIZE_MAX);
        const double available = y_ - kContentBottom;
        if (remaining <= available + 0.01) {
          drawRow(cells, from, SIZE_MAX, false);
          break;
        }
        const bool freshAlready = y_ >= kContentTop - headerHeight - 0.01;
        if (remaining <= freshPage + 0.01 && !freshAlready) {
          breakPage();
          continue;
        }
        // Taller than a page: split the row between lines.
        const auto fit = static_cast<size_t>(std::max(0.0, std::floor((available - 2 * kCellPadY) / kTableLeading)));
        if (fit == 0) {
          breakPage();
          continue;
        }
        drawRow(cells, from, fit, false);
        breakPage();
      }
    }
    y_ -= 10;
  }

  // One or two signatures side by side; a lone signature may share its row with the
  // verification code, which then stands to its right instead of taking lines of its own.
  void signatures(const std::vector<const Block*>& row, const Block* verification = nullptr) {
    const double boxWidth = std::min(kSignatureBoxWidth, kContentWidth * 0.46);
    std::vector<PreparedText> names, titles;
    double textHeight = 0;
    for (const Block* b : row) {
      names.push_back(prepare(Inline{Run{toUtf32(b->name), kBold, false}}, 10.5, 13.5, boxWidth));
      titles.push_back(prepare(Inline{Run{toUtf32(b->title), kRegular, false}}, 9.5, 12.0, boxWidth));
      textHeight = std::max(textHeight, static_cast<double>(names.back().lines.size()) * 13.5 +
                                            static_cast<double>(titles.back().lines.size()) * 12.0);
    }
    double height = kSignatureBoxHeight + 6 + textHeight;
    std::optional<VerificationBlock> code;
    const double codeX = kMarginX + boxWidth + 24;
    if (verification != nullptr) {
      code.emplace(prepareVerification(*verification, kMarginX + kContentWidth - codeX));
      height = std::max(height, code->height);
    }
    space(16);
    need(height);
    const double top = y_;
    const std::u32string label = toUtf32(a6::templates::label("signature", model_.lang));
    for (size_t i = 0; i < row.size(); ++i) {
      const double x = i == 0 ? kMarginX : kMarginX + kContentWidth - boxWidth;
      const double bottom = top - kSignatureBoxHeight;
      rect(x, bottom, boxWidth, kSignatureBoxHeight, "S", 0.5, 0.55);
      gray(0.45);
      TextWriter w(*this, 7.0);
      w.begin(x + 4, top - 9);
      w.text(kItalic, label);
      w.end();
      gray(0);
      slots_.push_back(SignatureSlot{pageIndex(), x, bottom, boxWidth, kSignatureBoxHeight, row[i]->role, row[i]->name,
                                     row[i]->title});
      double lineTop = bottom - 5;
      for (const TextLine& l : names[i].lines) {
        drawLine(names[i], l, x, lineTop, boxWidth, Align::Left);
        lineTop -= 13.5;
      }
      for (const TextLine& l : titles[i].lines) {
        drawLine(titles[i], l, x, lineTop, boxWidth, Align::Left);
        lineTop -= 12.0;
      }
    }
    if (code) drawVerification(*code, codeX, top);
    y_ = top - height - 6;
  }

  struct QrFree {
    void operator()(QRcode* code) const { QRcode_free(code); }
  };

  // A QR code with its caption and address to the right, laid out for a given width.
  struct VerificationBlock {
    std::unique_ptr<QRcode, QrFree> code;
    PreparedText caption, url;
    double textWidth = 0, textHeight = 0, height = 0;
  };

  VerificationBlock prepareVerification(const Block& b, double width) {
    VerificationBlock v;
    v.code.reset(QRcode_encodeString(b.payload.c_str(), 0, QR_ECLEVEL_M, QR_MODE_8, 1));
    if (!v.code) {
      throw SourceError(ErrorCode::Definition, "layout", b.line,
                        "the verification payload cannot be encoded as a QR code (too long?)");
    }
    v.textWidth = width - kQrSize - 12;
    Inline caption = b.content;
    if (empty(caption)) caption = Inline{Run{toUtf32(label("verification", model_.lang)), kRegular, false}};
    v.caption = prepare(caption, 8.5, 11.0, v.textWidth);
    v.url = prepare(Inline{Run{toUtf32(b.url), kRegular, false}}, 8.5, 11.0, v.textWidth);
    v.textHeight = static_cast<double>(v.caption.lines.size() + v.url.lines.size()) * 11.0;
    v.height = std::max(kQrSize, v.textHeight);
    return v;
  }

  void drawVerification(const VerificationBlock& v, double x, double top) {
    // Dark modules as one rectangle per horizontal run, in module units under a scaling matrix:
    // the code stays sharp at any zoom and costs a few bytes per run.
    const int n = v.code->width;
    const double module = kQrSize / n;
    std::string& o = page().ops;
    o += "q 0 g ";
    appendNumber(o, module);
    o += " 0 0 ";
    appendNumber(o, module);
    o += ' ';
    appendNumber(o, x);
    o += ' ';
    appendNumber(o, top - kQrSize);
    o += " cm\n";
    for (int row = 0; row < n; ++row) {
      for (int col = 0; col < n;) {
        if (!(v.code->data[row * n + col] & 1)) {
          ++col;
          continue;
        }
        int end = col;
        while (end < n && (v.code->data[row * n + end] & 1)) ++end;
        o += std::to_string(col) + ' ' + std::to_string(n - 1 - row) + ' ' + std::to_string(end - col) + " 1 re\n";
        col = end;
      }
    }
    o += "f Q\n";
    double lineTop = top - std::max(0.0, (kQrSize - v.textHeight) / 2);
    gray(0.2);
    for (const PreparedText* t : {&v.caption, &v.url}) {
      for (const TextLine& l : t->lines) {
        drawLine(*t, l, x + kQrSize + 12, lineTop, v.textWidth, Align::Left);
        lineTop -= 11.0;
      }
    }
    gray(0);
  }

  void verification(const Block& b) {
    const VerificationBlock v = prepareVerification(b, kContentWidth);
    space(14);
    need(v.height);
    const double top = y_;
    drawVerification(v, kMarginX, top);
    y_ = top - v.height - 8;
  }

  void footers() {
    const int total = static_cast<int>(pages_.size());
    const std::u32string reference = toUtf32(model_.reference);
    for (int i = 0; i < total; ++i) {
      Page& p = pages_[static_cast<size_t>(i)];
      // Draw into page i: the helpers write to the last page, so swap it in for a moment.
      std::swap(p, pages_.back());
      rule(kMarginX, kMarginX + kContentWidth, kFooterRule, 0.4, 0.6);
      gray(0.35);
      if (!reference.empty()) {
        TextWriter w(*this, kFooterSize);
        w.begin(kMarginX, kFooterBaseline);
        w.text(kRegular, reference);
        w.end();
      }
      const std::u32string counter = toUtf32(pageOf(i + 1, total, model_.lang));
      TextWriter w(*this, kFooterSize);
      w.begin(kMarginX + kContentWidth - fonts_.width(kRegular, counter, kFooterSize), kFooterBaseline);
      w.text(kRegular, counter);
      w.end();
      gray(0);
      std::swap(p, pages_.back());
    }
  }

  const LetterModel& model_;
  Fonts& fonts_;
  const PlainImage* emblem_;
  std::vector<Page> pages_;
  std::vector<SignatureSlot> slots_;
  double y_ = kContentTop;
  double keepNext_ = 0;  // room the block after a paragraph needs on the same page
};

PoDoFo::PdfString utf8String(const std::string& text) {
  return PoDoFo::PdfString(reinterpret_cast<const PoDoFo::pdf_utf8*>(text.c_str()));
}

RenderedLetter writePdf(const LetterModel& model, Composer& composer, Fonts& fonts, const PlainImage* emblem) {
  using namespace PoDoFo;
  PdfMemDocument doc;
  doc.SetPdfVersion(ePdfVersion_1_7);
  doc.GetInfo()->SetCreator(PdfString("a6auth"));
  if (!model.title.empty()) doc.GetInfo()->SetTitle(utf8String(model.title));
  doc.GetCatalog()->GetDictionary().AddKey(PdfName("Lang"), PdfString(model.lang));

  std::array<PdfObject*, 4> fontObjects{};
  for (auto& subset : fonts.subsets()) {
    if (!subset) continue;
    subset->finish();
    fontObjects[static_cast<size_t>(subset->index())] = doc.GetObjects().CreateObject("Font");
  }
  // The pages were written with the fonts' glyph numbers; now the subsets are known, use theirs.
  for (Page& p : composer.pages()) {
    for (const auto& [offset, style] : p.glyphs) {
      const FontSubset& subset = *fonts.subsets()[style];
      unsigned gid = 0;
      std::from_chars(p.ops.data() + offset, p.ops.data() + offset + 4, gid, 16);
      std::string hex;
      appendHex4(hex, subset.cid(static_cast<uint16_t>(gid)));
      p.ops.replace(offset, 4, hex);
    }
  }
  PdfObject* emblemObject = nullptr;
  const PdfRect a4(0, 0, kPageWidth, kPageHeight);
  for (Page& p : composer.pages()) {
    PdfPage* page = doc.CreatePage(a4);
    for (size_t f = 0; f < 4; ++f) {
      if (p.fonts[f] && fontObjects[f] != nullptr) {
        page->AddResource(PdfName("F" + std::to_string(f)), fontObjects[f]->Reference(), PdfName("Font"));
      }
    }
    if (p.emblem && emblem != nullptr) {
      if (emblemObject == nullptr) emblemObject = addImage(doc.GetObjects(), *emblem);
      page->AddResource(PdfName("Em0"), emblemObject->Reference(), PdfName("XObject"));
    }
    page->GetContentsForAppending()->GetStream()->Set(p.ops.data(), static_cast<pdf_long>(p.ops.size()));
  }
  for (auto& subset : fonts.subsets()) {
    if (subset) subset->embed(doc.GetObjects(), fontObjects[static_cast<size_t>(subset->index())]);
  }

  PdfRefCountedBuffer buffer;
  PdfOutputDevice device(&buffer);
  doc.Write(&device);
  RenderedLetter out;
  out.pdf.assign(buffer.GetBuffer(), device.GetLength());  // the buffer is larger than what was written
  out.pages = static_cast<int>(composer.pages().size());
  out.slots = std::move(composer.slots());
  return out;
}

}  // namespace

void checkLayout(const std::string& layoutXml, const std::string& sourceName, const LayoutOptions& options) {
  ModelBuilder(sourceName, options).build(layoutXml);
}

RenderedLetter renderLayout(const std::string& layoutXml, const std::string& sourceName, const LayoutOptions& options) {
  const LetterModel model = ModelBuilder(sourceName, options).build(layoutXml);
  try {
    std::shared_ptr<const PlainImage> emblem;
    if (model.hasLetterhead && !options.letterhead.emblemPath.empty())
      emblem = loadImage(options.letterhead.emblemPath);
    Fonts fonts(options);
    Composer composer(model, fonts, emblem.get());
    try {
      composer.run();
    } catch (const SourceError& e) {
      // Layout-time errors know their line but not the source's name.
      throw SourceError(e.code(), sourceName, e.line(), e.reason());
    }
    return writePdf(model, composer, fonts, emblem.get());
  } catch (const PoDoFo::PdfError& e) {
    throw Error(ErrorCode::Internal, std::string("PDF writer: ") + PoDoFo::PdfError::ErrorMessage(e.GetError()));
  }
}

}  // namespace a6::templates
