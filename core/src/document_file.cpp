#include <array>
#include <fstream>
#include <memory>
#include <string>
#include <system_error>

#include <magic.h>
#include <openssl/sha.h>

#include <vami/core/document_file.hpp>
#include <vami/core/error.hpp>

namespace vami {

namespace {

struct MagicCloser {
  void operator()(magic_t cookie) const noexcept { magic_close(cookie); }
};
using MagicCookie = std::unique_ptr<std::remove_pointer_t<magic_t>, MagicCloser>;

// What libmagic reports for each format the ElevenLabs knowledge base takes. Markdown has no
// magic of its own: it is text, told apart from plain text by its extension.
struct AcceptedType {
  const char* mime_type;
  const char* format;
};
constexpr std::array<AcceptedType, 6> k_accepted = {{
    {"application/pdf", "pdf"},
    {"text/plain", "txt"},
    {"text/markdown", "markdown"},
    {"application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"},
    {"text/html", "html"},
    {"application/epub+zip", "epub"},
}};

std::string detect_mime_type(const std::string& content) {
  MagicCookie cookie(magic_open(MAGIC_MIME_TYPE));
  if (!cookie || magic_load(cookie.get(), nullptr) != 0) {
    throw Error(ErrorKind::storage, "cannot load libmagic's file-type database",
                "install the libmagic-mgc package");
  }
  const char* type = magic_buffer(cookie.get(), content.data(), content.size());
  if (type == nullptr) {
    throw Error(ErrorKind::storage,
                std::string("libmagic cannot type the file: ") + magic_error(cookie.get()));
  }
  return type;
}

bool has_extension(const std::filesystem::path& path, std::initializer_list<const char*> list) {
  std::string extension = path.extension().string();
  for (char& c : extension) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  for (const char* candidate : list) {
    if (extension == candidate) {
      return true;
    }
  }
  return false;
}

std::string megabytes(std::int64_t bytes) {
  return std::to_string(bytes / (1024 * 1024)) + " MiB";
}

} // namespace

std::string sha256_hex(std::string_view bytes) {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest.data());
  static constexpr char k_hex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(digest.size() * 2);
  for (unsigned char byte : digest) {
    hex += k_hex[byte >> 4U];
    hex += k_hex[byte & 0xFU];
  }
  return hex;
}

DocumentFile read_document_file(const std::filesystem::path& path) {
  const std::string shown = path.string();
  std::error_code error;
  auto status = std::filesystem::status(path, error);
  if (error || !std::filesystem::exists(status)) {
    throw Error(ErrorKind::invalid_input, "knowledge file " + shown + " does not exist",
                "check the path");
  }
  if (!std::filesystem::is_regular_file(status)) {
    throw Error(ErrorKind::invalid_input, "knowledge file " + shown + " is not a regular file",
                "give a file, not a folder or device");
  }
  auto size = static_cast<std::int64_t>(std::filesystem::file_size(path, error));
  if (error) {
    throw Error(ErrorKind::invalid_input,
                "cannot read knowledge file " + shown + ": " + error.message());
  }
  if (size == 0) {
    throw Error(ErrorKind::invalid_input, "knowledge file " + shown + " is empty",
                "an agent learns nothing from an empty document");
  }
  // Checked before reading: a 2 GB file is refused without loading it.
  if (size > k_max_document_bytes) {
    throw Error(ErrorKind::invalid_input,
                "knowledge file " + shown + " is " + megabytes(size) + "; the limit is " +
                    megabytes(k_max_document_bytes),
                "split it into smaller documents");
  }
  std::ifstream in(path, std::ios::binary);
  DocumentFile file;
  file.content.resize(static_cast<std::size_t>(size));
  if (!in.read(file.content.data(), static_cast<std::streamsize>(size))) {
    throw Error(ErrorKind::invalid_input, "cannot read knowledge file " + shown,
                "check the file's permissions");
  }
  file.file_name = path.filename().string();
  file.size_bytes = size;
  file.mime_type = detect_mime_type(file.content);
  for (const AcceptedType& accepted : k_accepted) {
    if (file.mime_type == accepted.mime_type) {
      file.format = accepted.format;
    }
  }
  if (file.format == "txt" && has_extension(path, {".md", ".markdown"})) {
    file.mime_type = "text/markdown";
    file.format = "markdown";
  }
  if (file.format.empty()) {
    throw Error(ErrorKind::invalid_input,
                "knowledge file " + shown + " is " + file.mime_type +
                    ", which the knowledge base does not accept",
                "upload PDF, plain text, Markdown, DOCX, HTML or EPUB");
  }
  file.sha256 = sha256_hex(file.content);
  return file;
}

} // namespace vami
