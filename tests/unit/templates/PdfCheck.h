// Test helpers for letters: run the independent PDF tools (poppler's pdftotext/pdffonts/pdftoppm,
// qpdf) on rendered files and compare content, never bytes; write an emblem PNG without a PNG
// library; keep outputs in the build tree so a person can look at them.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <sys/wait.h>

namespace a6::test {

struct CommandResult {
  int status = -1;
  std::string output;  // stdout and stderr
};

inline CommandResult run(const std::string& command) {
  CommandResult result;
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen((command + " 2>&1").c_str(), "r"), pclose);
  if (!pipe) return result;
  std::array<char, 4096> buffer{};
  size_t n = 0;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe.get())) > 0) result.output.append(buffer.data(), n);
  const int raw = pclose(pipe.release());
  result.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  return result;
}

inline bool haveTool(const std::string& name) { return run("command -v " + name).status == 0; }

// A folder under the test's working directory (ctest runs tests in the build tree).
inline std::filesystem::path outputDir(const std::string& name) {
  const auto dir = std::filesystem::current_path() / name;
  std::filesystem::create_directories(dir);
  return dir;
}

inline std::string writeFile(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
  return path.string();
}

// Runs of whitespace (including the line ends pdftotext adds) become one space; no-break spaces
// (U+00A0, U+202F) count as spaces, as text extraction tools print them so.
inline std::string normalise(std::string text) {
  for (const std::string nbsp : {"\u00A0", "\u202F"}) {
    for (size_t at = text.find(nbsp); at != std::string::npos; at = text.find(nbsp, at))
      text.replace(at, nbsp.size(), " ");
  }
  std::string out;
  bool space = false;
  for (char c : text) {
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f') {
      space = !out.empty();
    } else {
      if (space) out += ' ';
      space = false;
      out += c;
    }
  }
  return out;
}

// Text without any whitespace: for addresses that a line may break after a '/'.
inline std::string squeeze(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c != ' ') out += c;
  }
  return out;
}

// The text of a PDF (or of pages first..last), whitespace-normalised.
inline std::string pdfText(const std::string& pdfPath, int first = 0, int last = 0) {
  std::string command = "pdftotext -enc UTF-8";
  if (first > 0) command += " -f " + std::to_string(first);
  if (last > 0) command += " -l " + std::to_string(last);
  return normalise(run(command + " '" + pdfPath + "' -").output);
}

inline uint32_t crc32(const std::string& data) {
  uint32_t crc = 0xFFFFFFFFu;
  for (unsigned char c : data) {
    crc ^= c;
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

inline void put32(std::string& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((v >> shift) & 0xFF);
}

// An RGBA PNG emblem (a ring around a disc, transparent outside), zlib "stored" blocks only.
inline std::string makeEmblemPng(int size = 120) {
  std::string raw;
  const double c = size / 2.0;
  for (int y = 0; y < size; ++y) {
    raw += '\0';  // filter: none
    for (int x = 0; x < size; ++x) {
      const double d = std::hypot(x + 0.5 - c, y + 0.5 - c);
      std::array<unsigned char, 4> px{255, 255, 255, 0};
      if (d < c * 0.9 && d > c * 0.78) px = {0, 90, 60, 255};
      if (d < c * 0.7) px = {200, 160, 30, 255};
      raw.append(reinterpret_cast<const char*>(px.data()), 4);
    }
  }
  std::string zlib = "\x78\x01";
  uint32_t a = 1, b = 0;
  for (unsigned char ch : raw) {
    a = (a + ch) % 65521;
    b = (b + a) % 65521;
  }
  for (size_t pos = 0; pos < raw.size() || pos == 0;) {
    const size_t len = std::min<size_t>(65535, raw.size() - pos);
    const bool last = pos + len >= raw.size();
    zlib += static_cast<char>(last ? 1 : 0);
    zlib += static_cast<char>(len & 0xFF);
    zlib += static_cast<char>(len >> 8);
    zlib += static_cast<char>(~len & 0xFF);
    zlib += static_cast<char>((~len >> 8) & 0xFF);
    zlib.append(raw, pos, len);
    pos += len;
    if (last) break;
  }
  put32(zlib, (b << 16) | a);
  const auto chunk = [](const std::string& type, const std::string& data) {
    std::string out;
    put32(out, static_cast<uint32_t>(data.size()));
    out += type + data;
    put32(out, crc32(type + data));
    return out;
  };
  std::string header;
  put32(header, static_cast<uint32_t>(size));
  put32(header, static_cast<uint32_t>(size));
  header += std::string("\x08\x06\x00\x00\x00", 5);  // 8 bits, RGBA
  return std::string("\x89PNG\r\n\x1a\n", 8) + chunk("IHDR", header) + chunk("IDAT", zlib) + chunk("IEND", "");
}

}  // namespace a6::test
