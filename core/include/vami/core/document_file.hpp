#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace vami {

/// Largest knowledge-base file vami uploads, in bytes (20 MiB, within the ElevenLabs limit for
/// one knowledge-base file).
inline constexpr std::int64_t k_max_document_bytes = 20 * 1024 * 1024;

/// A knowledge-base file read from disk and checked.
struct DocumentFile {
  std::string file_name; ///< The base name ("faq.pdf").
  std::string mime_type; ///< What libmagic sees in the content ("application/pdf").
  std::string format;    ///< "pdf", "txt", "markdown", "docx", "html" or "epub".
  std::int64_t size_bytes = 0;
  std::string sha256;  ///< Lower-case hex of the content.
  std::string content; ///< The bytes.
};

/// Reads a knowledge-base file and checks it before anything is uploaded: it exists and is a
/// regular file, is not empty, is at most k_max_document_bytes (checked from its size before
/// reading), and its content (libmagic, not its name) is one of the formats the ElevenLabs
/// knowledge base accepts: PDF, plain text, Markdown, DOCX, HTML or EPUB.
/// @throws Error(invalid_input) naming the file and what is wrong (missing, a folder, empty, too
///         large with its size, or its detected type such as an executable).
[[nodiscard]] DocumentFile read_document_file(const std::filesystem::path& path);

/// The SHA-256 of `bytes` as 64 lower-case hex digits (OpenSSL).
[[nodiscard]] std::string sha256_hex(std::string_view bytes);

} // namespace vami
