// PAdES signing. PoDoFo adds the signature field, widget and dictionary and writes the file with
// placeholders; the ByteRange and Contents are then patched here (not with PdfSignOutputDevice,
// whose AdjustByteRange depends on key order), and the CMS is built with OpenSSL.
#include "a6/signing/Pades.h"

#include <podofo/podofo.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <openssl/rand.h>

#include "OpenSsl.h"
#include "a6/core/Error.h"
#include "a6/signing/Digest.h"
#include "a6/signing/Timestamp.h"

namespace a6::signing {

namespace {

using namespace PoDoFo;

// The /ByteRange is written as this fixed-width text and overwritten in place, padded with spaces.
constexpr std::string_view kByteRangePlaceholder = "[0 0000000000 0000000000 0000000000]";
// What a CMS needs beyond the certificates and the signature value: attributes, names, algorithms.
constexpr std::size_t kCmsOverhead = 3072;
// The smallest /Contents reservation, in DER bytes (twice that in hex in the file).
constexpr std::size_t kMinReserve = 8192;
// Room for a time-stamp token with its TSA certificate chain.
constexpr std::size_t kTimestampReserve = 8192;
// The widget flags Print (4) and Locked (128).
constexpr pdf_int64 kWidgetFlags = 132;
// Nothing in the signature block is worth less than this size, in points.
constexpr double kMinFontSize = 4.0;
constexpr double kMaxFontSize = 10.0;

std::string utcText(a6::TimePoint t, const char* format) {
  std::time_t secs = std::chrono::system_clock::to_time_t(std::chrono::floor<std::chrono::seconds>(t));
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::size_t n = std::strftime(buf, sizeof buf, format, &tm);
  return std::string(buf, n);
}

std::string randomHex(std::size_t bytes) {
  std::vector<unsigned char> raw(bytes);
  if (RAND_bytes(raw.data(), static_cast<int>(raw.size())) != 1) throw Error(ErrorCode::Internal, "no randomness");
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : raw) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 0xf]);
  }
  return out;
}

PdfString utf8(const std::string& s) { return PdfString(reinterpret_cast<const pdf_utf8*>(s.c_str())); }

// --- reading the input ------------------------------------------------------------------------

bool fieldTreeHasSignature(const PdfObject* field, int depth) {
  if (!field || !field->IsDictionary() || depth > 16) return false;
  const PdfObject* ft = field->GetIndirectKey("FT");
  if (ft && ft->IsName() && ft->GetName() == PdfName("Sig") && field->GetDictionary().HasKey("V")) return true;
  const PdfObject* kids = field->GetIndirectKey("Kids");
  if (kids && kids->IsArray()) {
    for (const auto& kid : kids->GetArray()) {
      const PdfObject* k = kid.IsReference() ? field->GetOwner()->GetObject(kid.GetReference()) : &kid;
      if (fieldTreeHasSignature(k, depth + 1)) return true;
    }
  }
  return false;
}

bool hasSignature(PdfMemDocument& doc, const std::string& bytes) {
  if (bytes.find("/ByteRange") != std::string::npos) return true;
  PdfObject* form = doc.GetCatalog()->GetIndirectKey("AcroForm");
  if (!form || !form->IsDictionary()) return false;
  PdfObject* fields = form->GetIndirectKey("Fields");
  if (!fields || !fields->IsArray()) return false;
  for (const auto& f : fields->GetArray()) {
    const PdfObject* field = f.IsReference() ? doc.GetObjects().GetObject(f.GetReference()) : &f;
    if (fieldTreeHasSignature(field, 0)) return true;
  }
  return false;
}

// True when the last startxref points at a classic "xref" table.
bool lastXrefIsTable(const std::string& pdf) {
  std::size_t tail = pdf.size() > 2048 ? pdf.size() - 2048 : 0;
  std::size_t pos = pdf.rfind("startxref", std::string::npos);
  if (pos == std::string::npos || pos < tail) return false;
  pos += 9;
  while (pos < pdf.size() && std::isspace(static_cast<unsigned char>(pdf[pos]))) ++pos;
  std::size_t offset = 0;
  bool digits = false;
  while (pos < pdf.size() && std::isdigit(static_cast<unsigned char>(pdf[pos]))) {
    offset = offset * 10 + static_cast<std::size_t>(pdf[pos] - '0');
    if (offset > pdf.size()) return false;
    digits = true;
    ++pos;
  }
  return digits && pdf.compare(offset, 4, "xref") == 0;
}

// --- building the signature field -------------------------------------------------------------

