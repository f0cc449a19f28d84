#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "service_fixture.hpp"
#include "temp_dir.hpp"
#include <gtest/gtest.h>

#include <vami/core/assignment_service.hpp>
#include <vami/core/clock.hpp>
#include <vami/core/document_file.hpp>
#include <vami/core/error.hpp>
#include <vami/core/input_rules.hpp>

namespace vami {
namespace {

using test::contains;
using test::error_of;
using test::kind_of;

// --- slugs, names, e-mail, prompt, greeting, language, URL, UTF-8 ---------------------------

TEST(InputRules, AcceptsGoodSlugs) {
  for (const char* slug : {"a", "acme", "acme-dental", "dr-smith-2", "2nd-office",
                           "a234567890123456789012345678901234567890123456789012345678901"}) {
    EXPECT_NO_THROW(validate_slug(slug, "tenant slug")) << slug;
  }
  EXPECT_NO_THROW(validate_slug(std::string(63, 'a'), "tenant slug"));
}

TEST(InputRules, RefusesBadSlugsSayingWhyAndSuggestingOne) {
  struct Case {
    std::string slug;
    std::string why;
  };
  for (const Case& c : std::vector<Case>{{"", "empty"},
                                         {"acme dental", "space"},
                                         {"Acme", "upper-case"},
                                         {"acme_dental", "\"_\""},
                                         {"-acme", "'-'"},
                                         {"acme-", "'-'"},
                                         {"caf\xc3\xa9", "lower-case letter"},
                                         {std::string(64, 'a'), "longer than 63"}}) {
    Error error = error_of([&] { validate_slug(c.slug, "tenant slug"); });
    EXPECT_EQ(error.kind(), ErrorKind::invalid_input) << c.slug;
    EXPECT_TRUE(contains(error.what(), "tenant slug")) << error.what();
    EXPECT_TRUE(contains(error.what(), c.why)) << error.what();
  }
  Error spaced = error_of([&] { validate_slug("Acme Dental", "tenant slug"); });
  EXPECT_TRUE(contains(spaced.hint(), "\"acme-dental\"")) << spaced.hint();
}

TEST(InputRules, MakesSlugsFromNames) {
  EXPECT_EQ(slug_from_name("Dr. Smith's Office"), "dr-smith-s-office");
  EXPECT_EQ(slug_from_name("  Acme   Dental  "), "acme-dental");
  EXPECT_EQ(slug_from_name("Caf\xc3\xa9 Bleu"), "caf-bleu");
  EXPECT_EQ(slug_from_name("***"), "");
  EXPECT_EQ(slug_from_name("\xe6\x9d\xb1\xe4\xba\xac"), ""); // no ASCII letters
  std::string long_slug = slug_from_name(std::string(62, 'a') + " b c");
  EXPECT_EQ(long_slug, std::string(62, 'a')); // cut at 63, no trailing '-'
  EXPECT_NO_THROW(validate_slug(long_slug, "slug"));
}

TEST(InputRules, ChecksDisplayNames) {
  EXPECT_NO_THROW(validate_display_name("Acme Dental", "tenant name"));
  EXPECT_NO_THROW(validate_display_name("Z\xc3\xbcrich Zahnarzt", "tenant name"));
  EXPECT_NO_THROW(validate_display_name(std::string(k_max_display_name_bytes, 'n'), "name"));
  for (const std::string& name :
       {std::string(), std::string("   "), std::string(k_max_display_name_bytes + 1, 'n'),
        std::string("tab\there"), std::string("line\nbreak"), std::string("bad \xff byte"),
        std::string("esc\x1b[31m")}) {
    EXPECT_EQ(kind_of([&] { validate_display_name(name, "tenant name"); }),
              ErrorKind::invalid_input)
        << name;
  }
}

TEST(InputRules, ChecksEmailLoosely) {
  for (const char* email : {"", "ops@example.com", "dana.smith+vami@mail.acme.co.uk"}) {
    EXPECT_NO_THROW(validate_email(email)) << email;
  }
  for (const char* email :
       {"dana", "dana@", "@example.com", "dana@example", "dana@@example.com", "dana@example.",
        "dana smith@example.com", "a@b@example.com", "dana@.com"}) {
    EXPECT_EQ(kind_of([&] { validate_email(email); }), ErrorKind::invalid_input) << email;
  }
}

TEST(InputRules, ChecksPromptsBySizeAndEncoding) {
  EXPECT_NO_THROW(validate_prompt("Book appointments."));
  EXPECT_NO_THROW(validate_prompt(std::string(k_max_prompt_bytes, 'p')));
  EXPECT_EQ(kind_of([&] { validate_prompt(""); }), ErrorKind::invalid_input);
  EXPECT_EQ(kind_of([&] { validate_prompt(" \n\t\r "); }), ErrorKind::invalid_input);
  EXPECT_EQ(kind_of([&] { validate_prompt("bad \xc3 utf-8"); }), ErrorKind::invalid_input);
  Error big = error_of([&] { validate_prompt(std::string(100'000, 'p')); });
  EXPECT_EQ(big.kind(), ErrorKind::invalid_input);
  EXPECT_TRUE(contains(big.what(), "100000")) << big.what();
  EXPECT_TRUE(contains(big.what(), "50000")) << big.what();
  EXPECT_TRUE(contains(big.hint(), "vami kb add")) << big.hint();
  EXPECT_EQ(kind_of([&] { validate_prompt(std::string(k_max_prompt_bytes + 1, 'p')); }),
            ErrorKind::invalid_input);
}

TEST(InputRules, ChecksGreetings) {
  EXPECT_NO_THROW(validate_first_message(""));
  EXPECT_NO_THROW(validate_first_message(std::string(k_max_first_message_bytes, 'g')));
  EXPECT_EQ(
      kind_of([&] { validate_first_message(std::string(k_max_first_message_bytes + 1, 'g')); }),
      ErrorKind::invalid_input);
  EXPECT_EQ(kind_of([&] { validate_first_message("Hi \xed\xa0\x80"); }), ErrorKind::invalid_input);
}

TEST(InputRules, AcceptsTheAgentPlatformsLanguagesOnly) {
  for (const char* language : {"en", "es", "pt-br", "fil", "zh"}) {
    EXPECT_NO_THROW(validate_language(language)) << language;
  }
  for (const char* language : {"", "EN", "english", "xx", "en-us", "pt_br"}) {
    Error error = error_of([&] { validate_language(language); });
    EXPECT_EQ(error.kind(), ErrorKind::invalid_input) << language;
    EXPECT_TRUE(contains(error.hint(), "pt-br")) << error.hint();
  }
}

TEST(InputRules, AcceptsHttpAndHttpsUrlsOnly) {
  for (const char* url : {"https://acme.example.com", "http://acme.example.com/faq?x=1#top",
                          "https://127.0.0.1:8443/faq"}) {
    EXPECT_NO_THROW(validate_document_url(url)) << url;
  }
  for (const char* url :
       {"", "acme.example.com/faq", "ftp://acme.example.com/faq", "file:///etc/passwd",
        "javascript:alert(1)", "https://", "https:///path", "https://acme.example.com/a b",
        "https://acme.example.com/\"quote\"", "HTTPS//acme.example.com"}) {
    EXPECT_EQ(kind_of([&] { validate_document_url(url); }), ErrorKind::invalid_input) << url;
  }
}

TEST(InputRules, ASchemeIsComparedWithoutCase) {
  // RFC 3986 section 3.1: schemes are case-insensitive.
  EXPECT_EQ(url_scheme("HTTPS://acme.example.com"), UrlScheme::https);
  EXPECT_EQ(url_scheme("Http://acme.example.com"), UrlScheme::http);
  EXPECT_EQ(url_scheme("https:/acme.example.com"), UrlScheme::other);
  EXPECT_EQ(url_scheme("HTTPSX://acme.example.com"), UrlScheme::other);
  EXPECT_NO_THROW(validate_document_url("HTTPS://acme.example.com/faq"));
  EXPECT_NO_THROW(validate_document_url("hTTp://acme.example.com/faq"));
}

TEST(InputRules, RecognisesValidUtf8) {
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8("plain ASCII"));
  EXPECT_TRUE(is_valid_utf8("Z\xc3\xbcrich"));                  // 2 bytes
  EXPECT_TRUE(is_valid_utf8("\xe2\x82\xac"));                   // euro sign, 3 bytes
  EXPECT_TRUE(is_valid_utf8("\xf0\x9f\x93\x9e"));               // telephone receiver, 4 bytes
  EXPECT_TRUE(is_valid_utf8("\xf4\x8f\xbf\xbf"));               // U+10FFFF
  EXPECT_FALSE(is_valid_utf8("\xff"));                          // never in UTF-8
  EXPECT_FALSE(is_valid_utf8("\x80"));                          // lone continuation byte
  EXPECT_FALSE(is_valid_utf8("\xc3"));                          // truncated at the end
  EXPECT_FALSE(is_valid_utf8("\xe2\x82"));                      // truncated at the end
  EXPECT_FALSE(is_valid_utf8("\xc3("));                         // bad continuation
  EXPECT_FALSE(is_valid_utf8("\xc0\xaf"));                      // overlong '/'
  EXPECT_FALSE(is_valid_utf8("\xe0\x80\xaf"));                  // overlong '/'
  EXPECT_FALSE(is_valid_utf8("\xed\xa0\x80"));                  // surrogate U+D800
  EXPECT_FALSE(is_valid_utf8("\xf4\x90\x80\x80"));              // past U+10FFFF
  EXPECT_TRUE(is_valid_utf8(std::string("nul \0 inside", 12))); // NUL is a character
}

// --- knowledge files -----------------------------------------------------------------------

std::uint32_t crc32(const std::string& data) {
  std::uint32_t crc = 0xFFFFFFFFU;
  for (char c : data) {
    crc ^= static_cast<unsigned char>(c);
    for (int bit = 0; bit < 8; ++bit) {
      crc = (crc >> 1U) ^ (0xEDB88320U & (0U - (crc & 1U)));
    }
  }
  return ~crc;
}

void put16(std::string& out, std::uint32_t value) {
  out += static_cast<char>(value & 0xFFU);
  out += static_cast<char>((value >> 8U) & 0xFFU);
}

void put32(std::string& out, std::uint32_t value) {
  put16(out, value & 0xFFFFU);
  put16(out, value >> 16U);
}

// A ZIP archive with the entries stored (not compressed), in order: the container of DOCX and
// EPUB, which libmagic tells apart by their first entries.
std::string zip(const std::vector<std::pair<std::string, std::string>>& entries) {
  std::string archive;
  std::string directory;
  for (const auto& [name, data] : entries) {
    const auto offset = static_cast<std::uint32_t>(archive.size());
    const auto size = static_cast<std::uint32_t>(data.size());
    const auto name_size = static_cast<std::uint32_t>(name.size());
    put32(archive, 0x04034b50U); // local file header
    put16(archive, 20);          // version needed
    put16(archive, 0);           // flags
    put16(archive, 0);           // stored
    put16(archive, 0);           // time
    put16(archive, 0x21);        // date: 1980-01-01
    put32(archive, crc32(data));
    put32(archive, size);
    put32(archive, size);
    put16(archive, name_size);
    put16(archive, 0); // extra
    archive += name;
    archive += data;

    put32(directory, 0x02014b50U); // central directory header
    put16(directory, 20);
    put16(directory, 20);
    put16(directory, 0);
    put16(directory, 0);
    put16(directory, 0);
    put16(directory, 0x21);
    put32(directory, crc32(data));
    put32(directory, size);
    put32(directory, size);
    put16(directory, name_size);
    put16(directory, 0); // extra
    put16(directory, 0); // comment
    put16(directory, 0); // disk
    put16(directory, 0); // internal attributes
    put32(directory, 0); // external attributes
    put32(directory, offset);
    directory += name;
  }
  const auto directory_offset = static_cast<std::uint32_t>(archive.size());
  archive += directory;
  put32(archive, 0x06054b50U); // end of central directory
  put16(archive, 0);
  put16(archive, 0);
  put16(archive, static_cast<std::uint32_t>(entries.size()));
  put16(archive, static_cast<std::uint32_t>(entries.size()));
  put32(archive, static_cast<std::uint32_t>(directory.size()));
  put32(archive, directory_offset);
  put16(archive, 0);
  return archive;
}

std::string docx_bytes() {
  return zip(
      {{"[Content_Types].xml",
        R"(<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>)"},
       {"_rels/.rels",
        R"(<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>)"},
       {"word/document.xml",
        R"(<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>Opening hours: 9-17</w:t></w:r></w:p></w:body></w:document>)"}});
}

std::string epub_bytes() {
  return zip(
      {{"mimetype", "application/epub+zip"},
       {"META-INF/container.xml",
        R"(<?xml version="1.0"?><container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles><rootfile full-path="content.opf" media-type="application/oebps-package+xml"/></rootfiles></container>)"},
       {"content.opf", R"(<?xml version="1.0"?><package version="3.0"/>)"}});
}

std::string pdf_bytes() {
  return "%PDF-1.4\n"
         "1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
         "2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
         "trailer << /Root 1 0 R >>\n"
         "%%EOF\n";
}

std::string elf_bytes() {
  std::string elf(64, '\0');
  elf.replace(0, 7,
              "\x7f"
              "ELF\x02\x01\x01");
  elf[16] = '\x02'; // ET_EXEC
  elf[18] = '\x3e'; // x86-64
  elf[20] = '\x01'; // EV_CURRENT
  return elf;
}

class DocumentFileTest : public ::testing::Test {
protected:
  std::filesystem::path write(const std::string& name, const std::string& content) {
    auto path = m_dir / name;
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }

  testing::TempDir m_dir;
};

TEST_F(DocumentFileTest, AcceptsTheFormatsTheKnowledgeBaseTakesByTheirContent) {
  struct Case {
    std::string name;
    std::string content;
    std::string mime_type;
    std::string format;
  };
  const std::vector<Case> cases = {
      {"guide.pdf", pdf_bytes(), "application/pdf", "pdf"},
      {"guide.docx", docx_bytes(),
       "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"},
      {"guide.epub", epub_bytes(), "application/epub+zip", "epub"},
      {"guide.html",
       "<!DOCTYPE html>\n<html><head><title>FAQ</title></head><body><p>Open "
       "9-17</p></body></html>\n",
       "text/html", "html"},
      {"faq.txt", "Q: Parking?\nA: Behind the building.\n", "text/plain", "txt"},
      {"faq.md", "# FAQ\n\n* Parking: behind the building\n", "text/markdown", "markdown"},
      {"FAQ.MARKDOWN", "# FAQ\n\nParking behind the building.\n", "text/markdown", "markdown"},
      // The name does not decide: a PDF named .txt is a PDF, text named .pdf is text.
      {"renamed.txt", pdf_bytes(), "application/pdf", "pdf"},
      {"renamed.pdf", "Just some words.\n", "text/plain", "txt"},
  };
  for (const Case& c : cases) {
    DocumentFile file = read_document_file(write(c.name, c.content));
    EXPECT_EQ(file.mime_type, c.mime_type) << c.name;
    EXPECT_EQ(file.format, c.format) << c.name;
    EXPECT_EQ(file.file_name, c.name);
    EXPECT_EQ(file.size_bytes, static_cast<std::int64_t>(c.content.size())) << c.name;
    EXPECT_EQ(file.content, c.content) << c.name;
    EXPECT_EQ(file.sha256, sha256_hex(c.content)) << c.name;
  }
}

TEST_F(DocumentFileTest, RefusesAnExecutableWhateverItsName) {
  for (const char* name : {"setup", "faq.pdf", "faq.txt"}) {
    Error error = error_of([&] { (void)read_document_file(write(name, elf_bytes())); });
    EXPECT_EQ(error.kind(), ErrorKind::invalid_input) << name;
    EXPECT_TRUE(contains(error.what(), "executable")) << error.what();
    EXPECT_TRUE(contains(error.hint(), "PDF")) << error.hint();
  }
  auto zip_file = write("archive.docx", zip({{"notes.txt", "not a document"}}));
  EXPECT_EQ(kind_of([&] { (void)read_document_file(zip_file); }), ErrorKind::invalid_input);
  auto png =
      write("image.txt", std::string("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16) + std::string(32, '\0'));
  EXPECT_EQ(kind_of([&] { (void)read_document_file(png); }), ErrorKind::invalid_input);
}

TEST_F(DocumentFileTest, RefusesEmptyMissingAndFolders) {
  Error empty = error_of([&] { (void)read_document_file(write("empty.txt", "")); });
  EXPECT_EQ(empty.kind(), ErrorKind::invalid_input);
  EXPECT_TRUE(contains(empty.what(), "empty")) << empty.what();
  Error missing = error_of([&] { (void)read_document_file(m_dir / "missing.pdf"); });
  EXPECT_EQ(missing.kind(), ErrorKind::invalid_input);
  EXPECT_TRUE(contains(missing.what(), "does not exist")) << missing.what();
  Error folder = error_of([&] { (void)read_document_file(m_dir.path()); });
  EXPECT_EQ(folder.kind(), ErrorKind::invalid_input);
  EXPECT_TRUE(contains(folder.what(), "not a regular file")) << folder.what();
}

TEST_F(DocumentFileTest, RefusesAnOversizedFileWithoutReadingIt) {
  // Sparse files: their size is what counts, and nothing of them is read.
  auto huge = m_dir / "huge.pdf";
  write("huge.pdf", pdf_bytes());
  std::filesystem::resize_file(huge, std::uintmax_t{2} * 1024 * 1024 * 1024);
  Error error = error_of([&] { (void)read_document_file(huge); });
  EXPECT_EQ(error.kind(), ErrorKind::invalid_input);
  EXPECT_TRUE(contains(error.what(), "2048 MiB")) << error.what();
  EXPECT_TRUE(contains(error.what(), "20 MiB")) << error.what();

  auto just_over = m_dir / "just-over.txt";
  write("just-over.txt", "text");
  std::filesystem::resize_file(just_over, static_cast<std::uintmax_t>(k_max_document_bytes) + 1);
  EXPECT_EQ(kind_of([&] { (void)read_document_file(just_over); }), ErrorKind::invalid_input);
}

TEST(Sha256, MatchesTheStandardVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

// --- --since -------------------------------------------------------------------------------

constexpr std::int64_t k_now = 1'795'000'000; // 2026-11-18T11:06:40Z

TEST(ParseSince, ReadsDatesAndTimesInUtc) {
  EXPECT_EQ(utc_iso8601(k_now), "2026-11-18T11:06:40Z");
  EXPECT_EQ(parse_since("", k_now), "");
  EXPECT_EQ(parse_since("2026-11-22", k_now), "2026-11-22T00:00:00Z");
  EXPECT_EQ(parse_since("2026-11-22T10:00", k_now), "2026-11-22T10:00:00Z");
  EXPECT_EQ(parse_since("2026-11-22T10:00:05Z", k_now), "2026-11-22T10:00:05Z");
  EXPECT_EQ(parse_since("2026-11-22T10:00:05", k_now), "2026-11-22T10:00:05Z");
  EXPECT_EQ(parse_since("2024-02-29", k_now), "2024-02-29T00:00:00Z"); // a leap day
  EXPECT_EQ(parse_since("2026-01-31T23:59:59Z", k_now), "2026-01-31T23:59:59Z");
  EXPECT_EQ(parse_since("2016-12-31T23:59:60Z", k_now), "2017-01-01T00:00:00Z"); // leap second
}

TEST(ParseSince, ReadsAgesBeforeNow) {
  EXPECT_EQ(parse_since("30s", k_now), "2026-11-18T11:06:10Z");
  EXPECT_EQ(parse_since("90m", k_now), "2026-11-18T09:36:40Z");
  EXPECT_EQ(parse_since("24h", k_now), "2026-11-17T11:06:40Z");
  EXPECT_EQ(parse_since("7d", k_now), "2026-11-11T11:06:40Z");
  EXPECT_EQ(parse_since("0d", k_now), "2026-11-18T11:06:40Z");
}

TEST(ParseSince, RefusesAnythingElse) {
  for (const char* text : {"yesterday",
                           "7",
                           "7w",
                           "d",
                           "-5d",
                           "7d ago",
                           "1.5h",
                           "2026-13-01",
                           "2026-00-10",
                           "2026-11-32",
                           "2026-11-22T24:00",
                           "2026-11-22T10:60",
                           "2026-11-22T10:00:00+01:00",
                           "2026-11-22 10:00",
                           "2026/11/22",
                           "2026-11-22T10",
                           "2026-11-22Tnoon",
                           "2026-02-30",
                           "2025-02-29",
                           "2026-04-31",
                           "2026-11-22T-1:00",
                           "2026-11-22T10:-5",
                           " 2026-11-2",
                           "+202-11-22",
                           "2026-1-22",
                           "2026-11-22T10:00:00Zjunk",
                           "2026-11-22T10:00:00z"}) {
    Error error = error_of([&] { (void)parse_since(text, k_now); });
    EXPECT_EQ(error.kind(), ErrorKind::invalid_input) << text;
    EXPECT_TRUE(contains(error.hint(), "7d")) << text << ": " << error.hint();
  }
}

TEST(UrlHost, IsTheHostAlone) {
  EXPECT_EQ(url_host("https://Router.Example.com:8443/twilio/voice?x=1"), "router.example.com");
  EXPECT_EQ(url_host("http://[::1]:8080/"), "::1");
  EXPECT_EQ(url_host("http://127.0.0.1"), "127.0.0.1");
  EXPECT_EQ(url_host("https://user:pw@host.example/"), "");
  EXPECT_EQ(url_host("ftp://host.example/"), "");
}

TEST(LoopbackUrl, OnlyThisMachine) {
  for (const char* url : {"http://127.0.0.1:8080/twilio/voice", "http://localhost/x",
                          "HTTP://LOCALHOST:1", "http://[::1]:8080", "https://127.1.2.3/"}) {
    EXPECT_TRUE(is_loopback_url(url)) << url;
  }
  for (const char* url :
       {"http://router.example.com/", "http://127.0.0.1.example.com/", "http://10.0.0.1/",
        "http://localhost@evil.example/", "http://[::2]/", "file:///tmp"}) {
    EXPECT_FALSE(is_loopback_url(url)) << url;
  }
}

TEST(RouterUrl, PlainHttpOnlyForALoopbackRouter) {
  test::ServiceWorld world;
  EXPECT_NO_THROW(AssignmentService(world.m_telephony, world.m_voice_agents, *world.m_store,
                                    "tester", "http://127.0.0.1:8080/twilio/voice"));
  EXPECT_EQ(test::kind_of([&] {
              AssignmentService(world.m_telephony, world.m_voice_agents, *world.m_store, "tester",
                                "http://router.example.com/twilio/voice");
            }),
            ErrorKind::invalid_input);
}

} // namespace
} // namespace vami
