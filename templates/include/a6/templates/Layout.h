// The letter layout engine: a small XML layout language rendered to an A4 PDF 1.7 with PoDoFo.
//
//   <letter lang="en" title="…">            root; lang defaults to LayoutOptions::language
//     <letterhead><line size="large|normal|small">…</line>…</letterhead>
//                                            centred, first page only, under the emblem
//     <meta reference="…" date="…" place="…"/>  top right of the first page
//     <h level="1|2">…</h>                   1: centred title, 2 (default): section heading
//     <p align="justify|left|center|right">…</p>
//     <list type="bullet|number"><item>…</item>…</list>
//     <table widths="30 70" title="…"><header><cell>…</cell>…</header><row><cell>…</cell>…</row>…</table>
//     <signature role="…" name="…" title="…"/>  role defaults to "signatory"
//     <verification url="…" payload="…">optional caption</verification>
//   </letter>
// A table without rows is left out, with its title (drawn as a heading). Inline content (in line,
// h, p, item, cell, verification) is text with <b>, <i> and <br/>.
// Whitespace collapses as in HTML. Every page gets a footer: the reference at left, "page N of M"
// in the letter's language at right.
#pragma once

#include <string>
#include <vector>

namespace a6::templates {

struct Letterhead {
  std::string emblemPath;  // PNG or JPEG drawn centred above the letterhead lines; "" = none
};

struct LayoutOptions {
  std::string fontRegular = "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf";
  std::string fontBold = "/usr/share/fonts/truetype/dejavu/DejaVuSerif-Bold.ttf";
  std::string fontItalic = "/usr/share/fonts/truetype/dejavu/DejaVuSerif-Italic.ttf";
  std::string fontBoldItalic = "/usr/share/fonts/truetype/dejavu/DejaVuSerif-BoldItalic.ttf";
  std::string language = "en";  // used when <letter> has no lang attribute
  Letterhead letterhead;
};

// Where a visible signature goes: PDF points in the page's user space, origin bottom-left.
struct SignatureSlot {
  int page = 0;  // 0-based page index, as PoDoFo's GetPage() takes it
  double x = 0, y = 0, width = 0, height = 0;
  std::string role;
  std::string signerName;
  std::string signerTitle;
};

struct RenderedLetter {
  std::string pdf;
  int pages = 0;
  std::vector<SignatureSlot> slots;  // in document order
};

// Renders a layout document. Malformed XML, a DTD, entity references, unknown elements or
// attributes and bad attribute values throw a6::SourceError(Definition) with sourceName, the line
// and the reason; a font or emblem that cannot be read throws a6::Error(Config). Fonts are TrueType
// files embedded as subsets (Identity-H, with a ToUnicode map); their parsed tables and the decoded
// emblem are cached per process, keyed by path. Thread-safe.
RenderedLetter renderLayout(const std::string& layoutXml, const std::string& sourceName, const LayoutOptions& options);

// Parses and checks a layout document without drawing it (same errors as renderLayout).
void checkLayout(const std::string& layoutXml, const std::string& sourceName, const LayoutOptions& options = {});

}  // namespace a6::templates