PdfObject* ensureAcroForm(PdfMemDocument& doc) {
  PdfObject* catalog = doc.GetCatalog();
  PdfObject* form = catalog->GetIndirectKey("AcroForm");
  if (!form || !form->IsDictionary()) {
    // An indirect object, so that a later signatory's update does not have to rewrite the catalog.
    form = doc.GetObjects().CreateObject();
    form->GetDictionary().AddKey("Fields", PdfArray());
    catalog->GetDictionary().AddKey("AcroForm", form->Reference());
  }
  // SignaturesExist (1) | AppendOnly (2): viewers must save by incremental update.
  form->GetDictionary().AddKey("SigFlags", PdfVariant(static_cast<pdf_int64>(3)));
  return form;
}

PdfArray& ensureArray(PdfMemDocument& doc, PdfObject* owner, const char* key) {
  PdfObject* value = owner->GetDictionary().GetKey(key);
  if (value && value->IsReference()) {
    PdfObject* target = doc.GetObjects().GetObject(value->GetReference());
    if (target && target->IsArray()) return target->GetArray();
  }
  if (!value || !value->IsArray()) {
    owner->GetDictionary().AddKey(key, PdfArray());
    value = owner->GetDictionary().GetKey(key);
  }
  return value->GetArray();
}

std::string uniqueFieldName(PdfMemDocument& doc, PdfArray& fields) {
  std::vector<std::string> taken;
  for (const auto& f : fields) {
    const PdfObject* field = f.IsReference() ? doc.GetObjects().GetObject(f.GetReference()) : &f;
    if (!field || !field->IsDictionary()) continue;
    const PdfObject* t = field->GetIndirectKey("T");
    if (t && t->IsString()) taken.push_back(t->GetString().GetStringUtf8());
  }
  for (std::size_t n = fields.size() + 1;; ++n) {
    std::string name = "Signature" + std::to_string(n);
    if (std::find(taken.begin(), taken.end(), name) == taken.end()) return name;
  }
}

void ensureEsicExtension(PdfMemDocument& doc) {
  PdfObject* catalog = doc.GetCatalog();
  PdfObject* extensions = catalog->GetIndirectKey("Extensions");
  if (extensions && extensions->IsDictionary()) {
    const PdfObject* esic = extensions->GetIndirectKey("ESIC");
    if (esic && esic->IsDictionary()) {
      const PdfObject* level = esic->GetIndirectKey("ExtensionLevel");
      if (level && level->IsNumber() && level->GetNumber() >= 2) return;
    }
  }
  // ETSI.CAdES.detached is the ESIC extension level 2 of PDF 1.7 (ETSI EN 319 142-1).
  PdfDictionary esic;
  esic.AddKey("BaseVersion", PdfName("1.7"));
  esic.AddKey("ExtensionLevel", PdfVariant(static_cast<pdf_int64>(2)));
  if (extensions && extensions->IsDictionary()) {
    extensions->GetDictionary().AddKey("ESIC", esic);
  } else {
    PdfDictionary all;
    all.AddKey("ESIC", esic);
    catalog->GetDictionary().AddKey("Extensions", all);
  }
}

// PoDoFo names every subset of a new document "AAAAAA+<font>", so the signature block's subset would
// share its name with the letter's own subset, and viewers may take glyphs from the wrong one.
void retagSubset(PdfObject* type0) {
  unsigned char raw[6];
  if (RAND_bytes(raw, sizeof raw) != 1) throw Error(ErrorCode::Internal, "no randomness");
  std::string tag;
  for (unsigned char b : raw) tag.push_back(static_cast<char>('A' + b % 26));
  auto rename = [&](PdfObject* dict, const char* key) {
    if (!dict || !dict->IsDictionary()) return;
    const PdfObject* value = dict->GetDictionary().GetKey(key);
    if (!value || !value->IsName()) return;
    std::string name = value->GetName().GetName();
    if (name.size() > 7 && name[6] == '+') dict->GetDictionary().AddKey(key, PdfName(tag + name.substr(6)));
  };
  rename(type0, "BaseFont");
  PdfObject* descendants = type0->GetIndirectKey("DescendantFonts");
  if (!descendants || !descendants->IsArray() || descendants->GetArray().empty()) return;
  const PdfObject& first = descendants->GetArray()[0];
  PdfObject* cid = first.IsReference() ? type0->GetOwner()->GetObject(first.GetReference()) : nullptr;
  if (!cid) return;
  rename(cid, "BaseFont");
  rename(cid->GetIndirectKey("FontDescriptor"), "FontName");
}

// --- the signature block -----------------------------------------------------------------------

