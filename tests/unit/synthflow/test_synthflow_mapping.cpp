// vami's words on Synthflow's fields: the agent marker, languages, source types, call times and
// transcripts (providers/synthflow/synthflow_mapping.hpp).
#include "synthflow/synthflow_mapping.hpp"
#include <gtest/gtest.h>

namespace vami::synthflow::detail {
namespace {

TEST(SynthflowMarker, WhatIsWrittenIsReadBack) {
  AgentMarker marker{
      {"vami", "vami-agent:front-desk", "vami-tenant:acme"},
      {{"kb-1", "", DocumentSourceKind::url}, {"kb-2", "", DocumentSourceKind::text}}};
  EXPECT_EQ(parse_marker(marker_description(marker)), marker);
  EXPECT_EQ(parse_marker(marker_description({})), AgentMarker{});
}

TEST(SynthflowMarker, ADescriptionNotWrittenByVamiCarriesNoMarker) {
  EXPECT_EQ(parse_marker("tags: vami vami-agent:x\nknowledge: url:kb-1"), AgentMarker{});
  EXPECT_EQ(parse_marker(""), AgentMarker{});
  // Words vami cannot read (no kind, an unknown kind, no id) are left out.
  AgentMarker read = parse_marker(std::string(k_marker_title) +
                                  "\ntags: a\nknowledge: kb-1 folder:kb-2 url: text:kb-3");
  EXPECT_EQ(read.tags, std::vector<std::string>{"a"});
  ASSERT_EQ(read.knowledge_base.size(), 1U);
  EXPECT_EQ(read.knowledge_base[0].document_id, "kb-3");
}

TEST(SynthflowLanguages, IsoCodesMapOntoSynthflowsList) {
  EXPECT_EQ(synthflow_language("en"), "en-US");
  EXPECT_EQ(synthflow_language("de"), "de-DE");
  EXPECT_EQ(synthflow_language("fr"), "fr");
  EXPECT_EQ(synthflow_language("it"), "it");
  EXPECT_EQ(synthflow_language("pt"), "pt-BR");
  EXPECT_EQ(synthflow_language("en-US"), "en-US");
  EXPECT_EQ(synthflow_language("multi"), "multi");
  EXPECT_EQ(synthflow_language("da"), "da");
  EXPECT_FALSE(synthflow_language("sw").has_value());
  EXPECT_EQ(vami_language("en-US"), "en");
  EXPECT_EQ(vami_language("pt-BR"), "pt");
  EXPECT_EQ(vami_language("multi"), "multi");
  EXPECT_EQ(vami_language(""), "");
}

TEST(SynthflowSources, UrlsAndTypes) {
  EXPECT_EQ(url_source_type("https://a.example/x.pdf"), "pdf");
  EXPECT_EQ(url_source_type("https://a.example/x.PDF#page=2"), "pdf");
  EXPECT_EQ(url_source_type("https://a.example/pdf"), "web");
  EXPECT_EQ(url_source_type("https://a.example/?f=x.pdf"), "web");
  EXPECT_EQ(source_kind("web"), DocumentSourceKind::url);
  EXPECT_EQ(source_kind("pdf"), DocumentSourceKind::url);
  EXPECT_EQ(source_kind("text"), DocumentSourceKind::text);
  EXPECT_FALSE(source_kind("video").has_value());
}

TEST(SynthflowCallsMapping, TimesAndTranscripts) {
  EXPECT_EQ(seconds_from_millis("1732546200999"), 1732546200);
  EXPECT_EQ(seconds_from_millis("string"), 0);
  EXPECT_EQ(seconds_from_millis(""), 0);
  std::vector<TranscriptLine> lines =
      transcript_lines("bot: Hi.\r\n\nhuman: Hello: me.\nno speaker here\nCarol: hey");
  ASSERT_EQ(lines.size(), 4U);
  EXPECT_EQ(lines[0].role, "agent");
  EXPECT_EQ(lines[0].message, "Hi.");
  EXPECT_EQ(lines[1].role, "user");
  EXPECT_EQ(lines[1].message, "Hello: me.");
  EXPECT_EQ(lines[2].role, "");
  EXPECT_EQ(lines[2].message, "no speaker here");
  EXPECT_EQ(lines[3].role, "carol");
}

} // namespace
} // namespace vami::synthflow::detail
