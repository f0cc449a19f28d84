// vami's words on Synthflow's fields (synthflow_mapping.hpp).
#include "synthflow_mapping.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <string>
#include <utility>

namespace vami::synthflow::detail {

namespace {

constexpr std::string_view k_tags_label = "tags:";
constexpr std::string_view k_knowledge_label = "knowledge:";

/// `agent.language` of the contract's create, update and get schemas, in its order.
constexpr std::array<std::string_view, 32> k_languages = {
    "multi", "en-US", "bg",    "cs", "de-DE", "el", "fi",    "fr-FR", "es-ES", "hu", "it",
    "fr",    "pt-BR", "nl-NL", "hi", "zh-CN", "no", "sv-SE", "da",    "da-DK", "id", "ja",
    "ko",    "ms",    "ro",    "ru", "sk",    "tr", "uk",    "vi",    "th",    "pl"};

/// The regional variant Synthflow lists for a language it lists only with a region.
constexpr std::array<std::pair<std::string_view, std::string_view>, 7> k_regional = {{
    {"en", "en-US"},
    {"de", "de-DE"},
    {"es", "es-ES"},
    {"pt", "pt-BR"},
    {"nl", "nl-NL"},
    {"zh", "zh-CN"},
    {"sv", "sv-SE"},
}};

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::vector<std::string> words(std::string_view text) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t start = text.find_first_not_of(" \t\r", pos);
    if (start == std::string_view::npos) {
      break;
    }
    std::size_t end = text.find_first_of(" \t\r", start);
    if (end == std::string_view::npos) {
      end = text.size();
    }
    out.emplace_back(text.substr(start, end - start));
    pos = end;
  }
  return out;
}

} // namespace

std::string marker_description(const AgentMarker& marker) {
  std::string text(k_marker_title);
  text += "\n";
  text += k_tags_label;
  for (const std::string& tag : marker.tags) {
    text += " " + tag;
  }
  text += "\n";
  text += k_knowledge_label;
  for (const KnowledgeBaseRef& ref : marker.knowledge_base) {
    text += " ";
    text += to_string(ref.kind);
    text += ":" + ref.document_id;
  }
  return text;
}

AgentMarker parse_marker(std::string_view description) {
  AgentMarker marker;
  if (description.substr(0, k_marker_title.size()) != k_marker_title) {
    return marker;
  }
  std::size_t pos = 0;
  while (pos <= description.size()) {
    std::size_t end = description.find('\n', pos);
    if (end == std::string_view::npos) {
      end = description.size();
    }
    std::string_view line = description.substr(pos, end - pos);
    if (line.substr(0, k_tags_label.size()) == k_tags_label) {
      marker.tags = words(line.substr(k_tags_label.size()));
    } else if (line.substr(0, k_knowledge_label.size()) == k_knowledge_label) {
      for (const std::string& word : words(line.substr(k_knowledge_label.size()))) {
        std::size_t colon = word.find(':');
        if (colon == std::string::npos) {
          continue;
        }
        std::optional<DocumentSourceKind> kind =
            parse_document_source_kind(std::string_view(word).substr(0, colon));
        if (!kind || colon + 1 == word.size()) {
          continue;
        }
        marker.knowledge_base.push_back({word.substr(colon + 1), {}, *kind});
      }
    }
    pos = end + 1;
  }
  return marker;
}

std::optional<std::string> synthflow_language(std::string_view language) {
  for (std::string_view listed : k_languages) {
    if (listed == language) {
      return std::string(listed);
    }
  }
  std::string code = lower(language);
  for (const auto& [bare, regional] : k_regional) {
    if (bare == code) {
      return std::string(regional);
    }
  }
  for (std::string_view listed : k_languages) {
    if (lower(listed) == code) {
      return std::string(listed);
    }
  }
  return std::nullopt;
}

std::string synthflow_languages() {
  std::string out;
  for (std::string_view listed : k_languages) {
    if (!out.empty()) {
      out += ", ";
    }
    out += listed;
  }
  return out;
}

std::string vami_language(std::string_view synthflow_language) {
  return lower(synthflow_language.substr(0, synthflow_language.find('-')));
}

std::optional<DocumentSourceKind> source_kind(std::string_view type) {
  if (type == "web" || type == "pdf") {
    return DocumentSourceKind::url;
  }
  if (type == "text") {
    return DocumentSourceKind::text;
  }
  return std::nullopt;
}

std::string url_source_type(std::string_view url) {
  std::string_view path = url.substr(0, url.find_first_of("?#"));
  if (path.size() >= 4 && lower(path.substr(path.size() - 4)) == ".pdf") {
    return "pdf";
  }
  return "web";
}

std::int64_t seconds_from_millis(std::string_view millis) {
  if (millis.empty() || millis.size() > 18 ||
      millis.find_first_not_of("0123456789") != std::string_view::npos) {
    return 0;
  }
  return std::stoll(std::string(millis)) / 1000;
}

std::vector<TranscriptLine> transcript_lines(std::string_view transcript) {
  std::vector<TranscriptLine> lines;
  std::size_t pos = 0;
  while (pos < transcript.size()) {
    std::size_t end = transcript.find('\n', pos);
    if (end == std::string_view::npos) {
      end = transcript.size();
    }
    std::string_view line = transcript.substr(pos, end - pos);
    pos = end + 1;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) {
      line.remove_suffix(1);
    }
    if (line.find_first_not_of(" \t") == std::string_view::npos) {
      continue;
    }
    TranscriptLine entry;
    std::size_t colon = line.find(": ");
    std::string_view speaker = colon == std::string_view::npos ? "" : line.substr(0, colon);
    if (!speaker.empty() && speaker.size() <= 20 &&
        speaker.find_first_of(" \t") == std::string_view::npos) {
      std::string role = lower(speaker);
      if (role == "bot" || role == "assistant" || role == "agent" || role == "ai") {
        role = "agent";
      } else if (role == "human" || role == "user" || role == "customer") {
        role = "user";
      }
      entry.role = role;
      entry.message = std::string(line.substr(colon + 2));
    } else {
      entry.message = std::string(line);
    }
    lines.push_back(std::move(entry));
  }
  return lines;
}

} // namespace vami::synthflow::detail