// UTF-8 to code points; malformed sequences become U+FFFD, and characters beyond the BMP (which
// PoDoFo 0.9 cannot subset) become '?'.
std::u32string codePoints(std::string_view s) {
  std::u32string out;
  for (std::size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    int extra = c < 0x80 ? 0 : (c >> 5) == 0x6 ? 1 : (c >> 4) == 0xe ? 2 : (c >> 3) == 0x1e ? 3 : -1;
    char32_t cp = extra == 0 ? c : extra == 1 ? (c & 0x1f) : extra == 2 ? (c & 0x0f) : (c & 0x07);
    bool ok = extra >= 0 && i + static_cast<std::size_t>(extra) < s.size();
    for (int k = 1; ok && k <= extra; ++k) {
      unsigned char cc = static_cast<unsigned char>(s[i + static_cast<std::size_t>(k)]);
      if ((cc >> 6) != 0x2) ok = false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if (!ok) {
      out.push_back(0xfffd);
      ++i;
      continue;
    }
    out.push_back(cp > 0xffff || (cp >= 0xd800 && cp <= 0xdfff) ? U'?' : cp);
    i += static_cast<std::size_t>(extra) + 1;
  }
  return out;
}

std::string toUtf8(std::u32string_view cps) {
  std::string out;
  for (char32_t cp : cps) {
    if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out.push_back(static_cast<char>(0xc0 | (cp >> 6)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    } else {
      out.push_back(static_cast<char>(0xe0 | (cp >> 12)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    }
  }
  return out;
}

// A font subset for the signature block, made once per font file and set of characters and then
// copied into each document: subsetting DejaVu Sans with PoDoFo costs about a millisecond, copying
// a few objects microseconds. The same signatory always needs the same characters (all digits are
// included for the time), so the cache hits after their first letter.
class AppearanceFont {
 public:
  static std::shared_ptr<const AppearanceFont> get(const std::string& fontPath, const std::u32string& chars);

  // Copies the font objects into `doc` and returns its Type0 font dictionary.
  PdfObject* instantiate(PdfMemDocument& doc) const;
  // The hex string of glyph ids for Identity-H, and the text's width in 1/1000 em.
  std::string encode(std::u32string_view text) const;
  double width(std::u32string_view text) const;

 private:
  struct Node {
    PdfObject value;                    // references point at other nodes: PdfReference(index + 1, 0)
    std::optional<std::string> stream;  // raw (encoded) stream bytes
  };
  AppearanceFont(const std::string& fontPath, const std::u32string& chars);
  void collect(PdfVecObjects& objects, const PdfReference& ref, std::map<PdfReference, std::size_t>& seen);

  std::vector<Node> nodes_;  // children before parents; the last one is the Type0 font
  std::map<char32_t, unsigned> gids_;
  std::map<unsigned, double> widths_;
  double defaultWidth_ = 1000;
  mutable std::mutex copying_;  // PoDoFo objects are not documented as safe for concurrent reads
};

PdfObject remapped(const PdfObject& v, const std::function<PdfReference(const PdfReference&)>& map) {
  if (v.IsReference()) return PdfObject(map(v.GetReference()));
  if (v.IsDictionary()) {
    PdfDictionary d;
    for (const auto& [key, value] : v.GetDictionary().GetKeys()) d.AddKey(key, remapped(*value, map));
    return PdfObject(d);
  }
  if (v.IsArray()) {
    PdfArray a;
    for (const auto& e : v.GetArray()) a.push_back(remapped(e, map));
    return PdfObject(a);
  }
  return v;
}

void AppearanceFont::collect(PdfVecObjects& objects, const PdfReference& ref,
                             std::map<PdfReference, std::size_t>& seen) {
  if (seen.count(ref)) return;
  PdfObject* obj = objects.GetObject(ref);
  if (!obj) throw Error(ErrorCode::Internal, "signature font: dangling reference");
  if (!obj->IsDictionary()) throw Error(ErrorCode::Internal, "signature font: unexpected object type");
  seen[ref] = SIZE_MAX;  // in progress; the font graph has no cycles
  std::function<void(const PdfObject&)> visit = [&](const PdfObject& v) {
    if (v.IsReference()) collect(objects, v.GetReference(), seen);
    if (v.IsDictionary()) {
      for (const auto& [key, value] : v.GetDictionary().GetKeys()) visit(*value);
    }
    if (v.IsArray()) {
      for (const auto& e : v.GetArray()) visit(e);
    }
  };
  visit(*obj);
  auto local = [&](const PdfReference& r) {
    if (seen.at(r) == SIZE_MAX) throw Error(ErrorCode::Internal, "signature font: cyclic references");
    return PdfReference(static_cast<pdf_objnum>(seen.at(r) + 1), 0);
  };
  Node node{remapped(*obj, local), std::nullopt};
  if (obj->HasStream()) {
    // The raw bytes, still encoded as the stream's /Filter says.
    char* raw = nullptr;
    pdf_long rawLen = 0;
    obj->GetStream()->GetCopy(&raw, &rawLen);
    std::unique_ptr<char, void (*)(void*)> owned(raw, podofo_free);
    node.stream = std::string(raw ? raw : "", raw ? static_cast<std::size_t>(rawLen) : 0);
  }
  seen[ref] = nodes_.size();
  nodes_.push_back(std::move(node));
}

AppearanceFont::AppearanceFont(const std::string& fontPath, const std::u32string& chars) {
  PdfMemDocument scratch;
  // A subset with the Identity encoding: any script renders, and only the used glyphs are embedded.
  PdfFont* font = scratch.CreateFontSubset("A6SignatureFont", false, false, false,
                                           PdfEncodingFactory::GlobalIdentityEncodingInstance(), fontPath.c_str());
  if (!font) throw Error(ErrorCode::Config, "signature font " + fontPath + ": cannot be loaded");
  PdfString text(reinterpret_cast<const pdf_utf8*>(toUtf8(chars).c_str()));
  PdfString unicode = text.ToUnicode();
  font->AddUsedSubsettingGlyphs(unicode, static_cast<long>(unicode.GetCharacterLength()));
  scratch.EmbedSubsetFonts();

  for (char32_t c : chars) gids_[c] = static_cast<unsigned>(font->GetFontMetrics()->GetGlyphId(static_cast<long>(c)));
  const PdfObject* descendants = font->GetObject()->GetIndirectKey("DescendantFonts");
  const PdfObject* cid = descendants && descendants->IsArray() && !descendants->GetArray().empty() &&
                                 descendants->GetArray()[0].IsReference()
                             ? scratch.GetObjects().GetObject(descendants->GetArray()[0].GetReference())
                             : nullptr;
  if (!cid) throw Error(ErrorCode::Internal, "signature font: no descendant font");
  if (const PdfObject* dw = cid->GetIndirectKey("DW"); dw && dw->IsNumber())
    defaultWidth_ = static_cast<double>(dw->GetNumber());
  // /W holds "first [w1 w2 …]" and "first last w" entries.
  if (const PdfObject* w = cid->GetIndirectKey("W"); w && w->IsArray()) {
    const PdfArray& a = w->GetArray();
    for (std::size_t i = 0; i + 1 < a.size();) {
      if (!a[i].IsNumber()) break;
      auto first = static_cast<unsigned>(a[i].GetNumber());
      if (a[i + 1].IsArray()) {
        unsigned gid = first;
        for (const auto& width : a[i + 1].GetArray()) widths_[gid++] = width.GetReal();
        i += 2;
      } else if (i + 2 < a.size()) {
        for (auto gid = first; gid <= static_cast<unsigned>(a[i + 1].GetNumber()); ++gid)
          widths_[gid] = a[i + 2].GetReal();
        i += 3;
      } else {
        break;
      }
    }
  }
  std::map<PdfReference, std::size_t> seen;
  collect(scratch.GetObjects(), font->GetObject()->Reference(), seen);
}

std::shared_ptr<const AppearanceFont> AppearanceFont::get(const std::string& fontPath, const std::u32string& chars) {
  // Bounded: a deployment has a handful of signatories, each with a stable set of characters.
  constexpr std::size_t kMaxEntries = 64;
  static std::mutex mutex;
  static std::map<std::pair<std::string, std::u32string>, std::shared_ptr<const AppearanceFont>> cache;
  auto key = std::make_pair(fontPath, chars);
  {
    std::lock_guard<std::mutex> lock(mutex);
    if (auto it = cache.find(key); it != cache.end()) return it->second;
  }
  if (!std::filesystem::is_regular_file(fontPath)) {
    throw Error(ErrorCode::Config, "signature font " + fontPath + ": no such file");
  }
  std::shared_ptr<const AppearanceFont> font(new AppearanceFont(fontPath, chars));
  std::lock_guard<std::mutex> lock(mutex);
  if (cache.size() >= kMaxEntries) cache.clear();
  cache.emplace(std::move(key), font);
  return font;
}

PdfObject* AppearanceFont::instantiate(PdfMemDocument& doc) const {
  std::lock_guard<std::mutex> lock(copying_);
  std::vector<PdfObject*> created;
  for (const Node& node : nodes_) {
    PdfObject value =
        remapped(node.value, [&](const PdfReference& r) { return created.at(r.ObjectNumber() - 1)->Reference(); });
    // Key by key: an incremental update writes only objects marked as changed, and a copied-in
    // dictionary is not.
    PdfObject* obj = doc.GetObjects().CreateObject();
    for (const auto& [key, v] : value.GetDictionary().GetKeys()) obj->GetDictionary().AddKey(key, *v);
    if (node.stream) {
      PdfMemoryInputStream in(node.stream->data(), static_cast<pdf_long>(node.stream->size()));
      obj->GetStream()->SetRawData(&in, static_cast<pdf_long>(node.stream->size()));
    }
    created.push_back(obj);
  }
  retagSubset(created.back());
  return created.back();
}

std::string AppearanceFont::encode(std::u32string_view text) const {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out = "<";
  for (char32_t c : text) {
    auto it = gids_.find(c);
    unsigned gid = it == gids_.end() ? 0 : it->second;
    for (int shift = 12; shift >= 0; shift -= 4) out.push_back(kHex[(gid >> shift) & 0xf]);
  }
  out.push_back('>');
  return out;
}

double AppearanceFont::width(std::u32string_view text) const {
  double total = 0;
  for (char32_t c : text) {
    auto gid = gids_.find(c);
    auto w = gid == gids_.end() ? widths_.end() : widths_.find(gid->second);
    total += w == widths_.end() ? defaultWidth_ : w->second;
  }
  return total;
}

// Locale-independent number text for content streams.
std::string num(double v) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed, 3);
  std::string s(buf, ec == std::errc() ? end : buf);
  while (s.find('.') != std::string::npos && (s.back() == '0' || s.back() == '.')) s.pop_back();
  return s.empty() || s == "-" ? "0" : s;
}

// Draws the visible signature block into a form XObject of the widget's size.
PdfObject* drawAppearance(PdfMemDocument& doc, const SignatureAppearance& a, const std::string& signerName,
                          a6::TimePoint signingTime) {
  std::vector<std::u32string> lines;
  lines.push_back(codePoints("Digitally signed by " + signerName));
  if (!a.signerTitle.empty()) lines.push_back(codePoints(a.signerTitle));
  lines.push_back(codePoints("Date: " + utcText(signingTime, "%Y-%m-%d %H:%M:%S UTC")));
  if (!a.reason.empty()) lines.push_back(codePoints("Reason: " + a.reason));
  if (!a.location.empty()) lines.push_back(codePoints("Location: " + a.location));

  std::u32string chars = U"0123456789";
  for (const auto& line : lines) chars += line;
  std::sort(chars.begin(), chars.end());
  chars.erase(std::unique(chars.begin(), chars.end()), chars.end());
  std::shared_ptr<const AppearanceFont> font = AppearanceFont::get(a.fontPath, chars);

  const double pad = std::min({4.0, a.width / 10, a.height / 10});
  const double innerWidth = a.width - 2 * pad;
  const double innerHeight = a.height - 2 * pad;
  const double lineFactor = 1.25;
  double size = std::min(kMaxFontSize, innerHeight / (static_cast<double>(lines.size()) * lineFactor));
  for (const auto& line : lines) {
    double unitWidth = font->width(line) / 1000;
    if (unitWidth > 0) size = std::min(size, innerWidth / unitWidth);
  }
  size = std::max(size, kMinFontSize);

  std::string content =
      "q\n0.13 0.27 0.53 RG 0.75 w 0.375 0.375 " + num(a.width - 0.75) + " " + num(a.height - 0.75) + " re S\n";
  // Text that still does not fit at the smallest size is cut at the border, not drawn outside.
  content += num(pad) + " " + num(pad) + " " + num(innerWidth) + " " + num(innerHeight) + " re W n\n";
  content += "BT\n0.05 0.1 0.25 rg\n/F1 " + num(size) + " Tf\n" + num(pad) + " " + num(a.height - pad - size) + " Td\n";
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (i > 0) content += "0 " + num(-size * lineFactor) + " Td\n";
    content += font->encode(lines[i]) + " Tj\n";
  }
  content += "ET\nQ\n";

  PdfObject* fontObj = font->instantiate(doc);
  PdfObject* xobj = doc.GetObjects().CreateObject("XObject");
  PdfDictionary& d = xobj->GetDictionary();
  d.AddKey("Subtype", PdfName("Form"));
  d.AddKey("FormType", PdfVariant(static_cast<pdf_int64>(1)));
  PdfArray bbox;
  bbox.push_back(PdfVariant(0.0));
  bbox.push_back(PdfVariant(0.0));
  bbox.push_back(PdfVariant(a.width));
  bbox.push_back(PdfVariant(a.height));
  d.AddKey("BBox", bbox);
  PdfDictionary fonts;
  fonts.AddKey("F1", fontObj->Reference());
  PdfDictionary resources;
  resources.AddKey("Font", fonts);
  PdfArray procSet;
  procSet.push_back(PdfName("PDF"));
  procSet.push_back(PdfName("Text"));
  resources.AddKey("ProcSet", procSet);
  d.AddKey("Resources", resources);
  xobj->GetStream()->Set(content.data(), static_cast<pdf_long>(content.size()));
  return xobj;
}

// --- the CMS ----------------------------------------------------------------------------------

std::string i2dCms(CMS_ContentInfo* cms) {
  unsigned char* buf = nullptr;
  int len = i2d_CMS_ContentInfo(cms, &buf);
  if (len <= 0) throw Error(ErrorCode::Internal, "cannot encode the CMS signature: " + ossl::errors());
  ossl::Bytes owned(buf);
  return std::string(reinterpret_cast<const char*>(buf), static_cast<std::size_t>(len));
}

// Signs the signed attributes as they stand. OpenSSL's CMS_SignerInfo_sign would add a
// signing-time attribute, which PAdES baseline forbids (the time belongs in /M or a time stamp),
// so the DER of the attribute SET is built and signed here.
void signAttributes(CMS_SignerInfo* si, EVP_PKEY* key) {
  ossl::AttributeStack attrs(sk_X509_ATTRIBUTE_new_null());
  if (!attrs) throw Error(ErrorCode::Internal, "out of memory");
  for (int i = 0; i < CMS_signed_get_attr_count(si); ++i)
    sk_X509_ATTRIBUTE_push(attrs.get(), CMS_signed_get_attr(si, i));
  unsigned char* der = nullptr;
  // PKCS7_ATTR_SIGN is the universal SET OF Attribute, DER-sorted exactly as signedAttrs is written.
  int derLen = ASN1_item_i2d(reinterpret_cast<ASN1_VALUE*>(attrs.get()), &der, ASN1_ITEM_rptr(PKCS7_ATTR_SIGN));
  if (derLen <= 0) throw Error(ErrorCode::Internal, "cannot encode the signed attributes: " + ossl::errors());
  ossl::Bytes derOwned(der);

  ossl::MdCtx ctx(EVP_MD_CTX_new());
  std::size_t sigLen = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &sigLen, der, static_cast<std::size_t>(derLen)) != 1) {
    throw Error(ErrorCode::Internal, "cannot start signing: " + ossl::errors());
  }
  std::vector<unsigned char> sig(sigLen);
  if (EVP_DigestSign(ctx.get(), sig.data(), &sigLen, der, static_cast<std::size_t>(derLen)) != 1) {
    throw Error(ErrorCode::Internal, "signing failed: " + ossl::errors());
  }
  if (ASN1_STRING_set(CMS_SignerInfo_get0_signature(si), sig.data(), static_cast<int>(sigLen)) != 1) {
    throw Error(ErrorCode::Internal, "out of memory");
  }
}

