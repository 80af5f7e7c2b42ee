// Per-language formatting for letters: dates, grouped numbers, and the few fixed words the layout
// engine prints itself (footer, reference label, signature frame, verification caption). The
// wording of the letters lives in the templates, one file per language; only what the engine
// draws on its own comes from here.
#pragma once

#include <string>
#include <vector>

namespace a6::templates {

// The languages letters can be written in: "en", "fr", "es".
bool supportedLanguage(const std::string& lang);
const std::vector<std::string>& supportedLanguages();

// "2026-11-25" (or an RFC 3339 time stamp, of which the date part is used) as the language writes
// it: "25 November 2026", "25 novembre 2026" ("1er novembre 2026" on the first), "25 de noviembre
// de 2026". Throws a6::Error(Invalid) for a malformed or impossible date or an unsupported
// language.
std::string formatDate(const std::string& isoDate, const std::string& lang);

// Digits grouped by three: "1,500,000" (en), "1 500 000" with U+202F NARROW NO-BREAK SPACE (fr),
// "1.500.000" (es). Every number of four digits or more is grouped, so that quantities in one
// letter line up the same way. Throws a6::Error(Invalid) for an unsupported language.
std::string formatNumber(long long value, const std::string& lang);

// The fixed texts the layout engine prints. Keys: "reference" (label before the letter's
// reference), "signature" (label in the signature frame), "verification" (caption beside the QR
// code). Throws a6::Error(Internal) for an unknown key, a6::Error(Invalid) for an unsupported
// language.
std::string label(const std::string& key, const std::string& lang);

// The lines of the letter's top-right block: "Reference: X" ("Référence : X"), and the place and
// date as each language writes them: "Accra, 25 November 2026", "Accra, le 25 novembre 2026",
// "Accra, 25 de noviembre de 2026". Either part of the second may be empty.
std::string referenceLine(const std::string& reference, const std::string& lang);
std::string placeDateLine(const std::string& place, const std::string& date, const std::string& lang);

// The running footer's page counter: "page 2 of 3", "page 2 sur 3", "página 2 de 3".
std::string pageOf(int page, int pages, const std::string& lang);

}  // namespace a6::templates