std::string buildCms(const SigningIdentity& identity, const Sha256Digest& digest, const SignOptions& options) {
  ossl::clearErrors();
  const unsigned int flags = CMS_DETACHED | CMS_BINARY | CMS_PARTIAL | CMS_NOSMIMECAP;
  ossl::Cms cms(CMS_sign(nullptr, nullptr, nullptr, nullptr, flags));
  if (!cms) throw Error(ErrorCode::Internal, "cannot create a CMS structure: " + ossl::errors());
  // CMS_CADES adds the ESS signing-certificate-v2 attribute (with SHA-256 as digest).
  CMS_SignerInfo* si =
      CMS_add1_signer(cms.get(), identity.certificate(), identity.privateKey(), EVP_sha256(), flags | CMS_CADES);
  if (!si) throw Error(ErrorCode::Internal, "cannot add the signer: " + ossl::errors());
  STACK_OF(X509)* chain = identity.chain();
  for (int i = 0; i < sk_X509_num(chain); ++i) {
    if (CMS_add1_cert(cms.get(), sk_X509_value(chain, i)) != 1) {
      // Already present (the signer listed in its own chain) is fine.
      ossl::clearErrors();
    }
  }
  if (CMS_signed_add1_attr_by_NID(si, NID_pkcs9_contentType, V_ASN1_OBJECT, OBJ_nid2obj(NID_pkcs7_data), -1) != 1 ||
      CMS_signed_add1_attr_by_NID(si, NID_pkcs9_messageDigest, V_ASN1_OCTET_STRING, digest.data(),
                                  static_cast<int>(digest.size())) != 1) {
    throw Error(ErrorCode::Internal, "cannot add the signed attributes: " + ossl::errors());
  }
  if (CMS_signed_get_attr_by_NID(si, NID_pkcs9_signingTime, -1) >= 0) {
    throw Error(ErrorCode::Internal, "OpenSSL added a CMS signing-time attribute");
  }
  signAttributes(si, identity.privateKey());

  if (options.tsaUrl) {
    // B-T: the token covers the signature value (id-aa-signatureTimeStampToken, RFC 3161 appendix A).
    const ASN1_OCTET_STRING* sig = CMS_SignerInfo_get0_signature(si);
    std::string_view sigBytes(reinterpret_cast<const char*>(ASN1_STRING_get0_data(sig)),
                              static_cast<std::size_t>(ASN1_STRING_length(sig)));
    std::string token = requestTimestampToken(*options.tsaUrl, sigBytes, options.tsaTimeout);
    if (CMS_unsigned_add1_attr_by_NID(si, NID_id_smime_aa_timeStampToken, V_ASN1_SEQUENCE, token.data(),
                                      static_cast<int>(token.size())) != 1) {
      throw Error(ErrorCode::Internal, "cannot add the time-stamp token: " + ossl::errors());
    }
  }
  return i2dCms(cms.get());
}

// --- one signing pass -------------------------------------------------------------------------

// Returns an empty string when the CMS did not fit into `reserve` bytes, so that the caller can
// retry with more room.
std::string signOnce(const std::string& pdf, const SigningIdentity& identity, const SignatureAppearance& appearance,
                     const SignOptions& options, std::size_t reserve) {
  PdfMemDocument doc;
  try {
    // Loaded "for update" in every case; whether the update is incremental is decided below.
    doc.LoadFromBuffer(pdf.data(), static_cast<long>(pdf.size()), true);
  } catch (const PdfError& e) {
    throw Error(ErrorCode::Invalid,
                std::string("cannot read the PDF to sign: ") + PdfError::ErrorMessage(e.GetError()));
  }
  const bool incremental = hasSignature(doc, pdf);
  if (incremental && !lastXrefIsTable(pdf)) {
    throw Error(ErrorCode::Invalid,
                "refusing to add a signature to a signed PDF whose cross-reference is a stream: PoDoFo 0.9 "
                "would break the earlier signatures");
  }
  if (appearance.page < 0 || appearance.page >= doc.GetPageCount()) {
    throw Error(ErrorCode::Invalid, "signature page " + std::to_string(appearance.page) +
                                        " is out of range (the PDF has " + std::to_string(doc.GetPageCount()) +
                                        " pages)");
  }
  if (doc.GetPdfVersion() < ePdfVersion_1_7) doc.SetPdfVersion(ePdfVersion_1_7);
  ensureEsicExtension(doc);

  PdfPage* page = doc.GetPage(appearance.page);
  PdfObject* form = ensureAcroForm(doc);
  PdfArray& fields = ensureArray(doc, form, "Fields");
  const std::string fieldName = uniqueFieldName(doc, fields);
  const std::string signerName = appearance.signerName.empty() ? identity.commonName() : appearance.signerName;

  const std::string nonce = randomHex(16);
  PdfObject* sig = doc.GetObjects().CreateObject("Sig");
  PdfDictionary& sd = sig->GetDictionary();
  sd.AddKey("Filter", PdfName("Adobe.PPKLite"));
  sd.AddKey("SubFilter", PdfName("ETSI.CAdES.detached"));
  sd.AddKey("M", PdfString(pdfDate(options.signingTime)));
  sd.AddKey("Name", utf8(signerName));
  if (!appearance.reason.empty()) sd.AddKey("Reason", utf8(appearance.reason));
  if (!appearance.location.empty()) sd.AddKey("Location", utf8(appearance.location));
  sd.AddKey("ByteRange", PdfVariant(PdfData(kByteRangePlaceholder.data(), kByteRangePlaceholder.size())));
  // The nonce makes the placeholder findable without trusting any other byte of the output.
  std::string contents = "<" + nonce + std::string(2 * reserve - nonce.size(), '0') + ">";
  sd.AddKey("Contents", PdfVariant(PdfData(contents.data(), contents.size())));

  const bool visible = appearance.width > 0 && appearance.height > 0;
  PdfObject* widget = doc.GetObjects().CreateObject("Annot");
  PdfDictionary& wd = widget->GetDictionary();
  wd.AddKey("Subtype", PdfName("Widget"));
  wd.AddKey("FT", PdfName("Sig"));
  wd.AddKey("T", PdfString(fieldName));
  wd.AddKey("V", sig->Reference());
  wd.AddKey("F", PdfVariant(kWidgetFlags));
  wd.AddKey("P", page->GetObject()->Reference());
  PdfArray rect;
  if (visible) {
    rect.push_back(PdfVariant(appearance.x));
    rect.push_back(PdfVariant(appearance.y));
    rect.push_back(PdfVariant(appearance.x + appearance.width));
    rect.push_back(PdfVariant(appearance.y + appearance.height));
    PdfObject* ap = drawAppearance(doc, appearance, signerName, options.signingTime);
    PdfDictionary apDict;
    apDict.AddKey("N", ap->Reference());
    wd.AddKey("AP", apDict);
  } else {
    for (int i = 0; i < 4; ++i) rect.push_back(PdfVariant(static_cast<pdf_int64>(0)));
  }
  wd.AddKey("Rect", rect);
  fields.push_back(widget->Reference());
  ensureArray(doc, page->GetObject(), "Annots").push_back(widget->Reference());

  PdfRefCountedBuffer buffer;
  std::string out;
  try {
    PdfOutputDevice device(&buffer);
    if (incremental) {
      doc.WriteUpdate(&device, true);
    } else {
      doc.Write(&device);
    }
    // The buffer grows in steps; only the device knows how much of it is the file.
    out.assign(buffer.GetBuffer(), device.GetLength());
  } catch (const PdfError& e) {
    throw Error(ErrorCode::Internal,
                std::string("cannot write the signed PDF: ") + PdfError::ErrorMessage(e.GetError()));
  }
  if (incremental && out.compare(0, pdf.size(), pdf) != 0) {
    throw Error(ErrorCode::Internal, "the incremental update changed bytes of the signed input");
  }

  // Locate the placeholders in what was written: the nonce marks /Contents, and the ByteRange
  // placeholder precedes it in the same dictionary (keys are written in sorted order).
  const std::size_t searchFrom = incremental ? pdf.size() : 0;
  std::size_t noncePos = out.find(nonce, searchFrom);
  if (noncePos == std::string::npos || noncePos == 0 || out[noncePos - 1] != '<' ||
      out.find(nonce, noncePos + 1) != std::string::npos) {
    throw Error(ErrorCode::Internal, "signature placeholder not found in the written PDF");
  }
  const std::size_t contentsStart = noncePos - 1;
  const std::size_t contentsEnd = contentsStart + contents.size();
  if (out.compare(contentsStart, contents.size(), contents) != 0) {
    throw Error(ErrorCode::Internal, "signature placeholder altered in the written PDF");
  }
  std::size_t rangePos = out.rfind(kByteRangePlaceholder, contentsStart);
  if (rangePos == std::string::npos || rangePos < searchFrom || contentsStart - rangePos > 256) {
    throw Error(ErrorCode::Internal, "ByteRange placeholder not found in the written PDF");
  }
  char range[64];
  int rangeLen =
      std::snprintf(range, sizeof range, "[0 %zu %zu %zu", contentsStart, contentsEnd, out.size() - contentsEnd);
  if (rangeLen < 0 || static_cast<std::size_t>(rangeLen) + 1 > kByteRangePlaceholder.size()) {
    throw Error(ErrorCode::Internal, "PDF too large for the ByteRange placeholder");
  }
  std::string rangeText(range, static_cast<std::size_t>(rangeLen));
  rangeText.append(kByteRangePlaceholder.size() - rangeText.size() - 1, ' ');
  rangeText.push_back(']');
  out.replace(rangePos, rangeText.size(), rangeText);

  Sha256 hash;
  hash.update(std::string_view(out).substr(0, contentsStart));
  hash.update(std::string_view(out).substr(contentsEnd));
  std::string cms = buildCms(identity, hash.finish(), options);
  if (2 * cms.size() > contents.size() - 2) return {};

  static constexpr char kHex[] = "0123456789abcdef";
  std::size_t pos = contentsStart + 1;
  for (unsigned char b : cms) {
    out[pos++] = kHex[b >> 4];
    out[pos++] = kHex[b & 0xf];
  }
  std::fill(out.begin() + static_cast<std::ptrdiff_t>(pos), out.begin() + static_cast<std::ptrdiff_t>(contentsEnd - 1),
            '0');
  return out;
}

}  // namespace

std::string pdfDate(a6::TimePoint t) { return utcText(t, "D:%Y%m%d%H%M%S+00'00'"); }

std::string signPdf(const std::string& pdf, const SigningIdentity& identity, const SignatureAppearance& appearance,
                    const SignOptions& options) {
  // PoDoFo's debug mode, on by default, prints every trailer it reads to stdout.
  static std::once_flag quiet;
  std::call_once(quiet, [] { PdfError::EnableDebug(false); });
  if (pdf.size() < 8 || pdf.find("%PDF-") > 1024) throw Error(ErrorCode::Invalid, "the document to sign is not a PDF");
  std::size_t certs = 0;
  for (const auto& der : identity.certificateChainDer()) certs += der.size();
  std::size_t reserve = std::max(kMinReserve, kCmsOverhead + certs + identity.maxSignatureSize());
  if (options.tsaUrl) reserve += kTimestampReserve;
  // Sized generously above; a second pass with twice the room covers an unusually large token.
  for (int attempt = 0; attempt < 2; ++attempt, reserve *= 2) {
    std::string out;
    try {
      out = signOnce(pdf, identity, appearance, options, reserve);
    } catch (const PdfError& e) {
      // PoDoFo loads objects lazily, so a broken input can surface anywhere in the pass.
      throw Error(ErrorCode::Invalid,
                  std::string("cannot process the PDF to sign: ") + PdfError::ErrorMessage(e.GetError()));
    }
    if (!out.empty()) return out;
  }
  throw Error(ErrorCode::Internal, "the CMS signature does not fit into its reserved space");
}

}  // namespace a6::signing
